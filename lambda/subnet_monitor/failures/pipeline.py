"""The failure path, end to end: read the events → find their subnets → count every failure in
``IPExhaustionFailures`` → notify once per subnet per window.

The event function is a thin door into :func:`handle_failures`. A record that cannot be read, a
subnet that cannot be described, a notification that cannot be sent: each is recorded, and the rest
of the batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.cloudwatch import MetricPublisher, PublishResult
from subnet_monitor.aws.ec2 import Ec2Reader
from subnet_monitor.aws.failures import (
    FailureClients,
    NotificationGate,
    TopicNotifier,
    interface_subnets,
)
from subnet_monitor.core.config import FailureConfig
from subnet_monitor.core.models import ScanError, SubnetState
from subnet_monitor.failures.events import parse_records
from subnet_monitor.failures.notify import dedup_key, failure_datums, notification, with_interface_subnets
from subnet_monitor.failures.records import Failure, Parsed

SECONDS_PER_MINUTE = 60
NOTIFIED = "notified"
SUPPRESSED = "suppressed"  # another notification for the same subnet went out within the window
NOT_SENT = "not_sent"


@dataclass
class FailureOutcome:
    parsed: Parsed
    states: dict[str, SubnetState] = field(default_factory=dict)
    # Per failure (same order as parsed.failures): notified, suppressed or not_sent.
    notifications: list[str] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    notification_errors: int = 0
    published: PublishResult | None = None

    @property
    def unparsed_count(self) -> int:
        """Records that could not be read, and failures that name no subnet (``UnparsedEvents``)."""
        return len(self.parsed.unparsed) + len(self.parsed.without_subnet)

    def summary(self) -> dict[str, Any]:
        return {
            "failures": len(self.parsed.failures),
            "subnets": sorted({f.subnet_id for f in self.parsed.failures if f.subnet_id}),
            "notified": self.notifications.count(NOTIFIED),
            "suppressed": self.notifications.count(SUPPRESSED),
            "ignored": len(self.parsed.ignored),
            "unparsed": self.unparsed_count,
            "metrics_published": self.published.datums_sent if self.published else 0,
            "errors": [error.to_dict() for error in self.errors],
        }


def handle_failures(
    payload: Any,
    clients: FailureClients,
    config: FailureConfig,
    *,
    topic_arn: str,
    table_name: str,
    now: float,
) -> FailureOutcome:
    """Count and notify every failure in ``payload`` (an EventBridge event or a batch of them)."""
    outcome = FailureOutcome(parsed=parse_records(payload))
    failures = outcome.parsed.failures
    if config.cloudtrail:
        failures = outcome.parsed.failures = _attribute_interfaces(clients, failures, outcome.errors)
    subnet_ids = {failure.subnet_id for failure in failures if failure.subnet_id}
    if subnet_ids:
        outcome.states = Ec2Reader(clients.ec2).subnets(
            subnet_ids,
            on_error=lambda batch, error: outcome.errors.append(
                ScanError(source="ec2", target=f"DescribeSubnets for {len(batch)} subnets", message=str(error))
            ),
        )
    timestamp = datetime.fromtimestamp(now, UTC).replace(microsecond=0)
    outcome.published = MetricPublisher(clients.cloudwatch).publish(failure_datums(failures, timestamp))
    outcome.errors.extend(outcome.published.errors)
    gate = NotificationGate(clients.dynamodb, table_name, config.window_minutes * SECONDS_PER_MINUTE)
    notifier = TopicNotifier(clients.sns, topic_arn)
    _notify(outcome, gate, notifier, config, now)
    return outcome


def _attribute_interfaces(clients: FailureClients, failures: list[Failure], errors: list[ScanError]) -> list[Failure]:
    """CloudTrail's AssignPrivateIpAddresses names a network interface, not a subnet: read its subnet."""
    wanted = [
        f.details["network_interface_id"] for f in failures if not f.subnet_id and "network_interface_id" in f.details
    ]
    if not wanted:
        return failures
    try:
        return with_interface_subnets(failures, interface_subnets(clients.ec2, wanted))
    except AWS_ERRORS as error:
        errors.append(
            ScanError(source="ec2", target=f"DescribeNetworkInterfaces for {len(wanted)} ENIs", message=str(error))
        )
        return failures


def _notify(
    outcome: FailureOutcome, gate: NotificationGate, notifier: TopicNotifier, config: FailureConfig, now: float
) -> None:
    read_at = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for failure in outcome.parsed.failures:
        key = dedup_key(failure)
        try:
            claimed = gate.claim(key, now)
        except AWS_ERRORS as error:
            # Without the gate, better a repeated notification than none.
            outcome.errors.append(ScanError(source="dynamodb", target=f"claim {key}", message=str(error)))
            claimed = True
        if not claimed:
            outcome.notifications.append(SUPPRESSED)
            continue
        subject, message, attributes = notification(
            failure,
            outcome.states.get(failure.subnet_id or ""),
            window_minutes=config.window_minutes,
            read_at=read_at,
        )
        try:
            notifier.publish(subject, message, attributes)
        except AWS_ERRORS as error:
            outcome.notifications.append(NOT_SENT)
            outcome.notification_errors += 1
            outcome.errors.append(ScanError(source="sns", target=f"Publish for {key}", message=str(error)))
            try:
                gate.release(key, now)
            except AWS_ERRORS as release_error:
                outcome.errors.append(ScanError(source="dynamodb", target=f"release {key}", message=str(release_error)))
            continue
        outcome.notifications.append(NOTIFIED)
