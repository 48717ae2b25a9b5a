"""The boto3 clients a scan uses, built in one place with one retry policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.utils import parse_timestamp

from subnet_monitor.aws.batching import MAX_IN_FLIGHT

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Adaptive retry mode adds client-side rate limiting on throttling errors.
# https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
RETRY_MAX_ATTEMPTS = 10  # the first try included
# One connection for each read a client can have in flight (botocore keeps 10 by default and drops
# the connections past them after use, warning "Connection pool is full").
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": RETRY_MAX_ATTEMPTS},
    user_agent_extra="subnet-ip-monitor",
    max_pool_connections=MAX_IN_FLIGHT,
)


# What a failed AWS call raises: the service said no (ClientError) or the call never completed
# (BotoCoreError: no credentials, no region, a connection or read timeout). Every reader catches these.
AWS_ERRORS = (ClientError, BotoCoreError)


def utc_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, minus its cost for epoch numbers.

    CloudWatch answers in Smithy RPC v2 CBOR, whose timestamps are epoch seconds; botocore turns each
    into a datetime through dateutil's pure-Python ``tzutc`` (~20 µs). The forecast's history is 72
    of them per subnet per scan (720,000 at 10,000 subnets, ~15 s of CPU), so epoch numbers go
    through the standard library's UTC instead: the same instant, the same aware datetime. Anything
    else is left to botocore.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return parse_timestamp(value)


@dataclass(frozen=True)
class AwsClients:
    """Clients for one account/region. Tests build it from moto-backed clients."""

    ec2: BaseClient
    ecs: BaseClient
    eks: BaseClient
    autoscaling: BaseClient
    application_autoscaling: BaseClient
    cloudwatch: BaseClient
    # The scan puts its EKS health events on the default bus (subnet_monitor.failures.health.health_events).
    events: BaseClient

    @classmethod
    def for_profile(cls, profile: str | None = None, region: str | None = None) -> AwsClients:
        """The CLI's clients: a named profile and region, or the default chain for either."""
        return cls.from_session(boto3.Session(profile_name=profile, region_name=region))

    @classmethod
    def from_session(cls, session: boto3.Session | None = None, **client_kwargs: Any) -> AwsClients:
        """Build every client from one session. boto3 honours ``AWS_ENDPOINT_URL``, so the CLI and
        the demo reach a local endpoint without code of their own."""
        session = session or boto3.Session()
        # boto3 offers no per-client parser option; the parser defaults live on the botocore session.
        session._session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)

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
