"""Lambda entry point: invoked by the schedule, runs one scan, publishes, returns a summary."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext

from subnet_monitor.alerts.pipeline import notify_risk
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.aws.failures import FailureEventEmitter, HealthEpisodes, TopicNotifier
from subnet_monitor.aws.risk import HistoryRecords, RiskRecords
from subnet_monitor.core.config import ENV_FAILURE_DEDUP_TABLE, ENV_FAILURE_TOPIC_ARN, ScanConfig
from subnet_monitor.core.metrics import SCAN_DURATION, SCAN_ERRORS, SUBNETS_SCANNED, risk_counts
from subnet_monitor.failures.health import hand_over
from subnet_monitor.handlers.observability import logger, metrics, tracer
from subnet_monitor.scan import run_scan

SUBNET_REPORT_MESSAGE = "subnet_report"
SCAN_ERROR_MESSAGE = "scan_error"


@cache
def _clients() -> AwsClients:
    # Built once per execution environment; warm invocations reuse the connections.
    return AwsClients.from_session()


@cache
def _config() -> ScanConfig:
    # A function's environment is fixed for the life of its execution environment.
    return ScanConfig.from_env(os.environ)


@cache
def _episodes(table_name: str) -> HealthEpisodes:
    # The failure path's table, which the stack names in the collector's environment too.
    return HealthEpisodes.for_table(table_name)


@cache
def _records(table_name: str) -> RiskRecords:
    return RiskRecords.for_table(table_name)


@cache
def _kept_history(table_name: str) -> HistoryRecords:
    return HistoryRecords.for_table(table_name)


@cache
def _notifier(topic_arn: str) -> TopicNotifier:
    return TopicNotifier.for_topic(topic_arn)


@lambda_handler_decorator
def validate_environment(handler: Callable[..., Any], event: dict[str, Any], context: LambdaContext) -> Any:
    """Refuse a bad environment before anything else runs; the ConfigError names the variable."""
    _config()
    return handler(event, context)


@validate_environment
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    table_name = os.environ.get(ENV_FAILURE_DEDUP_TABLE)
    # The forecast's history is kept in the table from scan to scan (core/history.py); without it, as when run
    # by hand, it is read back from CloudWatch.
    outcome = run_scan(_clients(), _config(), publish=True, kept=_kept_history(table_name) if table_name else None)
    # EKS sends no event for its health issues: hand them to the failure path as events of our own,
    # one per episode (without the table, as when run by hand, one per scan).
    handed = hand_over(
        outcome.health_issues,
        FailureEventEmitter(_clients().events),
        _episodes(table_name) if table_name else None,
        now=time.time(),
    )
    outcome.errors.extend(handed.errors)
    summary = {**outcome.summary(), **handed.summary()}
    # The alarms count the subnets at risk; the collector names them (subnet_monitor.alerts). Without the
    # table and topic (run by hand outside the stack) nothing is named.
    topic_arn = os.environ.get(ENV_FAILURE_TOPIC_ARN)
    if table_name and topic_arn:
        named = notify_risk(
            outcome.reports,
            _records(table_name),
            _notifier(topic_arn),
            reminder_hours=_config().risk_reminder_hours,
            # arn:<partition>:lambda:<region>:<account>:function:<name>
            account=context.invoked_function_arn.split(":")[4],
            region=context.invoked_function_arn.split(":")[3],
            now=time.time(),
        )
        outcome.errors.extend(named.errors)
        summary.update(named.summary())
    for report in outcome.reports:
        logger.info(SUBNET_REPORT_MESSAGE, extra=report.to_dict())
    for error in outcome.errors:
        logger.error(SCAN_ERROR_MESSAGE, extra=error.to_dict())
    metrics.add_metric(name=SUBNETS_SCANNED, unit=MetricUnit.Count, value=len(outcome.reports))
    metrics.add_metric(name=SCAN_ERRORS, unit=MetricUnit.Count, value=len(outcome.errors))
    metrics.add_metric(name=SCAN_DURATION, unit=MetricUnit.Milliseconds, value=outcome.duration_ms)
    for name, count in risk_counts(outcome.reports).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
    summary["errors"] = [error.to_dict() for error in outcome.errors]
    return summary
