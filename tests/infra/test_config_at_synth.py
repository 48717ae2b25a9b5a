"""The ``subnet-monitor`` block at synth: bad values stop the build naming key and value; the
function's environment parses back to the same configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from infra import PROJECT_ROOT
from infra.stack import POWERTOOLS_ENVIRONMENT
from subnet_monitor.core.config import LAMBDA_ENVIRONMENT_MAX_BYTES, ConfigError, MonitorConfig, ScanConfig
from tests.infra.support import build, cdk_json_context, collector

BAD_VALUES = [
    pytest.param({"warningPercent": 120}, "warningPercent", 120, id="warning-above-100"),
    pytest.param({"criticalPercent": -5}, "criticalPercent", -5, id="critical-below-0"),
    pytest.param({"criticalPercent": 100}, "criticalPercent", 100, id="critical-at-100"),
    pytest.param({"warningPercent": 90, "criticalPercent": 80}, "warningPercent", 90.0, id="warning-above-critical"),
    pytest.param({"warningPercent": 85, "criticalPercent": 85}, "warningPercent", 85.0, id="warning-equals-critical"),
    pytest.param({"subnetIds": ["subnet-12345"]}, "subnetIds", "subnet-12345", id="subnet-id-too-short"),
    pytest.param({"subnetIds": ["sn-0123456789abcdef0"]}, "subnetIds", "sn-0123456789abcdef0", id="subnet-id-prefix"),
    pytest.param({"notificationEmails": ["ops.example.com"]}, "notificationEmails", "ops.example.com", id="email"),
    pytest.param({"schedule": "every 5 minutes"}, "schedule", "every 5 minutes", id="schedule-words"),
    pytest.param({"schedule": "rate(5 minute)"}, "schedule", "rate(5 minute)", id="schedule-singular-unit"),
    pytest.param({"schedule": "cron(0 * * *)"}, "schedule", "cron(0 * * *)", id="schedule-cron-fields"),
    pytest.param({"schedule": "cron(99 * * * ? *)"}, "schedule", "cron(99 * * * ? *)", id="schedule-cron-minute"),
    pytest.param({"schedule": "cron(a b c d e f)"}, "schedule", "cron(a b c d e f)", id="schedule-cron-words"),
    pytest.param({"schedule": "cron(* * * * * *)"}, "schedule", "cron(* * * * * *)", id="schedule-cron-no-question"),
    pytest.param({"schedule": "rate(99999999999 days)"}, "schedule", "rate(99999999999 days)", id="schedule-rate-huge"),
    # jsii hands a JSON number this large over as a float; inf cannot reach synth (cdk.json is JSON: no Infinity).
    pytest.param({"minFreeIps": 1e30}, "minFreeIps", 1e30, id="min-free-huge"),
    pytest.param({"exhaustionHorizonHours": 9000.5}, "exhaustionHorizonHours", 9000.5, id="horizon-beyond-a-year"),
    pytest.param({"warnPercent": 70}, "warnPercent", 70, id="unknown-key"),
]


@pytest.mark.parametrize(("block", "key", "value"), BAD_VALUES)
def test_bad_value_stops_the_build_naming_key_and_value(block, key, value):
    # GIVEN a subnet-monitor block with one bad value
    # WHEN the app is built from it
    with pytest.raises(ConfigError) as refused:
        build(block)
    # THEN the error names the key and the value
    assert refused.value.key == key
    assert refused.value.value == value
    assert key in str(refused.value)
    assert repr(value) in str(refused.value)


def test_schedule_too_sparse_for_any_heartbeat_window_is_refused():
    # GIVEN scans a week apart: no CloudWatch alarm window is longer than seven days
    with pytest.raises(ConfigError) as refused:
        build({"schedule": "rate(7 days)"})
    assert refused.value.key == "schedule"
    assert "rate(7 days)" in str(refused.value)


def test_region_without_a_powertools_layer_is_refused():
    # GIVEN an environment in the China partition where no layer is published
    block = {"environments": [{"account": "123456789012", "region": "cn-northwest-1"}]}
    with pytest.raises(ConfigError) as refused:
        build(block)
    assert refused.value.key == "environments.region"
    assert "'cn-northwest-1'" in str(refused.value)


def _subnet_ids(count: int) -> list[str]:
    return [f"subnet-{index:017x}" for index in range(count)]


def _size(environment: dict[str, str]) -> int:
    return sum(len(name) + len(value) for name, value in environment.items())


def test_environment_over_lambdas_limit_with_powertools_settings_is_refused():
    # GIVEN just enough subnet IDs that the scan settings fit 4 KB but not with the Powertools ones
    count = next(
        n
        for n in range(1, 1000)
        if _size({**ScanConfig(subnet_ids=tuple(_subnet_ids(n))).to_env(), **POWERTOOLS_ENVIRONMENT})
        > LAMBDA_ENVIRONMENT_MAX_BYTES
    )
    assert _size(ScanConfig(subnet_ids=tuple(_subnet_ids(count))).to_env()) <= LAMBDA_ENVIRONMENT_MAX_BYTES
    # WHEN the app is built THEN the stack refuses, naming the key
    with pytest.raises(ConfigError) as refused:
        build({"subnetIds": _subnet_ids(count)})
    assert refused.value.key == "subnetIds"
    assert "4096-byte limit" in str(refused.value)


def test_app_py_exits_with_the_message(tmp_path):
    # GIVEN the CDK CLI's way of passing context (CDK_CONTEXT_JSON) with a bad threshold
    context = {**cdk_json_context(), "subnet-monitor": {"warningPercent": 120}}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    # WHEN app.py runs as `cdk synth` would run it
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    # THEN synth stops with the key and the value, and no template is written
    assert result.returncode == 1
    assert 'cdk.json context "subnet-monitor": warningPercent: 120' in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))


ROUND_TRIP_BLOCKS = [
    pytest.param(None, id="defaults"),
    pytest.param(cdk_json_context()["subnet-monitor"], id="cdk.json"),
    pytest.param(
        {
            "discoverEcs": False,
            "clusters": ["prod-eks", "payments_ecs"],
            "subnetIds": ["subnet-0123456789abcdef0", "subnet-89abcdef"],
            "subnetTags": {"team": ["platform", "data"], "kubernetes.io/role/internal-elb": "*", "tier": "private"},
            "allSubnets": True,
            "warningPercent": 72.5,
            "criticalPercent": 91,
            "minFreeIps": 16,
        },
        id="every-scan-key",
    ),
]


@pytest.mark.parametrize("block", ROUND_TRIP_BLOCKS)
def test_function_environment_parses_back_to_the_same_config(block):
    # GIVEN the configuration object synth parsed
    expected = MonitorConfig.from_context(block).scan
    # WHEN the stack renders it into the function's environment
    environment = collector(build(block).template())["Environment"]["Variables"]
    # THEN the Lambda's parser reads exactly the same configuration back
    assert ScanConfig.from_env(environment) == expected
