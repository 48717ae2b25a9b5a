"""Shared fixtures: moto-backed AWS for the tests that call it."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import settings
from moto import mock_aws

from fixtures.vpc_cni_addon import VpcCniAddons, serving
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.handlers import scan as handler
from tests.moto_estate import REGION, CallCounter, Vpc

# jsii (under aws-cdk-lib) prints a Node.js version notice on import; harmless here.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


# CI runs the property tests on a fixed sequence of examples, so a run is repeatable and a red one
# means a change broke something; locally every run explores new examples (and keeps what fails in
# .hypothesis/ to try first next time).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def vpc_cni_addons() -> Iterator[VpcCniAddons]:
    """The clusters' vpc-cni add-ons, answered in moto's place (fixtures/vpc_cni_addon.py); none by default."""
    with serving(VpcCniAddons()) as addons:
        yield addons


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, vpc_cni_addons: VpcCniAddons) -> Iterator[boto3.Session]:
    """Fake credentials, no real endpoint, and moto started before any client exists."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def clients(aws: boto3.Session) -> AwsClients:
    return AwsClients.from_session(aws)


@pytest.fixture
def counter(clients: AwsClients) -> CallCounter:
    return CallCounter().watch(clients)


@pytest.fixture
def vpc(aws: boto3.Session) -> Vpc:
    return Vpc(aws)


@dataclass
class LambdaContext:
    function_name: str = "subnet-monitor-collector"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:subnet-monitor-collector"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"


@dataclass
class Invocation:
    summary: dict[str, Any]
    records: list[dict[str, Any]]

    def subnet_reports(self) -> dict[str, dict[str, Any]]:
        return {r["subnet_id"]: r for r in self.records if r.get("message") == "subnet_report"}

    def health(self) -> dict[str, Any]:
        return next(r for r in self.records if "_aws" in r)


Invoke = Callable[..., Invocation]


@pytest.fixture
def invoke(aws: boto3.Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Invoke]:
    """Invoke the real handler as Lambda would, with the environment the stack renders from
    ``config``; returns its result and the JSON lines it logged. The handler's clients are
    built fresh for the test (``handler._clients()`` gives them, to hook faults into)."""
    handler._clients.cache_clear()
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "subnet-monitor")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Custom/VPC")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")

    def run(config: ScanConfig | None = None, env: dict[str, str] | None = None) -> Invocation:
        handler._config.cache_clear()
        for name, value in (env if env is not None else (config or ScanConfig()).to_env()).items():
            monkeypatch.setenv(name, value)
        # The logger's stream was bound at import; point it at the stdout capsys captures now.
        monkeypatch.setattr(handler.logger.registered_handler, "stream", sys.stdout)
        summary = handler.lambda_handler({"source": "aws.scheduler"}, LambdaContext())
        out = capsys.readouterr().out
        return Invocation(summary, [json.loads(line) for line in out.splitlines() if line.startswith("{")])

    yield run
    handler._clients.cache_clear()
    handler._config.cache_clear()
