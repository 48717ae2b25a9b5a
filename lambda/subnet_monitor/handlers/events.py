"""Lambda entry point of the failure path: invoked by the EventBridge rules with one event (or with an
SQS batch of them); counts every failure, notifies once per subnet per window, returns a summary."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator
from aws_lambda_powertools.utilities.typing import LambdaContext

from subnet_monitor.aws.failures import FailureClients
from subnet_monitor.core.config import ENV_FAILURE_DEDUP_TABLE, ENV_FAILURE_TOPIC_ARN, ConfigError, FailureConfig
from subnet_monitor.core.metrics import NOTIFICATION_ERRORS, UNPARSED_EVENTS
from subnet_monitor.failures.pipeline import handle_failures
from subnet_monitor.handlers.observability import logger, metrics, tracer

FAILURE_MESSAGE = "exhaustion_failure"
IGNORED_MESSAGE = "ignored_event"
UNPARSED_MESSAGE = "unparsed_event"
ERROR_MESSAGE = "failure_error"


@dataclass(frozen=True)
class Settings:
    config: FailureConfig
    topic_arn: str
    table_name: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Raises ConfigError naming a missing variable."""
        for name in (ENV_FAILURE_TOPIC_ARN, ENV_FAILURE_DEDUP_TABLE):
            if not env.get(name):
                raise ConfigError(name, env.get(name, ""), "must be set (the stack sets it)")
        return cls(FailureConfig.from_env(env), env[ENV_FAILURE_TOPIC_ARN], env[ENV_FAILURE_DEDUP_TABLE])


@cache
def _clients() -> FailureClients:
    return FailureClients.from_session()


@cache
def _settings() -> Settings:
    return Settings.from_env(os.environ)


@lambda_handler_decorator
def validate_environment(handler: Callable[..., Any], event: Any, context: LambdaContext) -> Any:
    """Refuse a bad environment before anything else runs; the ConfigError names the variable."""
    _settings()
    return handler(event, context)


@validate_environment
@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    settings = _settings()
    outcome = handle_failures(
        event,
        _clients(),
        settings.config,
        topic_arn=settings.topic_arn,
        table_name=settings.table_name,
        now=time.time(),
    )
    for failure, notified in zip(outcome.parsed.failures, outcome.notifications, strict=True):
        state = outcome.states.get(failure.subnet_id or "")
        record = {**failure.to_dict(), "notification": notified}
        if state is not None:
            record["available_ips"] = state.available_ips
            record["availability_zone"] = state.availability_zone
        # A failure that names no subnet is counted in UnparsedEvents, so it is logged as a warning.
        (logger.info if failure.subnet_id else logger.warning)(FAILURE_MESSAGE, extra=record)
    for skipped in outcome.parsed.ignored:
        logger.info(IGNORED_MESSAGE, extra=skipped.to_dict())
    for skipped in outcome.parsed.unparsed:
        logger.warning(UNPARSED_MESSAGE, extra=skipped.to_dict())
    for error in outcome.errors:
        logger.error(ERROR_MESSAGE, extra=error.to_dict())
    metrics.add_metric(name=UNPARSED_EVENTS, unit=MetricUnit.Count, value=outcome.unparsed_count)
    metrics.add_metric(name=NOTIFICATION_ERRORS, unit=MetricUnit.Count, value=outcome.notification_errors)
    return outcome.summary()
