"""``make cost`` on a small estate: what each ``metrics`` setting costs a month, from a measured scan.

The calculator patches moto's classes for speed (as ``make bench`` does), so it runs in a process of its
own, as ``make cost`` runs it; one run serves the tests here, and one more prices a template with an
alarm added. Nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# jsii warns about the Node.js version on every import of aws_cdk (as tests/infra/conftest.py says).
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

REPO = Path(__file__).resolve().parents[1]
ESTATE = 40
SIZES = (100, 1_000, 10_000)
SETTINGS = ("lean", "default", "detailed")
# The targets per monitored subnet-month, at 1,000 subnets in one account/region.
TARGET_SIZE = 1_000
TARGETS = {"lean": 0.40, "default": 0.70}
# What a Metrics Insights alarm is billed per metric it analyzes (https://aws.amazon.com/cloudwatch/pricing/).
INSIGHTS_ALARM_METRIC = 0.10


def calculate(output: Path, *args: str) -> dict[str, Any]:
    """``make cost`` on the small estate; its printed output and the figures it wrote to ``output``."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.cost", "--estate", str(ESTATE), "-o", str(output), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return {"stdout": completed.stdout, "output": output, **json.loads(output.read_text())}


@pytest.fixture(scope="module")
def costed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return calculate(tmp_path_factory.mktemp("cost") / "cost.json", "--sizes", ",".join(map(str, SIZES)))


def _row(costed: dict[str, Any], setting: str, size: int) -> dict[str, Any]:
    [row] = [row for row in costed["settings"][setting]["sizes"] if row["size"] == size]
    return row


def test_every_setting_is_measured_and_printed(costed: dict[str, Any]) -> None:
    # GIVEN the calculator run on the benchmark's estate of 40 subnets
    # THEN each setting's scans saw every subnet without an error, and its bill is printed and written
    assert f"results written to {costed['output']}" in costed["stdout"]
    for setting in SETTINGS:
        assert f"metrics: {setting}" in costed["stdout"]
        result = costed["settings"][setting]
        assert result["measured"]["subnets"] == ESTATE
        assert result["measured"]["scan_errors"] == []
        assert result["measured"]["unpriced_calls"] == {}, "every call the scan makes is priced or free"
        for row in result["sizes"]:
            assert row["total"] == pytest.approx(sum(line["cost"] for line in row["lines"].values()))
            assert row["per_subnet"] == pytest.approx(row["total"] / row["size"])


def test_each_setting_publishes_what_it_promises(costed: dict[str, Any]) -> None:
    # THEN lean publishes AvailableIPCount alone, default adds the verdict, detailed the graphs besides
    kinds = {
        setting: {kind["metric"] for kind in costed["settings"][setting]["measured"]["metric_kinds"]}
        for setting in SETTINGS
    }
    assert kinds["lean"] == {"AvailableIPCount"}
    assert kinds["default"] == {"AvailableIPCount", "SubnetStatus"}
    assert kinds["default"] < kinds["detailed"]
    assert {"IPUtilization", "ScaleHeadroom"} <= kinds["detailed"]


@pytest.mark.parametrize("setting", sorted(TARGETS))
def test_lean_and_default_meet_their_targets_at_1000_subnets(costed: dict[str, Any], setting: str) -> None:
    # THEN at 1,000 subnets in one account/region a subnet costs at most its setting's target a month
    row = _row(costed, setting, TARGET_SIZE)
    assert row["per_subnet"] <= TARGETS[setting], row["lines"]
    assert f"[met] {setting}: ${row['per_subnet']:.3f} a subnet-month at {TARGET_SIZE:,} subnets" in costed["stdout"]


def test_more_metrics_cost_more_at_every_size(costed: dict[str, Any]) -> None:
    # THEN detailed costs more than default, which costs more than lean, whatever the estate's size
    for size in SIZES:
        lean, default, detailed = (_row(costed, setting, size)["per_subnet"] for setting in SETTINGS)
        assert lean < default < detailed, size


def test_no_setting_has_an_alarm_bill_that_grows_with_the_subnets(costed: dict[str, Any]) -> None:
    # THEN in every setting the alarms are the stack's own (the per-subnet verdict is notified by the
    # collector): the same alarm bill at 100 and at 10,000 subnets, no metric analyzed per subnet
    for setting in SETTINGS:
        rows = costed["settings"][setting]["sizes"]
        assert {row["lines"]["alarms"]["cost"] for row in rows} == {rows[0]["lines"]["alarms"]["cost"]}, setting
        assert all(row["insights_metrics_analyzed"] == 0 for row in rows), setting


def test_a_per_subnet_metrics_insights_alarm_added_to_the_stack_shows_in_the_bill(
    costed: dict[str, Any], tmp_path: Path
) -> None:
    # GIVEN the default stack with one more alarm, a Metrics Insights query over every subnet's
    # AvailableIPCount (as a user might add for a per-subnet floor), synthesized to a file
    from aws_cdk import Duration  # noqa: PLC0415 - jsii starts only for this test
    from aws_cdk import aws_cloudwatch as cloudwatch  # noqa: PLC0415
    from aws_cdk.assertions import Template  # noqa: PLC0415

    from tests.infra.support import build  # noqa: PLC0415

    [stack] = build({"metrics": "default"}, region="us-east-1").stacks
    cloudwatch.Alarm(
        stack,
        "PerSubnetFloor",
        metric=cloudwatch.MathExpression(
            expression='SELECT MIN(AvailableIPCount) FROM SCHEMA("Custom/VPC", SubnetId) '
            "GROUP BY SubnetId ORDER BY MIN() ASC",
            period=Duration.minutes(5),
        ),
        threshold=10,
        comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluation_periods=1,
    )
    template = tmp_path / "with-floor.template.json"
    template.write_text(json.dumps(Template.from_stack(stack).to_json()))

    # WHEN the calculator prices that template
    priced = calculate(tmp_path / "with-floor.json", "--template", str(template), "--sizes", str(TARGET_SIZE))

    # THEN it is the default setting, and the alarm is billed one alarm metric per subnet it analyzes:
    # $0.10 a subnet-month more than the stack as built, which takes the setting past its target
    before = _row(costed, "default", TARGET_SIZE)
    [after] = priced["settings"]["default"]["sizes"]
    assert after["insights_metrics_analyzed"] == before["insights_metrics_analyzed"] + TARGET_SIZE
    assert after["lines"]["alarms"]["cost"] == pytest.approx(
        before["lines"]["alarms"]["cost"] + TARGET_SIZE * INSIGHTS_ALARM_METRIC
    )
    assert after["per_subnet"] == pytest.approx(before["per_subnet"] + INSIGHTS_ALARM_METRIC)
    assert after["per_subnet"] > TARGETS["default"]
