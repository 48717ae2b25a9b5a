"""The scan, end to end: discover → read EC2 state → analyse → publish.

The Lambda handler and the CLI are two thin doors into :func:`run_scan`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from subnet_monitor.analysis import build_report, sort_for_people
from subnet_monitor.aws_clients import AwsClients
from subnet_monitor.aws_cloudwatch import MetricPublisher, PublishResult
from subnet_monitor.aws_ec2 import Ec2Reader
from subnet_monitor.aws_ecs import EcsDiscoverer
from subnet_monitor.aws_eks import EksDiscoverer
from subnet_monitor.config import ScanConfig
from subnet_monitor.metrics import subnet_datums
from subnet_monitor.models import Discovery, Role, ScanError, SubnetReport, SubnetState, SubnetUse


@dataclass
class ScanOutcome:
    reports: list[SubnetReport]
    errors: list[ScanError]
    timestamp: datetime
    duration_ms: float = 0.0
    published: PublishResult | None = None
    status_counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        """The short result the Lambda returns: counts, and what went wrong or was not published."""
        summary: dict[str, Any] = {
            "subnets": len(self.reports),
            "status": {status: self.status_counts.get(status, 0) for status in ("OK", "WARNING", "CRITICAL")},
            "errors": [error.to_dict() for error in self.errors],
            "duration_ms": round(self.duration_ms, 1),
        }
        if self.published is not None:
            summary["metrics_published"] = self.published.datums_sent
            summary["metrics_not_published"] = self.published.datums_failed
        return summary


def discover(clients: AwsClients, config: ScanConfig, reader: Ec2Reader) -> Discovery:
    """The subnets ECS and EKS use, plus the explicitly listed ones, with roles and workloads."""
    found = Discovery()
    allow = frozenset(config.clusters)
    scanned: set[str] = set()
    if config.discover_ecs:
        scanned |= EcsDiscoverer(clients.ecs, clients.autoscaling, clients.application_autoscaling, reader).discover(
            found, allow
        )
    if config.discover_eks:
        scanned |= EksDiscoverer(clients.eks, reader).discover(found, allow)
    for name in sorted(allow - scanned):
        found.fail("discovery", name, "cluster not found in ECS or EKS in this region")
    found.add_all(config.subnet_ids, Role.EXPLICIT)
    return found


def measure(found: Discovery, config: ScanConfig, reader: Ec2Reader) -> dict[str, SubnetState]:
    """EC2 state of every selected subnet; a subnet asked for but not found is an error."""
    unread: set[str] = set()

    def batch_failed(subnet_ids: Sequence[str], error: Exception) -> None:
        unread.update(subnet_ids)
        found.fail("ec2", f"DescribeSubnets for {len(subnet_ids)} subnets ({subnet_ids[0]}..{subnet_ids[-1]})", error)

    states: dict[str, SubnetState] = {}
    if config.all_subnets:
        try:
            states = reader.all_subnets()
        except (ClientError, BotoCoreError) as error:
            found.fail("ec2", "DescribeSubnets (all subnets)", error)
            return {}
    else:
        states = reader.subnets(found.uses, on_error=batch_failed)
    if config.subnet_tags:
        try:
            tagged = reader.subnets_matching(config.subnet_tags)
        except (ClientError, BotoCoreError) as error:
            found.fail("ec2", "DescribeSubnets (subnetTags)", error)
        else:
            for subnet_id in tagged:
                found.add(subnet_id, Role.EXPLICIT)
            states.update(tagged)
    for subnet_id in sorted(set(found.uses) - set(states) - unread):
        found.fail("ec2", subnet_id, "subnet not found in this account and region (or it has no IPv4 CIDR)")
    return states


def run_scan(clients: AwsClients, config: ScanConfig, *, publish: bool) -> ScanOutcome:
    """Discover, measure and judge every subnet in use; publish the metrics when asked.

    A failing cluster, service or API call is recorded in the outcome's ``errors``; it never
    loses the results of the others.
    """
    started = time.perf_counter()
    timestamp = datetime.now(UTC).replace(microsecond=0)
    reader = Ec2Reader(clients.ec2)
    found = discover(clients, config, reader)
    states = measure(found, config, reader)
    reports = sort_for_people(
        [build_report(state, found.uses.get(subnet_id, SubnetUse()), config) for subnet_id, state in states.items()]
    )
    outcome = ScanOutcome(reports=reports, errors=found.errors, timestamp=timestamp)
    outcome.status_counts = Counter(str(report.status) for report in reports)
    if publish:
        outcome.published = MetricPublisher(clients.cloudwatch).publish(subnet_datums(reports, timestamp))
        outcome.errors.extend(outcome.published.errors)
    outcome.duration_ms = (time.perf_counter() - started) * 1000
    return outcome
