"""The boto3 clients a scan uses, built in one place with one retry policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Adaptive retry mode adds client-side rate limiting on throttling errors.
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
RETRY_MAX_ATTEMPTS = 10  # the first try included
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": RETRY_MAX_ATTEMPTS},
    user_agent_extra="subnet-ip-monitor",
)


@dataclass(frozen=True)
class AwsClients:
    """Clients for one account/region. Tests build it from moto-backed clients."""

    ec2: BaseClient
    ecs: BaseClient
    eks: BaseClient
    autoscaling: BaseClient
    application_autoscaling: BaseClient
    cloudwatch: BaseClient
    # The scan puts its EKS health events on the default bus (subnet_monitor.failures.health_events).
    events: BaseClient

    @classmethod
    def from_session(cls, session: boto3.Session | None = None, **client_kwargs: Any) -> AwsClients:
        """Build every client from one session. boto3 honours ``AWS_ENDPOINT_URL``, so the CLI and
        the demo reach a local endpoint without code of their own."""
        session = session or boto3.Session()

        def make(service: str) -> BaseClient:
            return session.client(service, config=CLIENT_CONFIG, **client_kwargs)

        return cls(
            ec2=make("ec2"),
            ecs=make("ecs"),
            eks=make("eks"),
            autoscaling=make("autoscaling"),
            application_autoscaling=make("application-autoscaling"),
            cloudwatch=make("cloudwatch"),
            events=make("events"),
        )
