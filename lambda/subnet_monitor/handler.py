"""Lambda entry point: invoked by the schedule, runs one scan, publishes, returns a summary."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from subnet_monitor.aws_clients import AwsClients
from subnet_monitor.config import ScanConfig
from subnet_monitor.metrics import SCAN_DURATION, SCAN_ERRORS, SUBNETS_SCANNED
from subnet_monitor.observability import logger, metrics, tracer
from subnet_monitor.pipeline import run_scan

SUBNET_REPORT_MESSAGE = "subnet_report"
SCAN_ERROR_MESSAGE = "scan_error"


@cache
def _clients() -> AwsClients:
    # Built once per execution environment; warm invocations reuse the connections.
    return AwsClients.from_session()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # Validate the environment before any AWS call; a ConfigError names the variable.
    config = ScanConfig.from_env(os.environ)
    outcome = run_scan(_clients(), config, publish=True)
    for report in outcome.reports:
        logger.info(SUBNET_REPORT_MESSAGE, extra=report.to_dict())
    for error in outcome.errors:
        logger.error(SCAN_ERROR_MESSAGE, extra=error.to_dict())
    metrics.add_metric(name=SUBNETS_SCANNED, unit=MetricUnit.Count, value=len(outcome.reports))
    metrics.add_metric(name=SCAN_ERRORS, unit=MetricUnit.Count, value=len(outcome.errors))
    metrics.add_metric(name=SCAN_DURATION, unit=MetricUnit.Milliseconds, value=outcome.duration_ms)
    return outcome.summary()
