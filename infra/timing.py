"""Every duration the stack derives from the schedule, in one place. Pure: no CDK imports.

A scan must never overlap the next one, a failed delivery must not land after the next scan is
due, and the alarms must look at windows that match how often data arrives. All of that follows
from the schedule's period, which :func:`subnet_monitor.core.config.schedule_period_seconds` gives for
``rate(...)`` expressions; a ``cron(...)`` expression has no fixed period, so each derivation
below states which case it assumes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from subnet_monitor.core.config import ConfigError, schedule_period_seconds

ONE_MINUTE_SECONDS = 60
ONE_HOUR_SECONDS = 3600
ONE_DAY_SECONDS = 86_400
SEVEN_DAYS_SECONDS = 7 * ONE_DAY_SECONDS

# The collector's budget. A scan takes seconds (a few API pages per cluster); two minutes leaves
# room for throttled retries in a large estate.
FUNCTION_TIMEOUT_SECONDS = 120
# The failure (event) function's memory: one event at a time. The collector's is `collectorMemoryMb`.
FUNCTION_MEMORY_MB = 256
# The timeout ends at least this long before the next scan is due, so scans never overlap.
SCHEDULE_SAFETY_MARGIN_SECONDS = 10
# A cron expression can fire every minute; the timeout and event ages assume that tightest case.
CRON_TIGHTEST_PERIOD_SECONDS = ONE_MINUTE_SECONDS

# Alarm period for the per-subnet and function alarms: the scan period, at most an hour. Metrics
# Insights alarms evaluate only the most recent 3 hours of data, and the alarms treat missing
# data as "keep the current state", so a longer scan period still keeps its last verdict.
MAX_ALARM_PERIOD_SECONDS = ONE_HOUR_SECONDS

# The heartbeat alarm fires when this many scans in a row did not report.
HEARTBEAT_MISSED_SCANS = 3
# cron: the interval is unknown, so the heartbeat fires after a whole day without any scan.
CRON_HEARTBEAT_PERIOD_SECONDS = ONE_HOUR_SECONDS
CRON_HEARTBEAT_EVALUATION_PERIODS = 24

# CloudWatch PutMetricAlarm: Period × EvaluationPeriods may not exceed one day when the period is
# under an hour, and seven days otherwise.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
ALARM_WINDOW_MAX_SHORT_PERIOD_SECONDS = ONE_DAY_SECONDS
ALARM_WINDOW_MAX_SECONDS = SEVEN_DAYS_SECONDS

# EventBridge Scheduler retry policy: MaximumEventAgeInSeconds is 60..86400.
# https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
SCHEDULER_EVENT_AGE_MIN_SECONDS = 60
SCHEDULER_EVENT_AGE_MAX_SECONDS = ONE_DAY_SECONDS
# Deliveries the Scheduler retries before the event goes to the dead-letter queue.
SCHEDULER_RETRY_ATTEMPTS = 2
# Lambda asynchronous invocation: MaximumEventAgeInSeconds is 60..21600.
# https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html
LAMBDA_EVENT_AGE_MIN_SECONDS = 60
LAMBDA_EVENT_AGE_MAX_SECONDS = 6 * ONE_HOUR_SECONDS


@dataclass(frozen=True)
class Timing:
    """Durations derived from one schedule expression, all in seconds."""

    schedule_period: int | None
    function_timeout: int
    alarm_period: int
    heartbeat_period: int
    heartbeat_evaluation_periods: int
    scheduler_event_max_age: int
    lambda_event_max_age: int

    @property
    def heartbeat_window(self) -> int:
        """How long no scan may report before the heartbeat alarm fires."""
        return self.heartbeat_period * self.heartbeat_evaluation_periods


def timing_for(schedule: str) -> Timing:
    """Derive every duration of the stack from a validated schedule expression.

    Raises
    ------
    ConfigError
        (key ``schedule``) when the expression is invalid, or when scans are so far apart that
        no CloudWatch alarm window can tell a stopped monitor from a slow one.
    """
    period = schedule_period_seconds(schedule)
    tightest = period if period is not None else CRON_TIGHTEST_PERIOD_SECONDS
    heartbeat_period, heartbeat_periods = _heartbeat(schedule, period)
    return Timing(
        schedule_period=period,
        function_timeout=min(FUNCTION_TIMEOUT_SECONDS, tightest - SCHEDULE_SAFETY_MARGIN_SECONDS),
        alarm_period=min(tightest, MAX_ALARM_PERIOD_SECONDS),
        heartbeat_period=heartbeat_period,
        heartbeat_evaluation_periods=heartbeat_periods,
        # A delivery older than one period would run alongside the next scheduled scan.
        scheduler_event_max_age=_clamp(tightest, SCHEDULER_EVENT_AGE_MIN_SECONDS, SCHEDULER_EVENT_AGE_MAX_SECONDS),
        lambda_event_max_age=_clamp(tightest, LAMBDA_EVENT_AGE_MIN_SECONDS, LAMBDA_EVENT_AGE_MAX_SECONDS),
    )


def _heartbeat(schedule: str, period: int | None) -> tuple[int, int]:
    if period is None:
        return CRON_HEARTBEAT_PERIOD_SECONDS, CRON_HEARTBEAT_EVALUATION_PERIODS
    alarm_period = min(period, ONE_DAY_SECONDS)
    limit = ALARM_WINDOW_MAX_SECONDS if alarm_period >= ONE_HOUR_SECONDS else ALARM_WINDOW_MAX_SHORT_PERIOD_SECONDS
    periods = min(math.ceil(HEARTBEAT_MISSED_SCANS * period / alarm_period), limit // alarm_period)
    if alarm_period * periods <= period:
        raise ConfigError(
            "schedule",
            schedule,
            f"runs scans further apart than the longest heartbeat window CloudWatch allows ({limit // ONE_DAY_SECONDS} "
            "days); choose a shorter rate",
        )
    return alarm_period, periods


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))
