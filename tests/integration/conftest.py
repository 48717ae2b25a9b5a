"""moto-backed AWS for the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from subnet_monitor.aws_clients import AwsClients
from tests.integration.moto_estate import REGION, CallCounter, Vpc


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
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
