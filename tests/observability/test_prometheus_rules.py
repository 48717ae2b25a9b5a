"""examples/prometheus/subnet-monitor-rules.yml: valid for promtool, firing as its unit tests say, on the
exporter's metric contract only, and one rule for each CloudWatch alarm at the same default threshold."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
import yaml

from infra.timing import HEARTBEAT_MISSED_SCANS
from subnet_monitor.cli.serve import DEFAULT_INTERVAL
from subnet_monitor.core.config.scan import (
    DEFAULT_CRITICAL_PERCENT,
    DEFAULT_EXHAUSTION_HORIZON_HOURS,
    DEFAULT_MIN_FREE_PREFIX_BLOCKS,
    DEFAULT_WARNING_PERCENT,
)
from subnet_monitor.core.durations import parse_duration
from subnet_monitor.core.models import Status
from subnet_monitor.render.prometheus import STATUS_VALUE
from tests.observability.contract import (
    KNOWN_LABELS,
    METRICS,
    NO_PROMTOOL,
    RULE_TESTS,
    RULES,
    TARGET_LABELS,
    labels_in,
    names_in,
    promtool,
    selector_problems,
)

# CloudWatch alarm (infra/alarms.py, name after the stack prefix) -> the Prometheus alert mirroring it.
MIRRORS = {
    # The verdict (SubnetStatus), one alarm per level.
    "SubnetWarning": "SubnetMonitorSubnetWarning",
    "SubnetCritical": "SubnetMonitorSubnetCritical",
    "ScanErrors": "SubnetMonitorScanErrors",
    # The Lambda failing is, for the exporter, its latest scan failing.
    "FunctionErrors": "SubnetMonitorScansFailing",
    # No scan for 3 periods: stale values, or no exporter reporting at all.
    "Heartbeat": "SubnetMonitorScansStale",
}
# Alarms of the EventBridge failure path (infra/failures.py), which the exporter does not run.
NOT_MIRRORED = {"FailureFunctionErrors", "FailureNotificationErrors"}
# The exporter's default --interval; stale after HEARTBEAT_MISSED_SCANS of them.
EXPORTER_INTERVAL_SECONDS = parse_duration(DEFAULT_INTERVAL, flag="--interval").total_seconds()
DEFAULT_THRESHOLDS = {
    "SubnetMonitorSubnetCritical": ("==", STATUS_VALUE[Status.CRITICAL]),
    "SubnetMonitorSubnetWarning": ("==", STATUS_VALUE[Status.WARNING]),
    "SubnetMonitorUtilizationCritical": (">=", DEFAULT_CRITICAL_PERCENT / 100),
    "SubnetMonitorUtilizationWarning": (">=", DEFAULT_WARNING_PERCENT / 100),
    "SubnetMonitorNegativeScaleHeadroom": ("<", 0),
    "SubnetMonitorLowFreePrefixBlocks": ("<", DEFAULT_MIN_FREE_PREFIX_BLOCKS),
    "SubnetMonitorExhaustionSoon": ("<", DEFAULT_EXHAUSTION_HORIZON_HOURS * 3600),
    "SubnetMonitorScansStale": (">", HEARTBEAT_MISSED_SCANS * EXPORTER_INTERVAL_SECONDS),
}
# "metric >= 0.90", "... < 168 * 3600": the first comparison with a number (or a product of numbers).
COMPARISON = re.compile(r"(>=|<=|==|!=|<|>)\s*([0-9.]+(?:\s*\*\s*[0-9.]+)*)")
TEMPLATE_LABEL = re.compile(r"\$labels\.(\w+)")


def rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in rules()}


def threshold(expr: str) -> tuple[str, float]:
    operator, number = COMPARISON.search(expr).groups()
    value = 1.0
    for factor in number.split("*"):
        value *= float(factor)
    return operator, value


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_promtool_accepts_the_rules() -> None:
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules())} rules found" in result.stdout


@pytest.mark.skipif(promtool() is None, reason=NO_PROMTOOL)
def test_rules_fire_for_the_series_their_unit_tests_give_and_only_for_those() -> None:
    result = subprocess.run(
        [promtool(), "test", "rules", RULE_TESTS.name],
        cwd=RULE_TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_unit_tests_cover_every_alert_firing() -> None:
    tested = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fired = {case["alertname"] for test in tested for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert fired == set(alerts())


def test_rules_read_only_the_exporters_metrics_and_labels() -> None:
    for rule in rules():
        expr = rule["expr"]
        assert names_in(expr), f"{rule['alert']} reads no subnet_monitor metric"
        assert names_in(expr) <= set(METRICS), f"{rule['alert']}: {names_in(expr) - set(METRICS)}"
        assert labels_in(expr) <= KNOWN_LABELS, f"{rule['alert']}: {labels_in(expr) - KNOWN_LABELS}"
        assert selector_problems(expr) == []
        # An annotation may only name a label the alert's series carry.
        carried = frozenset().union(*(METRICS[name] for name in names_in(expr))) | TARGET_LABELS
        used = set(TEMPLATE_LABEL.findall(" ".join(rule["annotations"].values())))
        assert used <= carried, f"{rule['alert']} annotations name {used - carried}"


def test_every_cloudwatch_alarm_has_its_prometheus_rule(alarm_names: list[str]) -> None:
    assert set(alarm_names) == set(MIRRORS) | NOT_MIRRORED
    assert set(MIRRORS.values()) <= set(alerts())


@pytest.mark.parametrize(("alert", "expected"), DEFAULT_THRESHOLDS.items())
def test_thresholds_are_the_configuration_defaults(alert: str, expected: tuple[str, float]) -> None:
    operator, value = threshold(alerts()[alert]["expr"])
    assert operator == expected[0]
    assert value == pytest.approx(expected[1])


def test_per_subnet_alerts_carry_the_subnet_name_and_clusters_for_routing() -> None:
    for name, rule in alerts().items():
        if "subnet_monitor_subnet_" in rule["expr"]:
            assert "group_left(name, clusters) subnet_monitor_subnet_info" in rule["expr"], name


def test_every_alert_has_a_severity_summary_and_description() -> None:
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert {"summary", "description"} <= set(rule["annotations"]), name
