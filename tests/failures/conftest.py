"""The failure path's moto side, shared by its tests: the stack's resources and the event handler
invoked as EventBridge would."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from fixtures.estate import moto_client_factory
from fixtures.failure_stack import LocalFailureStack
from subnet_monitor.core.config import FailureConfig
from subnet_monitor.failures.patterns import CLOUDTRAIL_PATTERNS, DEFAULT_PATTERNS
from subnet_monitor.handlers import events as event_handler
from tests.conftest import LambdaContext
from tests.failures.support import Invocation
from tests.moto_estate import REGION


@pytest.fixture
def stack(aws: boto3.Session) -> LocalFailureStack:
    return LocalFailureStack.create(
        moto_client_factory(None, region=REGION), {**DEFAULT_PATTERNS, **CLOUDTRAIL_PATTERNS}
    )


@pytest.fixture
def failures(
    stack: LocalFailureStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., Invocation]]:
    """Invoke the event handler as EventBridge would, with the environment the stack renders."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "subnet-monitor")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Custom/VPC")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    event_handler._clients.cache_clear()

    def run(event: Any, config: FailureConfig | None = None) -> Invocation:
        event_handler._settings.cache_clear()
        for name, value in stack.environment(config or FailureConfig(cloudtrail=True)).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(event_handler.logger.registered_handler, "stream", sys.stdout)
        summary = event_handler.lambda_handler(event, LambdaContext(function_name="subnet-monitor-failures"))
        out = capsys.readouterr().out
        return Invocation(summary, [json.loads(line) for line in out.splitlines() if line.startswith("{")])

    yield run
    event_handler._clients.cache_clear()
    event_handler._settings.cache_clear()
