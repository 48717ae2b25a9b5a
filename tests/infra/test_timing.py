"""Durations derived from the schedule: no overlap, windows CloudWatch accepts."""

from __future__ import annotations

import pytest

from infra.timing import (
    ALARM_WINDOW_MAX_SECONDS,
    ALARM_WINDOW_MAX_SHORT_PERIOD_SECONDS,
    FUNCTION_TIMEOUT_SECONDS,
    ONE_HOUR_SECONDS,
    timing_for,
)
from subnet_monitor.core.config import ConfigError

RATES = [
    "rate(1 minute)",
    "rate(2 minutes)",
    "rate(5 minutes)",
    "rate(15 minutes)",
    "rate(1 hour)",
    "rate(3 hours)",
    "rate(1 day)",
    "rate(3 days)",
    "rate(6 days)",
]


@pytest.mark.parametrize("schedule", RATES)
def test_a_scan_ends_before_the_next_one_starts(schedule):
    timing = timing_for(schedule)
    assert timing.schedule_period is not None
    assert 0 < timing.function_timeout < timing.schedule_period
    assert timing.function_timeout <= FUNCTION_TIMEOUT_SECONDS


@pytest.mark.parametrize("schedule", RATES)
def test_no_delivery_outlives_one_period(schedule):
    timing = timing_for(schedule)
    assert 60 <= timing.scheduler_event_max_age <= max(60, timing.schedule_period)
    assert 60 <= timing.lambda_event_max_age <= max(60, timing.schedule_period)


@pytest.mark.parametrize("schedule", RATES)
def test_heartbeat_window_tolerates_one_late_scan_and_fits_cloudwatch(schedule):
    timing = timing_for(schedule)
    # More than one period, or a single late scan would fire it.
    assert timing.heartbeat_window > timing.schedule_period
    limit = (
        ALARM_WINDOW_MAX_SECONDS
        if timing.heartbeat_period >= ONE_HOUR_SECONDS
        else ALARM_WINDOW_MAX_SHORT_PERIOD_SECONDS
    )
    assert timing.heartbeat_window <= limit
    assert timing.heartbeat_period % 60 == 0


@pytest.mark.parametrize("schedule", RATES)
def test_alarm_period_is_the_scan_period_up_to_an_hour(schedule):
    timing = timing_for(schedule)
    assert timing.alarm_period == min(timing.schedule_period, ONE_HOUR_SECONDS)


def test_cron_assumes_the_tightest_case_for_overlap_and_a_day_for_the_heartbeat():
    timing = timing_for("cron(0 8 * * ? *)")
    assert timing.schedule_period is None
    assert timing.function_timeout == 50
    assert timing.scheduler_event_max_age == 60
    assert timing.heartbeat_window == 24 * ONE_HOUR_SECONDS


def test_default_schedule():
    timing = timing_for("rate(5 minutes)")
    assert (timing.function_timeout, timing.alarm_period) == (120, 300)
    assert (timing.heartbeat_period, timing.heartbeat_evaluation_periods) == (300, 3)


@pytest.mark.parametrize("schedule", ["rate(7 days)", "rate(30 days)"])
def test_scans_too_far_apart_for_a_heartbeat_are_refused(schedule):
    with pytest.raises(ConfigError) as refused:
        timing_for(schedule)
    assert refused.value.key == "schedule"
    assert refused.value.value == schedule
