"""Per-subnet capacity: addresses needed at maximum scale, prefix fragmentation, consumers, forecast.

Pure: it combines what discovery and the EC2 reads found with the models in ``capacity``,
``fragmentation``, ``consumers`` and ``forecast``. Assumptions, each documented where it is made:

- a workload's *extra* addresses (at its maximum less what it holds now) are spread over its
  subnets the way AWS balances them, evenly by Availability Zone (``capacity.spread``);
- an ECS service reaches ``max(MaxCapacity or desiredCount)`` tasks and surges to
  ``maximumPercent`` of that during a rolling deployment; it holds ``runningCount`` addresses now;
- a managed node group reaches ``maxSize`` nodes, each running as many pods as its maxPods allows,
  with the VPC CNI's warm pool on top; it holds now what the ENIs attached to its instances hold;
  an instance type whose limits are unknown is reported, not guessed;
- under VPC CNI custom networking a node group's nodes take one address each from the node subnets
  and their pods take theirs from the pod subnets of the same zones;
- a Fargate profile reaches the configured maximum of pods, else stays where it is;
- an EKS Auto Mode node pool or an ECS Managed Instances capacity provider has no maximum the APIs
  give (``unbounded``): a subnet that carries one has no need at max, and a finding says why.

Longer than ~400 lines because the node group's need (plain and custom networking) shares the
planner's findings and details with the other workloads; a module of its own would import them back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from subnet_monitor.core.capacity import (
    ADDRESSES_PER_INSTANCE,
    HOST_NETWORK_PODS,
    CniSettings,
    InstanceNetworkLimits,
    custom_networking_limits,
    ecs_asg_addresses,
    ecs_service_addresses,
    eks_control_plane_shortfall,
    fargate_addresses,
    managed_node_allocation,
    max_pods,
    spread,
)
from subnet_monitor.core.cni import ResolvedCni
from subnet_monitor.core.consumers import DETACHED, EKS_FARGATE, SubnetAddressUse
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.forecast import hours_to_exhaustion
from subnet_monitor.core.fragmentation import (
    FEW_FREE_PREFIXES,
    FRAGMENTATION_FIX_URL,
    PrefixSpace,
    fragmentation_finding,
)
from subnet_monitor.core.models import (
    KIND_EKS_CLUSTER,
    KIND_EKS_TAGGED_SUBNET,
    AsgSpec,
    Discovery,
    EcsServiceSpec,
    FargateProfileSpec,
    NodegroupSpec,
    Role,
    SubnetCapacity,
    SubnetState,
    UnboundedSpec,
    Workload,
)
from subnet_monitor.core.subnet import usable_ips
from subnet_monitor.core.unbounded import unmodelled_finding

IPS_PER_PREFIX = 16
SECONDS_PER_HOUR = 3600

# Finding codes, one per kind of finding this module makes.
SHORT_AT_MAX = "headroom.short-at-max"
UNKNOWN_INSTANCE_TYPE = "headroom.unknown-instance-type"
LAUNCH_TEMPLATE_UNREADABLE = "headroom.launch-template-unreadable"
MAX_PODS_ASSUMED = "headroom.max-pods-assumed"
DETACHED_ENIS = "consumers.detached-enis"
FILLS_WITHIN_HORIZON = "forecast.fills-within-horizon"
POD_SUBNETS_UNKNOWN = "headroom.pod-subnets-unknown"
CUSTOM_NETWORKING_URL = "https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html"
# "status - The status of the network interface. If the network interface is not attached to an
# instance, the status is available." (the filter the detached-ENI fix uses)
DESCRIBE_NETWORK_INTERFACES_URL = (
    "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html"
)


@dataclass(frozen=True)
class CapacityInputs:
    """Everything the capacity model reads, gathered by the pipeline's adapters."""

    discovery: Discovery
    states: Mapping[str, SubnetState]
    address_use: Mapping[str, SubnetAddressUse]
    # Addresses (and /28 prefixes, 16 each) held now by the ENIs attached to each instance.
    instance_addresses: Mapping[str, int]
    instance_limits: Mapping[str, InstanceNetworkLimits]
    cni: Mapping[str, CniSettings] = field(default_factory=dict)
    # Per cluster, where each of those settings came from (the node groups' ``cni`` report field).
    cni_resolved: Mapping[str, ResolvedCni] = field(default_factory=dict)
    fargate_max_pods: Mapping[str, int] = field(default_factory=dict)
    prefix_spaces: Mapping[str, PrefixSpace] = field(default_factory=dict)
    # Used addresses per subnet from earlier scans, (epoch seconds, used), oldest first.
    history: Mapping[str, Sequence[tuple[float, float]]] = field(default_factory=dict)
    now: float = 0.0
    horizon_hours: float = 168.0
    min_free_prefix_blocks: int = 1
    # Clusters whose prefix_delegation setting holds as given, even where the ENIs show /28 prefixes
    # today: a what-if sets it (core.whatif), and asks about the nodes that run with it.
    prefix_delegation_given: frozenset[str] = frozenset()


@dataclass
class _Need:
    workload: Workload
    at_max: int
    now: int
    what: str


def plan_capacity(inputs: CapacityInputs) -> dict[str, SubnetCapacity]:
    """The capacity of every measured subnet."""
    zones = {subnet_id: state.availability_zone for subnet_id, state in inputs.states.items()}
    needed: dict[str, int] = defaultdict(int)
    shares: dict[str, list[tuple[_Need, int]]] = defaultdict(list)
    planner = _Planner(inputs, _held_by_owner(inputs))
    findings, details = planner.findings, planner.details
    unmodelled: set[str] = set()  # subnets of a workload whose maximum is not known

    for workload, spec in sorted(inputs.discovery.specs.items(), key=lambda item: item[0]):
        subnets = [s for s in spec.subnets if s in inputs.states]
        if not subnets:
            continue
        if isinstance(spec, UnboundedSpec):
            unmodelled.update(subnets)
            for subnet_id in subnets:
                findings[subnet_id].append(unmodelled_finding(workload))
            continue
        for need, targets in planner.needs(workload, spec, subnets):
            for subnet_id in targets:
                needed[subnet_id] += 0  # the subnet has a modelled workload, even one that needs nothing more
            for subnet_id, share in spread(max(need.at_max - need.now, 0), targets, zones).items():
                needed[subnet_id] += share
                shares[subnet_id].append((need, share))

    capacities = {}
    for subnet_id, state in inputs.states.items():
        notes = findings[subnet_id]
        if subnet_id in needed and needed[subnet_id] > state.available_ips:
            notes.extend(_shortfall(subnet_id, state.available_ips, needed[subnet_id], shares[subnet_id]))
        notes.extend(_control_plane(subnet_id, state, inputs.discovery))
        space = inputs.prefix_spaces.get(subnet_id)
        if space is not None:
            fragmented = fragmentation_finding(subnet_id, space)
            if fragmented:
                notes.append(fragmented)
            elif 0 < space.free_blocks < inputs.min_free_prefix_blocks:
                notes.append(
                    Finding(
                        code=FEW_FREE_PREFIXES,
                        severity=Severity.WARNING,
                        subject=subnet_id,
                        message=(
                            f"subnet {subnet_id}: {space.free_blocks} free /28 blocks left, below "
                            f"minFreePrefixBlocks ({inputs.min_free_prefix_blocks}): a prefix-delegation node "
                            "that needs more will fail with InsufficientCidrBlocks."
                        ),
                        fix="a subnet CIDR reservation of type prefix, or a new subnet",
                        source=FRAGMENTATION_FIX_URL,
                    )
                )
        use = inputs.address_use.get(subnet_id)
        detached = use.consumers.get(DETACHED, 0) if use is not None else 0
        if detached:
            notes.append(
                Finding(
                    code=DETACHED_ENIS,
                    severity=Severity.WARNING,
                    subject=subnet_id,
                    message=(
                        f"subnet {subnet_id}: {detached} addresses are held by detached network interfaces "
                        "(status available, attached to nothing)."
                    ),
                    fix=(
                        "find them with aws ec2 describe-network-interfaces --filters "
                        f"Name=subnet-id,Values={subnet_id} Name=status,Values=available, and delete the leftovers"
                    ),
                    source=DESCRIBE_NETWORK_INTERFACES_URL,
                )
            )
        hours = _forecast(subnet_id, state, inputs)
        if hours is not None and hours < inputs.horizon_hours:
            # The advice is part of the message: this sentence has always carried no "Fix:".
            notes.append(
                Finding(
                    code=FILLS_WITHIN_HORIZON,
                    severity=Severity.WARNING,
                    subject=subnet_id,
                    message=(
                        f"subnet {subnet_id} fills up in about {hours:.0f} h at the rate of the last scans "
                        f"({state.available_ips} free now): add addresses before then (a larger or extra subnet)"
                    ),
                )
            )
        capacities[subnet_id] = SubnetCapacity(
            ips_needed_at_max=None if subnet_id in unmodelled else needed.get(subnet_id),
            free_prefix_blocks=space.free_blocks if space is not None else None,
            largest_free_block=(
                f"/{space.largest_free_block_prefix}"
                if space is not None and space.largest_free_block_prefix is not None
                else None
            ),
            consumers=dict(use.consumers) if use is not None else {},
            hours_to_exhaustion=round(hours, 1) if hours is not None else None,
            findings=tuple(notes),
            workload_details={w: d for w, d in details.items() if w in inputs.discovery.uses[subnet_id].workloads}
            if subnet_id in inputs.discovery.uses
            else {},
        )
    return capacities


@dataclass
class _Planner:
    """What one workload needs at its maximum; collects workload details and findings on the way."""

    inputs: CapacityInputs
    held: Mapping[Workload, int]
    details: dict[Workload, dict[str, Any]] = field(default_factory=dict)
    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))

    def needs(self, workload: Workload, spec: Any, subnets: list[str]) -> list[tuple[_Need, list[str]]]:
        """What the workload needs at its maximum, and the subnets each part is spread over: one part
        in its own subnets, or, for a node group under custom networking, its nodes' own addresses in
        the node subnets and its pods' in the pod subnets (:func:`_custom_networking_needs`)."""
        if isinstance(spec, NodegroupSpec):
            return _nodegroup_needs(workload, spec, subnets, self)
        need = _need(workload, spec, subnets, self)
        return [(need, subnets)] if need is not None else []


def _need(workload: Workload, spec: Any, subnets: list[str], planner: _Planner) -> _Need | None:
    inputs = planner.inputs
    name = f"{workload.cluster}/{workload.name}"
    if isinstance(spec, EcsServiceSpec):
        tasks = spec.max_tasks if spec.max_tasks is not None else spec.desired
        at_max = ecs_service_addresses(tasks, spec.maximum_percent)
        return _Need(
            workload,
            at_max,
            spec.running,
            f"ECS service {name} needs {at_max} addresses at max ({tasks} tasks, "
            f"{spec.maximum_percent} % during a rolling deployment), runs {spec.running} now",
        )
    if isinstance(spec, AsgSpec):
        trunking = inputs.discovery.ecs_trunking
        at_max = ecs_asg_addresses(spec.max_size, trunking)
        now = ecs_asg_addresses(spec.instances, trunking)
        trunk = " with ENI trunking" if trunking else ""
        return _Need(
            workload,
            at_max,
            now,
            f"capacity provider {name} needs {at_max} addresses at MaxSize {spec.max_size}{trunk}",
        )
    if isinstance(spec, FargateProfileSpec):
        now = sum(inputs.address_use[s].consumers.get(EKS_FARGATE, 0) for s in subnets if s in inputs.address_use)
        maximum = inputs.fargate_max_pods.get(name)
        at_max = fargate_addresses(maximum) if maximum is not None else now
        return _Need(workload, at_max, now, f"Fargate profile {name} needs {at_max} addresses at {maximum} pods")
    return None


def _nodegroup_needs(
    workload: Workload, spec: NodegroupSpec, subnets: list[str], planner: _Planner
) -> list[tuple[_Need, list[str]]]:
    inputs, details, findings = planner.inputs, planner.details, planner.findings
    settings = inputs.cni.get(workload.cluster, CniSettings())
    resolved = inputs.cni_resolved.get(workload.cluster)
    # Custom networking: set on the CNI, or seen on the cluster's nodes (pod ENIs in other subnets).
    seen = workload.cluster in inputs.discovery.custom_networking_seen
    custom = seen or (resolved is not None and resolved.custom_networking)
    pod_subnets = _pod_subnets(inputs, workload, subnets) if custom else []
    # Prefix mode: configured for the cluster, or seen on the ENIs of the node group's (pod) subnets.
    prefixed = settings.prefix_delegation or (
        workload.cluster not in inputs.prefix_delegation_given
        and any(inputs.address_use[s].prefixes for s in (*subnets, *pod_subnets) if s in inputs.address_use)
    )
    known = [inputs.instance_limits[t] for t in spec.instance_types if t in inputs.instance_limits]
    details[workload] = {
        "instance_types": list(spec.instance_types),
        "max_pods_per_node": {
            limits.instance_type: {
                "secondary_ip": _max_pods(limits, False, custom),
                "prefix": _max_pods(limits, True, custom),
            }
            for limits in known
        },
    }
    if custom:
        details[workload]["pod_subnets"] = pod_subnets
    if resolved is not None:
        details[workload]["cni"] = resolved.report(prefixes_seen=prefixed, custom_networking_seen=seen)
        for subnet_id in subnets:
            findings[subnet_id].extend(f for f in resolved.findings if f not in findings[subnet_id])
    settings = replace(settings, prefix_delegation=prefixed)
    unknown = [t for t in spec.instance_types if t not in inputs.instance_limits]
    gap = _nodegroup_gap(workload, spec, unknown)
    if gap is not None:
        for subnet_id in subnets:
            findings[subnet_id].append(gap)
        return []
    if spec.custom_ami is not None and settings.max_pods is None:
        for subnet_id in subnets:
            findings[subnet_id].append(
                Finding(
                    code=MAX_PODS_ASSUMED,
                    severity=Severity.INFO,
                    subject=f"{workload.cluster}/{workload.name}",
                    message=(
                        f"node group {workload.cluster}/{workload.name} runs its own AMI ({spec.custom_ami}, launch "
                        f"template {spec.launch_template}), whose user data sets the kubelet's maxPods and is not "
                        "read: planned at the managed node group default (110, or 250 above 30 vCPUs)"
                    ),
                    fix=f"set maxPods in the cni block for cluster {workload.cluster} if the node group uses another",
                )
            )
    mode = "prefix delegation" if prefixed else "secondary IPs"
    if custom:
        return _custom_networking_needs(
            workload, spec, planner, subnets=subnets, pod_subnets=pod_subnets, known=known, settings=settings, mode=mode
        )
    # The node group may launch any of its types: plan for the one that takes the most addresses.
    # Managed node groups (without a custom AMI) cap maxPods at 110 below 30 vCPUs and 250 above,
    # in both modes (EKS user guide, choosing-instance-type.html), unless the config says otherwise.
    per_node = max(managed_node_allocation(limits, settings, spec.pods_per_node).addresses for limits in known)
    at_max = spec.max_size * per_node
    need = _Need(
        workload,
        at_max,
        planner.held.get(workload, 0),
        f"node group {workload.cluster}/{workload.name} needs {at_max} addresses at maxSize {spec.max_size} "
        f"({per_node} a node, {mode})",
    )
    return [(need, subnets)]


def _max_pods(limits: InstanceNetworkLimits, prefix_delegation: bool, custom_networking: bool) -> int:
    """:func:`max_pods`, with one ENI fewer under custom networking (2, host network only, when none is left)."""
    pod_limits = custom_networking_limits(limits) if custom_networking else limits
    return max_pods(pod_limits, prefix_delegation) if pod_limits is not None else HOST_NETWORK_PODS


def _pod_subnets(inputs: CapacityInputs, workload: Workload, node_subnets: list[str]) -> list[str]:
    """The measured pod subnets a node group's pods take addresses from under custom networking: those
    its own nodes' pod ENIs sit in, else those of the cluster's other nodes (ENIConfig is cluster-wide,
    one per zone), in the zones of its node subnets (the ENIConfig of the node's zone). Subnets tagged
    kubernetes.io/role/cni are left out: "Custom networking takes precedence" (cni-subnet-selection.html)."""
    found = inputs.discovery.pod_subnets
    own = found.get(workload, set())
    if not own:
        own = {
            s
            for w, held in found.items()
            if w.cluster == workload.cluster and w.kind != KIND_EKS_TAGGED_SUBNET
            for s in held
        }
    zones = {inputs.states[s].availability_zone for s in node_subnets}
    return sorted(s for s in own if s in inputs.states and inputs.states[s].availability_zone in zones)


def _custom_networking_needs(
    workload: Workload,
    spec: NodegroupSpec,
    planner: _Planner,
    *,
    subnets: list[str],
    pod_subnets: list[str],
    known: list[InstanceNetworkLimits],
    settings: CniSettings,
    mode: str,
) -> list[tuple[_Need, list[str]]]:
    """Custom networking: each node takes one address (its primary ENI's) from the node subnets, and its
    pod ENIs, with their secondary addresses or prefixes and warm pool, from the pod subnets of its zone
    (cni-custom-network.html); pods are planned on one ENI fewer (:func:`custom_networking_limits`).
    What the nodes hold now: one address each in the node subnets, the rest of what their ENIs hold in
    the pod subnets. Without a pod subnet the pods' addresses are not placed, and a finding says so."""
    name = f"{workload.cluster}/{workload.name}"
    nodes_now = sum(1 for owner in planner.inputs.discovery.instance_owners.values() if owner == workload)
    node_need = _Need(
        workload,
        spec.max_size * ADDRESSES_PER_INSTANCE,
        nodes_now,
        f"node group {name} needs {spec.max_size} node addresses at maxSize {spec.max_size} "
        "(custom networking: its pods take theirs from its pod subnets)",
    )
    if not pod_subnets:
        for subnet_id in subnets:
            planner.findings[subnet_id].append(
                Finding(
                    code=POD_SUBNETS_UNKNOWN,
                    severity=Severity.WARNING,
                    subject=name,
                    message=(
                        f"node group {name} runs VPC CNI custom networking, but no pod subnet of its zones was "
                        "found (no pod ENI of its nodes seen): its pods' addresses are not counted anywhere"
                    ),
                    fix="tag the ENIConfig subnets kubernetes.io/role/cni=1, or add them to subnetIds in the config",
                    source=CUSTOM_NETWORKING_URL,
                )
            )
        return [(node_need, subnets)]
    pod_limits = [p for p in map(custom_networking_limits, known) if p is not None]
    per_node = max((managed_node_allocation(p, settings, spec.pods_per_node).addresses for p in pod_limits), default=0)
    at_max = spec.max_size * per_node
    pod_need = _Need(
        workload,
        at_max,
        max(planner.held.get(workload, 0) - nodes_now, 0),
        f"node group {name}'s pods need {at_max} addresses at maxSize {spec.max_size} "
        f"({per_node} a node, {mode}, custom networking)",
    )
    return [(node_need, subnets), (pod_need, pod_subnets)]


def _nodegroup_gap(workload: Workload, spec: NodegroupSpec, unknown: list[str]) -> Finding | None:
    """Why a node group's headroom cannot be modelled, or ``None`` when it can: its launch template
    could not be read (or sets no instance type), no instance type is set at all, or EC2 does not
    know some of its types (named alone)."""
    subject = f"{workload.cluster}/{workload.name}"
    if not spec.instance_types and spec.launch_template is not None:
        return Finding(
            code=LAUNCH_TEMPLATE_UNREADABLE,
            severity=Severity.WARNING,
            subject=subject,
            message=(
                f"node group {subject}: its instance type is set in launch template {spec.launch_template}, which "
                "could not be read or sets none; its headroom is not modelled"
            ),
            fix="allow ec2:DescribeLaunchTemplateVersions to the collector, or check the launch template version",
        )
    if not spec.instance_types:
        reason = "no instance type is set (neither instanceTypes nor a launch template)"
    elif unknown:
        reason = f"instance type(s) {', '.join(unknown)} unknown to DescribeInstanceTypes"
    else:
        return None
    return Finding(
        code=UNKNOWN_INSTANCE_TYPE,
        severity=Severity.WARNING,
        subject=subject,
        message=f"node group {subject}: {reason}; its headroom is not modelled",
    )


def _held_by_owner(inputs: CapacityInputs) -> dict[Workload, int]:
    """Addresses the ENIs attached to each owner's instances hold now."""
    held: dict[Workload, int] = defaultdict(int)
    for instance_id, owner in inputs.discovery.instance_owners.items():
        held[owner] += inputs.instance_addresses.get(instance_id, 0)
    return held


def _shortfall(subnet_id: str, available: int, needed: int, shares: list[tuple[_Need, int]]) -> list[Finding]:
    biggest = sorted(shares, key=lambda item: -item[1])
    parts = "; ".join(f"{need.what}, {share} more of them here" for need, share in biggest if share)
    return [
        Finding(
            code=SHORT_AT_MAX,
            severity=Severity.ERROR,
            subject=subnet_id,
            message=(
                f"subnet {subnet_id}: workloads need {needed} more addresses to reach their maximum, {available} "
                f"are free (short by {needed - available}): {parts}."
            ),
            fix="add a subnet (or a larger one) to these workloads, or lower their maximum",
        )
    ]


def _control_plane(subnet_id: str, state: SubnetState, discovery: Discovery) -> list[Finding]:
    use = discovery.uses.get(subnet_id)
    if use is None or Role.EKS_CONTROL_PLANE not in use.roles:
        return []
    notes = []
    for workload in sorted(use.workloads):
        if workload.kind == KIND_EKS_CLUSTER:
            note = eks_control_plane_shortfall(workload.cluster, subnet_id, state.available_ips)
            if note:
                notes.append(note)
    return notes


def _forecast(subnet_id: str, state: SubnetState, inputs: CapacityInputs) -> float | None:
    usable = usable_ips(state.cidr)
    points = [*inputs.history.get(subnet_id, ()), (inputs.now, float(usable - state.available_ips))]
    return hours_to_exhaustion(points, usable)
