"""The scan, end to end: discover → read EC2 state → analyse → publish.

The Lambda handler and the CLI are two thin doors into :func:`run_scan`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from subnet_monitor.aws.batching import Progress, concurrently
from subnet_monitor.aws.clients import AWS_ERRORS, AwsClients
from subnet_monitor.aws.cloudwatch import MetricHistory, MetricPublisher, PublishResult
from subnet_monitor.aws.ec2 import Ec2Reader
from subnet_monitor.aws.ecs import EcsDiscoverer
from subnet_monitor.aws.eks import EksDiscoverer
from subnet_monitor.aws.risk import HistoryRecords, UnreadRecordsError
from subnet_monitor.core.capacity import limits_from_instance_type
from subnet_monitor.core.cni import ResolvedCni, resolve_cni
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.consumers import (
    SubnetAddressUse,
    addresses_by_instance,
    summarize_by_subnet,
    vpc_cni_instances,
)
from subnet_monitor.core.forecast import Series
from subnet_monitor.core.fragmentation import PrefixSpace, prefix_space, reservations_by_type
from subnet_monitor.core.gaps import (
    ENI_FIGURES,
    FREE_PREFIX_BLOCKS,
    HEADROOM,
    HOURS_TO_EXHAUSTION,
    LARGEST_FREE_BLOCK,
    with_gaps,
)
from subnet_monitor.core.headroom import CapacityInputs, plan_capacity
from subnet_monitor.core.history import PERIOD_SECONDS, WINDOW_SECONDS, with_point
from subnet_monitor.core.metrics import AVAILABLE_IP_COUNT, subnet_datums
from subnet_monitor.core.models import (
    Discovery,
    FargateProfileSpec,
    HealthIssue,
    NodegroupSpec,
    Role,
    ScanError,
    SubnetCapacity,
    SubnetReport,
    SubnetState,
    SubnetUse,
)
from subnet_monitor.core.subnet import sort_for_people, usable_ips
from subnet_monitor.core.verdict import build_report
from subnet_monitor.core.whatif import Change, Target, WhatIf, WhatIfOutcome, apply, cni_after, compare, resolve
from subnet_monitor.failures.health import with_health_findings


@dataclass
class ScanOutcome:
    reports: list[SubnetReport]
    errors: list[ScanError]
    timestamp: datetime
    duration_ms: float = 0.0
    published: PublishResult | None = None
    status_counts: Counter[str] = field(default_factory=Counter)
    # EKS health issues about addresses: findings of their subnets, and events for the failure path.
    health_issues: list[HealthIssue] = field(default_factory=list)
    # With what-ifs: the changes and the subnets they reach; ``reports`` are then the after-state.
    what_if: WhatIfOutcome | None = None

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


def discover(clients: AwsClients, config: ScanConfig, reader: Ec2Reader, progress: Progress | None = None) -> Discovery:
    """The subnets ECS and EKS use, plus the explicitly listed ones, with roles and workloads.

    ECS and EKS are discovered side by side, each into a part of its own, merged ECS first."""
    found = Discovery()
    allow = frozenset(config.clusters)
    discoverers = []
    if config.discover_ecs:
        ecs = EcsDiscoverer(clients.ecs, clients.autoscaling, clients.application_autoscaling, reader, progress)
        discoverers.append(ecs.discover)
    if config.discover_eks:
        discoverers.append(EksDiscoverer(clients.eks, reader, progress).discover)

    def run(discoverer: Any) -> tuple[Discovery, set[str]]:
        part = Discovery()
        return part, discoverer(part, allow)

    scanned: set[str] = set()
    for done in concurrently(run, discoverers):
        part, names = done.value or (Discovery(), set())
        found.merge(part)
        scanned |= names
    for name in sorted(allow - scanned):
        found.fail("discovery", name, "cluster not found in ECS or EKS in this region")
    found.add_all(config.subnet_ids, Role.EXPLICIT)
    return found


def measure(found: Discovery, config: ScanConfig, reader: Ec2Reader) -> dict[str, SubnetState]:
    """EC2 state of every selected subnet; a subnet asked for but not found is an error."""
    unread: set[str] = set()

    def batch_failed(subnet_ids: Sequence[str], error: Exception) -> None:
        unread.update(subnet_ids)
        found.fail("ec2", _batch_target("DescribeSubnets", subnet_ids), error)

    states: dict[str, SubnetState] = {}
    if config.all_subnets:
        try:
            states = reader.all_subnets()
        except AWS_ERRORS as error:
            found.fail("ec2", "DescribeSubnets (all subnets)", error)
            return {}
    else:
        states = reader.subnets(found.uses, on_error=batch_failed)
    if config.subnet_tags:
        try:
            tagged = reader.subnets_matching(config.subnet_tags)
        except AWS_ERRORS as error:
            found.fail("ec2", "DescribeSubnets (subnetTags)", error)
        else:
            for subnet_id in tagged:
                found.add(subnet_id, Role.EXPLICIT)
            states.update(tagged)
    for subnet_id in sorted(set(found.uses) - set(states) - unread):
        found.fail("ec2", subnet_id, "subnet not found in this account and region (or it has no IPv4 CIDR)")
    return states


@dataclass
class Assessed:
    """The capacity model's answer, and with what-ifs the answer after them and the changes."""

    capacities: dict[str, SubnetCapacity]
    after: dict[str, SubnetCapacity] | None = None
    changes: tuple[Change, ...] = ()
    # The forecast's history as read (addresses in use per subnet), and when the scan measured.
    history: dict[str, Series] = field(default_factory=dict)
    now: float = 0.0


def assess(
    clients: AwsClients,
    found: Discovery,
    states: dict[str, SubnetState],
    config: ScanConfig,
    reader: Ec2Reader,
    *,
    what_if: Sequence[Target] = (),
    kept: HistoryRecords | None = None,
) -> Assessed:
    """The capacity model's inputs, read in batches (ENIs 200 subnets a call, instance types 100 a
    call, history 500 subnets a call; CIDR reservations one call per prefix-delegation subnet, the
    only per-subnet call), then the pure model. A read that fails is recorded and the model runs on
    what was read. With what-ifs the model runs a second time over the same reads, with the changes
    (core.whatif); the /28 search also covers the subnets a what-if turns prefix delegation on in."""
    now = datetime.now(UTC)
    subnet_ids = sorted(states)
    cni = _cni(found, config)
    unread: set[str] = set()

    def enis_failed(batch: Sequence[str], error: Exception) -> None:
        unread.update(batch)
        found.fail("ec2", _batch_target("DescribeNetworkInterfaces", batch), error)
        found.missing("ec2:DescribeNetworkInterfaces", error, ENI_FIGURES, subnets=batch)
        # What EKS node groups and Fargate profiles hold now, and prefix mode, are read from their ENIs.
        eks = [w for w, spec in found.specs.items() if isinstance(spec, NodegroupSpec | FargateProfileSpec)]
        touched = [w for w in eks if (set(found.specs[w].subnets) | found.pod_subnets.get(w, set())) & set(batch)]
        found.missing("ec2:DescribeNetworkInterfaces", error, HEADROOM, workloads=touched)

    enis = reader.network_interfaces(subnet_ids, on_error=enis_failed)
    address_use = summarize_by_subnet(enis, cni_instances=vpc_cni_instances(enis))
    instance_addresses = addresses_by_instance(enis)
    del enis  # the largest thing a scan holds: gone before the history is read
    prefixed = _prefix_subnets(found, address_use, cni)
    prefixed_after = _prefix_subnets(found, address_use, cni_after(what_if, cni), what_if) if what_if else prefixed
    # A subnet whose ENIs were not read would look all free: no /28 search there.
    prefix_spaces = _prefix_spaces(found, states, address_use, (prefixed | prefixed_after) - unread, reader)
    instance_types = {
        t for spec in found.specs.values() if isinstance(spec, NodegroupSpec) for t in spec.instance_types
    }
    limits = {}
    if instance_types:
        try:
            limits = {
                name: limits_from_instance_type(entry) for name, entry in reader.instance_types(instance_types).items()
            }
        except AWS_ERRORS as error:
            found.fail("ec2", "DescribeInstanceTypes", error)
            nodegroups = [w for w, spec in found.specs.items() if isinstance(spec, NodegroupSpec)]
            found.missing("ec2:DescribeInstanceTypes", error, HEADROOM, workloads=nodegroups)
    history = _history(clients, found, states, subnet_ids, now=now, kept=kept)
    inputs = CapacityInputs(
        discovery=found,
        states=states,
        address_use=address_use,
        instance_addresses=instance_addresses,
        instance_limits=limits,
        cni={cluster: resolved.settings for cluster, resolved in cni.items()},
        cni_resolved=cni,
        fargate_max_pods=config.fargate_max_pods,
        prefix_spaces={s: space for s, space in prefix_spaces.items() if s in prefixed},
        history=history,
        now=now.timestamp(),
        horizon_hours=config.exhaustion_horizon_hours,
        min_free_prefix_blocks=config.min_free_prefix_blocks,
    )
    assessed = Assessed(plan_capacity(inputs), history=history, now=now.timestamp())
    if what_if:
        spaces_after = {s: space for s, space in prefix_spaces.items() if s in prefixed_after}
        after, assessed.changes = apply(what_if, replace(inputs, prefix_spaces=spaces_after))
        assessed.after = plan_capacity(after)
    return assessed


def _history(
    clients: AwsClients,
    found: Discovery,
    states: Mapping[str, SubnetState],
    subnet_ids: Sequence[str],
    *,
    now: datetime,
    kept: HistoryRecords | None,
) -> dict[str, Series]:
    """Addresses in use per subnet over the window: what the collector kept (``kept``), and from CloudWatch
    what it did not keep yet (every subnet when run by hand, or on the collector's first scan)."""
    available: dict[str, Series] = {}
    if kept is not None:
        try:
            stored = kept.load(now.timestamp())
            # Taken out of what was read, so converting them below leaves one copy of each, not two.
            available = {subnet_id: stored.pop(subnet_id) for subnet_id in subnet_ids if subnet_id in stored}
            del stored
        except (*AWS_ERRORS, UnreadRecordsError) as error:
            found.fail("dynamodb", "read the forecast's history", error)
    missing = [subnet_id for subnet_id in subnet_ids if subnet_id not in available]
    if missing:
        try:
            available.update(
                MetricHistory(clients.cloudwatch).series(
                    AVAILABLE_IP_COUNT, missing, now - timedelta(seconds=WINDOW_SECONDS), now, PERIOD_SECONDS
                )
            )
        except AWS_ERRORS as error:
            found.fail("cloudwatch", "GetMetricData (history)", error)
            # Run by hand, every subnet's history was asked for; the collector, only the ones it did not keep.
            where = {"everywhere": True} if kept is None else {"subnets": missing}
            found.missing("cloudwatch:GetMetricData", error, (HOURS_TO_EXHAUSTION,), **where)
    # Used = usable - available, one subnet at a time in place (720,000 points at 10,000 subnets).
    for subnet_id, points in available.items():
        usable = usable_ips(states[subnet_id].cidr)
        available[subnet_id] = points.map_values(lambda value, usable=usable: usable - value)
    return available


def keep_history(kept: HistoryRecords, assessed: Assessed, reports: Sequence[SubnetReport]) -> None:
    """Add this scan's free addresses to the history it read and save it for the next scan.

    Raises
    ------
    ClientError, BotoCoreError
        when DynamoDB could not be asked.
    """
    histories = {}
    for report in reports:
        # Taken out as it is converted, so the scan never holds two copies of 10,000 subnets' history.
        used = assessed.history.pop(report.subnet_id, None)
        available = used.map_values(lambda value, usable=report.usable_ips: usable - value) if used else None
        histories[report.subnet_id] = with_point(available, assessed.now, report.available_ips)
    kept.save(histories, assessed.now)


def _prefix_spaces(
    found: Discovery,
    states: Mapping[str, SubnetState],
    address_use: Mapping[str, SubnetAddressUse],
    subnet_ids: set[str],
    reader: Ec2Reader,
) -> dict[str, PrefixSpace]:
    """The /28 search of each subnet, with its CIDR reservations (one call a subnet, the calls side
    by side); a subnet whose reservations could not be read is left out, its gap recorded."""
    spaces = {}
    for done in concurrently(reader.cidr_reservations, sorted(subnet_ids), catch=AWS_ERRORS):
        subnet_id, error = done.item, done.error
        use = address_use.get(subnet_id)
        if error is None:
            explicit, prefix = reservations_by_type(done.value or [])
        else:
            found.fail("ec2", f"GetSubnetCidrReservations {subnet_id}", error)
            found.missing(
                "ec2:GetSubnetCidrReservations", error, (FREE_PREFIX_BLOCKS, LARGEST_FREE_BLOCK), subnets=[subnet_id]
            )
            continue
        spaces[subnet_id] = prefix_space(
            states[subnet_id].cidr,
            use.ips if use else (),
            use.prefixes if use else (),
            explicit_reservations=explicit,
            prefix_reservations=prefix,
        )
    return spaces


def _batch_target(operation: str, subnet_ids: Sequence[str]) -> str:
    return f"{operation} for {len(subnet_ids)} subnets ({subnet_ids[0]}..{subnet_ids[-1]})"


def _cni(found: Discovery, config: ScanConfig) -> dict[str, ResolvedCni]:
    """Each cluster's CNI settings: the config block over its vpc-cni add-on over the defaults."""
    clusters = sorted(set(config.cni) | set(found.cni_addons))
    return {name: resolve_cni(name, config.cni.get(name), found.cni_addons.get(name)) for name in clusters}


def _prefix_subnets(
    found: Discovery,
    address_use: Mapping[str, SubnetAddressUse],
    cni: Mapping[str, ResolvedCni],
    what_if: Sequence[Target] = (),
) -> set[str]:
    """Subnets that hand out /28 prefixes: seen on their ENIs, or node subnets of a cluster
    running prefix delegation (configured, or set on its vpc-cni add-on). A what-if that sets
    prefixDelegation for a cluster decides for its node groups' subnets, whatever their ENIs show."""
    given = {t.what_if.name for t in what_if if t.what_if.kind == "cluster" and t.what_if.key == "prefixDelegation"}
    configured = {cluster for cluster, resolved in cni.items() if resolved.settings.prefix_delegation}
    decided: set[str] = set()
    for workload, spec in found.specs.items():
        if isinstance(spec, NodegroupSpec) and workload.cluster in given:
            decided.update(spec.subnets, found.pod_subnets.get(workload, ()))
    seen = {subnet_id for subnet_id, use in address_use.items() if use.prefixes and subnet_id not in decided}
    for workload, spec in found.specs.items():
        if isinstance(spec, NodegroupSpec) and workload.cluster in configured:
            seen.update(spec.subnets, found.pod_subnets.get(workload, ()))
    return seen


def run_scan(
    clients: AwsClients,
    config: ScanConfig,
    *,
    publish: bool,
    what_if: Sequence[WhatIf] = (),
    progress: Progress | None = None,
    kept: HistoryRecords | None = None,
) -> ScanOutcome:
    """Discover, measure and judge every subnet in use; publish the metrics when asked.

    A failing cluster, service or API call is recorded in the outcome's ``errors``; it never
    loses the results of the others. With ``what_if`` (parsed ``--what-if`` specs) the reports are
    the estate after those changes and ``outcome.what_if`` holds each reached subnet before and after;
    nothing is published then (the metrics are the estate's, never a what-if's). ``progress``, when
    given, is told how the longest reads go (what, done, of how many: the ECS and EKS clusters, the
    ENI reads), on the scan's own thread.

    Raises
    ------
    ConfigError
        keyed ``--what-if`` when a what-if names a workload the scan did not find (checked before the
        subnets are read).
    ValueError
        when asked to publish a what-if.
    """
    if publish and what_if:
        raise ValueError("a what-if is never published: its figures are not the estate's")
    started = time.perf_counter()
    timestamp = datetime.now(UTC).replace(microsecond=0)
    reader = Ec2Reader(clients.ec2, progress)
    found = discover(clients, config, reader, progress)
    targets = resolve(what_if, found)
    states = measure(found, config, reader)
    assessed = assess(clients, found, states, config, reader, what_if=targets, kept=kept) if states else Assessed({})
    reports = _reports(assessed.after if assessed.after is not None else assessed.capacities, found, states, config)
    outcome = ScanOutcome(reports=reports, errors=found.errors, timestamp=timestamp, health_issues=found.health_issues)
    if what_if:
        before = _reports(assessed.capacities, found, states, config)
        outcome.what_if = compare(assessed.changes, before, reports)
    outcome.status_counts = Counter(str(report.status) for report in reports)
    if publish:
        datums = subnet_datums(reports, timestamp, config.metrics)
        outcome.published = MetricPublisher(clients.cloudwatch).publish(datums)
        outcome.errors.extend(outcome.published.errors)
        if kept is not None and reports:
            try:
                keep_history(kept, assessed, reports)
            except AWS_ERRORS as error:
                outcome.errors.append(
                    ScanError(source="dynamodb", target="keep the forecast's history", message=str(error))
                )
    outcome.duration_ms = (time.perf_counter() - started) * 1000
    return outcome


def _reports(
    capacities: Mapping[str, SubnetCapacity], found: Discovery, states: Mapping[str, SubnetState], config: ScanConfig
) -> list[SubnetReport]:
    """Every measured subnet judged, with its capacity, health findings and gaps, fullest first."""
    capacities = with_health_findings(capacities, found.health_issues, states)
    capacities = with_gaps(capacities, found, states)
    return sort_for_people(
        [
            build_report(state, found.uses.get(subnet_id, SubnetUse()), config, capacities.get(subnet_id))
            for subnet_id, state in states.items()
        ]
    )
