"""Hostile and careless config input (issue 14): EventBridge Scheduler's real cron and rate grammar, finite
thresholds, bounded JSON in the Lambda's variable, and fuzzing: any input parses or raises ConfigError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subnet_monitor.core.config import ENV_SCAN_CONFIG, ConfigError, MonitorConfig, ScanConfig
from subnet_monitor.core.config.schedule import schedule_period_seconds

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
BLOCK_KEYS = st.sampled_from(
    [
        "warningPercent",
        "criticalPercent",
        "minFreeIps",
        "exhaustionHorizonHours",
        "metrics",
        "riskReminderHours",
        "subnetTags",
        "subnetIds",
        "clusters",
        "cni",
        "fargateMaxPods",
        "schedule",
        "environments",
        "observability",
        "slack",
        "teams",
        "pagerduty",
        "opsgenie",
        "httpsEndpoints",
    ]
)
BLOCKS = st.dictionaries(BLOCK_KEYS | st.text(max_size=10), JSON_VALUES, max_size=5)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("cron(99 * * * ? *)", "has minutes '99', not one of 0-59"),
        ("cron(a b c d e f)", "has minutes 'a'"),
        ("cron(0 25 * * ? *)", "has hours '25', not one of 0-23"),
        ("cron(0 0 32 * ? *)", "has day-of-month '32', not one of 1-31"),
        ("cron(0 0 ? 13 * *)", "has month '13', not one of 1-12 or JAN-DEC"),
        ("cron(0 0 ? * 8 *)", "has day-of-week '8', not one of 1-7 or SUN-SAT"),
        ("cron(0 0 ? * MON *)", None),
        ("cron(0 0 ? * 1/2 *)", "has day-of-week '1/2'"),  # no / in day-of-week
        ("cron(0 0 ? * 3#6 *)", "has day-of-week '3#6'"),
        ("cron(0 0 * * ? 1969)", "has year '1969', not one of 1970-2199"),
        ("cron(0/0 * * * ? *)", "has minutes '0/0'"),
        ("cron(0 0 L? * ? *)", "has day-of-month 'L?'"),
        ("cron(* * * * * *)", "needs ? in exactly one of day-of-month and day-of-week"),
        ("cron(0 0 ? * ? *)", "needs ? in exactly one of day-of-month and day-of-week"),
        ("rate(99999999999 days)", "is more than a year (365 days) between scans"),
        ("rate(366 days)", "is more than a year"),
    ],
)
def test_schedules_scheduler_would_refuse_are_refused_naming_the_field(expression: str, says: str | None) -> None:
    if says is None:
        assert schedule_period_seconds(expression) is None
        return
    with pytest.raises(ConfigError) as refused:
        MonitorConfig.from_context({"schedule": expression})
    assert refused.value.key == "schedule"
    assert says in str(refused.value)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0/5 * * * ? *)",
        "cron(*/5 * * * ? *)",
        "cron(0 10 ? * MON-FRI *)",
        "cron(15 10 L * ? *)",
        "cron(0 18 LW * ? *)",
        "cron(0 18 3W * ? *)",
        "cron(0 8 ? * 6L 2025)",
        "cron(0 8 ? * 3#2 *)",
        "cron(0,30 8-17 ? JAN,JUL * 2025-2030/2)",
        "rate(365 days)",
    ],
)
def test_schedules_scheduler_takes_are_taken(expression: str) -> None:
    assert MonitorConfig.from_context({"schedule": expression}).schedule == expression


@pytest.mark.parametrize(
    ("block", "says"),
    [
        ({"minFreeIps": 10**30}, "minFreeIps: 1000000000000000000000000000000 must be a whole number of addresses"),
        ({"minFreeIps": 1e30}, "minFreeIps: 1e+30 must be a whole number"),
        ({"exhaustionHorizonHours": float("inf")}, "exhaustionHorizonHours: inf must be a number of hours"),
        ({"exhaustionHorizonHours": float("nan")}, "exhaustionHorizonHours: nan must be a number of hours"),
        ({"exhaustionHorizonHours": 1e9}, "at most 8760 (a year)"),
        ({"metrics": "cheap"}, "metrics: 'cheap' must be one of 'lean', 'default', 'detailed'"),
        ({"metrics": ["lean"]}, "metrics: ['lean'] must be one of 'lean', 'default', 'detailed'"),
        ({"riskReminderHours": 0}, "riskReminderHours: 0 must be a number of hours above 0 and at most 720 (30 days)"),
        ({"riskReminderHours": float("inf")}, "riskReminderHours: inf must be a number of hours"),
    ],
)
def test_thresholds_are_finite_and_bounded(block: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError, match=None) as refused:
        ScanConfig.from_mapping(block)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 3000, "nests deeper than 32 levels"),
        ('{"subnetTags": {"team": ' + "[" * 40 + "]" * 40 + "}}", "nests deeper than 32 levels"),
        ('{"exhaustionHorizonHours": Infinity}', "Infinity is not a JSON number"),
        ('{"subnetTags": {"team": "' + "x" * 5000 + '"}}', "must be a string (at most 256 characters)"),
    ],
)
def test_lambda_environment_errors_name_the_variable_and_cut_the_value(text: str, says: str) -> None:
    # GIVEN the collector's variable holding something hostile
    with pytest.raises(ConfigError) as refused:
        ScanConfig.from_env({ENV_SCAN_CONFIG: text})
    # THEN the refusal names the variable, and shows at most 80 characters of the value
    assert refused.value.key.startswith(ENV_SCAN_CONFIG)
    assert says in str(refused.value)
    assert len(refused.value.shown) <= 80


@settings(max_examples=200, deadline=None)
@given(BLOCKS)
def test_any_scan_mapping_parses_or_raises_config_error(block: dict[str, Any]) -> None:
    with contextlib.suppress(ConfigError):
        ScanConfig.from_mapping(block)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES | BLOCKS)
def test_any_context_block_parses_or_raises_config_error(block: Any) -> None:
    with contextlib.suppress(ConfigError):
        MonitorConfig.from_context(block)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | JSON_VALUES.map(json.dumps) | BLOCKS.map(json.dumps))
def test_any_environment_text_parses_or_raises_config_error(text: str) -> None:
    try:
        ScanConfig.from_env({ENV_SCAN_CONFIG: text})
    except ConfigError as error:
        assert error.key.startswith(ENV_SCAN_CONFIG)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40).map(lambda fields: f"cron({fields})") | st.text(max_size=40))
def test_any_schedule_text_parses_or_raises_config_error(expression: str) -> None:
    try:
        schedule_period_seconds(expression)
    except ConfigError as error:
        assert error.key == "schedule"
