"""Hostile and careless input to ``scan --config`` and ``check --plan``: every case ends in exit 2 and
one short line naming the file, key or flag, never a traceback (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subnet_monitor.cli import main
from subnet_monitor.core.config.documents import DOCUMENT_MAX_BYTES

# Exit 2 and one line: longer means a value was echoed whole.
MESSAGE_MAX_CHARS = 400
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"
DEEP = "[" * 100_000
BILLION_LAUGHS = "\n".join(
    [
        "a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']",
        *(
            f"{chr(ord('a') + n)}: &{chr(ord('a') + n)} [{', '.join(['*' + chr(ord('a') + n - 1)] * 9)}]"
            for n in range(1, 9)
        ),
        "vpcs: *i",
    ]
)
PLAN = {
    "vpcs": [{"name": "prod", "cidrs": ["10.0.0.0/16"]}],
    "subnets": [{"name": "a", "availabilityZone": "eu-west-1a", "cidr": "10.0.0.0/24"}],
}


def refusal(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the CLI; assert it exits 2 with one short line and no traceback; return that line."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("subnet_monitor: error: ")
    assert len(err) < MESSAGE_MAX_CHARS
    assert err.count("\n") == 1
    return err


def written(tmp_path: Path, name: str, content: str | bytes) -> str:
    target = tmp_path / name
    target.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(target)


# --- scan --config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param(BINARY, "is not UTF-8 text", id="binary"),
        pytest.param("null", "must be a JSON object: cdk.json, or a subnet-monitor block", id="null"),
        pytest.param("[1, 2]", "[1, 2] must be a JSON object", id="array"),
        pytest.param('{"context": [1]}', "context: [1] must be a JSON object", id="context-list"),
        pytest.param('{"context": {"subnet-monitor": 5}}', "subnet-monitor: 5 must be a JSON object", id="block-int"),
        pytest.param(DEEP, "nests deeper than 32 levels", id="deep"),
        pytest.param('{"subnetTags": {"a": ' + "[" * 50 + "]" * 50 + "}}", "nests deeper than 32", id="deep-tags"),
        pytest.param('{"exhaustionHorizonHours": NaN}', "NaN is not a JSON number", id="nan"),
        pytest.param('{"exhaustionHorizonHours": 1e999}', "exhaustionHorizonHours: inf must be", id="inf"),
        pytest.param('{"minFreeIps": 1000000000000000000000000000000}', "minFreeIps: 1000", id="min-free-huge"),
        pytest.param('{"schedule": "cron(99 * * * ? *)"}', "has minutes '99'", id="cron-deploy-key"),
    ],
)
def test_bad_config_file_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, says: str
) -> None:
    # GIVEN a --config file that is not a usable subnet-monitor block
    path = written(tmp_path, "cdk.json", content)
    # WHEN scan reads it
    err = refusal(["scan", "--config", path], capsys)
    # THEN exit 2 names the file and what is wrong
    assert "--config" in err
    assert path in err
    assert says in err


def test_config_file_over_the_size_limit_is_refused_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(tmp_path, "cdk.json", b" " * (DOCUMENT_MAX_BYTES + 1))
    assert f"--config: '{path}' is larger than 8 MB" in refusal(["scan", "--config", path], capsys)


def test_a_value_from_the_file_is_reported_under_the_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a cdk.json whose warningPercent is out of range, and no --warning flag
    path = written(tmp_path, "cdk.json", json.dumps({"context": {"subnet-monitor": {"warningPercent": 120}}}))
    err = refusal(["scan", "--config", path], capsys)
    # THEN the file and its key are named, not the flag the user did not type
    assert f"--config {path}: warningPercent: 120 must be a number between 0 and 100" in err
    assert "--warning" not in err


def test_a_file_value_refused_against_a_flag_is_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = written(tmp_path, "cdk.json", json.dumps({"warningPercent": 85}))
    err = refusal(["scan", "--config", path, "--critical", "80"], capsys)
    assert f"--config {path}: warningPercent: 85.0 must be below criticalPercent (80)" in err


def test_a_flag_value_is_reported_under_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a good file and a bad --warning overriding it
    path = written(tmp_path, "cdk.json", json.dumps({"warningPercent": 70}))
    assert "error: --warning: 120.0 must be" in refusal(["scan", "--config", path, "--warning", "120"], capsys)


def test_a_flag_of_zero_is_still_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert "error: --warning: 0.0 must be" in refusal(["scan", "--warning", "0"], capsys)


# --- check --plan ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        pytest.param("plan.json", BINARY, "is not UTF-8 text", id="binary-json"),
        pytest.param("plan.yaml", BINARY, "is not UTF-8 text", id="binary-yaml"),
        pytest.param("plan.json", DEEP, "nests deeper than 32 levels", id="deep-json"),
        pytest.param("plan.yaml", DEEP, "nests deeper than 32 levels", id="deep-yaml"),
        pytest.param("plan.yaml", BILLION_LAUGHS, "holds more than 2,000,000 values", id="billion-laughs"),
        pytest.param("plan.yaml", "vpcs: [" + "x" * 200_000, "is not valid YAML", id="yaml-error-long-line"),
        pytest.param("plan.json", '{"vpcs": [' + '"x",' * 100_000, "is not valid JSON", id="json-error"),
        pytest.param("plan.json", b"x" * (DOCUMENT_MAX_BYTES + 1), "is larger than 8 MB", id="too-large"),
        # Found by the fuzzing: JSON's \ud800 escape is a lone surrogate, which pydantic could not even word.
        pytest.param("plan.json", '{"vpcs": ["\\ud800"]}', "holds a lone surrogate escape", id="lone-surrogate"),
    ],
)
def test_bad_plan_file_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes, says: str
) -> None:
    path = written(tmp_path, name, content)
    err = refusal(["check", "--plan", path], capsys)
    assert f"--plan: '{path}' {says}" in err


@pytest.mark.parametrize(
    ("change", "says"),
    [
        pytest.param({"vpcs": [{"name": "prod", "cidrs": ["10.0.0.0/8"]}]}, "'10.0.0.0/8' must be /16 to /28", id="/8"),
        pytest.param({"vpcs": [{"name": "prod", "cidrs": ["10.0.0.0/15"]}]}, "'10.0.0.0/15' must be /16", id="/15"),
        pytest.param({"vpcs": [{"name": "prod", "cidrs": ["0.0.0.0/0"]}]}, "'0.0.0.0/0' must be /16", id="/0"),
        pytest.param(
            {"subnets": [{"name": "a", "availabilityZone": "eu-west-1a", "cidr": 12345}]},
            "subnets[0].cidr: 12345 must be a CIDR string",
            id="integer-cidr",
        ),
        pytest.param(
            {
                "subnets": [
                    {"name": "a", "vpc": "x" * 5_000_000, "availabilityZone": "eu-west-1a", "cidr": "10.0.0.0/24"}
                ]
            },
            "subnets[0].vpc: 'xxxxxxxx",
            id="long-value-cut",
        ),
    ],
)
def test_plan_values_aws_would_refuse_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, object], says: str
) -> None:
    path = written(tmp_path, "plan.json", json.dumps(PLAN | change))
    err = refusal(["check", "--plan", path], capsys)
    assert says in err
    assert "0.0.48.57" not in err


def test_vpc_cidr_key_names_the_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = PLAN | {"vpcs": [{"name": "prod", "cidrs": ["10.0.0.0/16", "100.64.0.0/10"]}]}
    err = refusal(["check", "--plan", written(tmp_path, "plan.json", json.dumps(plan))], capsys)
    assert "vpcs[0].cidrs[1]: '100.64.0.0/10' must be /16 to /28 (AWS VPC sizes)" in err
