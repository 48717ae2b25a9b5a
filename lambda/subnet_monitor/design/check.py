"""Design rules for ECS/EKS addressing, checked on a plan or on the live estate. Pure: no AWS, no I/O.

Two doors lead to one :class:`Design`: :func:`design_from_plan` (a plan file, sized with the monitor's
own capacity model, :func:`subnet_monitor.core.headroom.plan_capacity`) and :func:`design_from_scan` (the
scan's reports plus VPC CIDRs, route tables and the clusters' service CIDRs). :func:`check_design`
then reports every rule as pass / warn / fail with the reason, the fix, and the source it follows.
The exit code of ``check`` is the worst result (:data:`EXIT_CODES`).

Rules and where they come from (:data:`RULES`):

- EKS service CIDR: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, between /24 and /12,
  overlapping no VPC CIDR (EKS API, ``KubernetesNetworkConfigRequest.serviceIpv4Cidr``), and
  preferably no peered or planned network (same page: "We recommend that you specify a block that
  does not overlap with resources in other networks that are peered or connected to your VPC").
  Not set: EKS assigns 10.100.0.0/16, or 172.20.0.0/16 when a VPC CIDR is in 10.0.0.0/8 (same page
  for the two blocks; amazon-eks-ami ``bootstrap.sh`` for the choice: ``TEN_RANGE`` over the VPC's
  ``vpc-ipv4-cidr-blocks``).
- EKS control plane: at least two subnets in different Availability Zones; each with 6 free
  addresses (16 recommended) and 5 for a version update (network-reqs.html, update-cluster.html,
  the numbers of :mod:`subnet_monitor.core.capacity`).
- Node, pod and task subnets: dedicated, private (required for Fargate pods), spread over two or
  more Availability Zones (three for ECS capacity providers), sized for the planned maximum with
  the safety margin, /28-aligned for prefix delegation; the pods planned per node fit maxPods
  together with the add-on DaemonSet pods.
- Overlaps: subnets inside their VPC, no two subnets overlapping, no VPC overlapping another or a
  peered/planned network.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from functools import cache
from typing import Any

from subnet_monitor.core.capacity import (
    EKS_CLUSTER_SUBNET_MIN_FREE_IPS,
    EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS,
    HOST_NETWORK_PODS,
    IPS_PER_PREFIX,
    CniSettings,
    NodeAllocation,
    eks_control_plane_finding,
    managed_node_allocation,
    recommended_max_pods,
    spread,
)
from subnet_monitor.core.consumers import (
    DETACHED,
    EC2_INSTANCE_PRIMARY,
    ECS_TASK,
    ECS_TRUNK,
    EKS_CONTROL_PLANE,
    EKS_FARGATE,
    EKS_NODE_POD,
    OTHER,
)
from subnet_monitor.core.fragmentation import prefix_space
from subnet_monitor.core.headroom import CapacityInputs, plan_capacity
from subnet_monitor.core.models import (
    KIND_ECS_CAPACITY_PROVIDER,
    KIND_ECS_SERVICE,
    KIND_EKS_CLUSTER,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    AsgSpec,
    ClusterDesign,
    Discovery,
    EcsServiceSpec,
    FargateProfileSpec,
    NodegroupSpec,
    Role,
    SubnetReport,
    SubnetState,
    Workload,
    WorkloadSpec,
)
from subnet_monitor.core.subnet import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN, usable_ips
from subnet_monitor.design.plan import Plan, PlannedEksCluster


class Result(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


SEVERITY = {Result.PASS: 0, Result.WARN: 1, Result.FAIL: 2}
# check's exit code is the worst result: 0 every rule passed, 1 a warning, 2 a failure. (2 is also
# what a plan or a flag that cannot be read gives, as for scan: in both cases, do not build.)
EXIT_CODES = {Result.PASS: 0, Result.WARN: 1, Result.FAIL: 2}

URL_EKS_SERVICE_CIDR = "https://docs.aws.amazon.com/eks/latest/APIReference/API_KubernetesNetworkConfigRequest.html"
URL_EKS_DEFAULT_SERVICE_CIDR = (
    "https://github.com/awslabs/amazon-eks-ami/blob/main/templates/al2/runtime/bootstrap.sh (DNS_CLUSTER_IP)"
)
URL_EKS_NETWORK_REQS = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"
URL_EKS_UPDATE = "https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html"
URL_EKS_FARGATE_SUBNETS = "https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateFargateProfile.html"
URL_EKS_MAX_PODS = "https://docs.aws.amazon.com/eks/latest/userguide/choosing-instance-type.html"
URL_ECS_AVAILABILITY = "https://aws.amazon.com/blogs/containers/amazon-ecs-availability-best-practices/"
URL_VPC_SUBNETS = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html"
URL_VPC_PEERING = "https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html"
URL_PREFIX_FRAGMENTATION = "https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses-procedure.html"
URL_CAPACITY_MODEL = "README.md, Capacity (the monitor's headroom model)"

# rule id -> (what it checks, where the rule comes from)
RULES: dict[str, tuple[str, str]] = {
    "eks-service-cidr-range": (
        "EKS service CIDR inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (the default when none is set)",
        f"{URL_EKS_SERVICE_CIDR}; default: {URL_EKS_DEFAULT_SERVICE_CIDR}",
    ),
    "eks-service-cidr-size": ("EKS service CIDR between /24 and /12", URL_EKS_SERVICE_CIDR),
    "eks-service-cidr-vpc-overlap": (
        "EKS service CIDR overlaps no VPC CIDR, primary or secondary",
        URL_EKS_SERVICE_CIDR,
    ),
    "eks-service-cidr-peered-overlap": (
        "EKS service CIDR overlaps no peered or planned network",
        URL_EKS_SERVICE_CIDR,
    ),
    "eks-control-plane-subnets": ("EKS control plane: at least two subnets, in different AZs", URL_EKS_NETWORK_REQS),
    "eks-control-plane-free-ips": (
        f"EKS control-plane subnets keep {EKS_CLUSTER_SUBNET_MIN_FREE_IPS} free addresses "
        f"({EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS} recommended) at maximum scale",
        f"{URL_EKS_NETWORK_REQS}; {URL_EKS_UPDATE}",
    ),
    "eks-node-pods": ("pods planned per node fit maxPods with the add-on pods every node runs", URL_EKS_MAX_PODS),
    "subnet-dedicated": (
        "node, pod, task and control-plane subnets are not shared with unrelated consumers",
        URL_EKS_NETWORK_REQS,
    ),
    "subnet-private": (
        "node, pod and task subnets are private (no route to an internet gateway); Fargate pods require it",
        f"{URL_EKS_NETWORK_REQS}; {URL_EKS_FARGATE_SUBNETS}",
    ),
    "workload-az-spread": (
        "every node group, service and profile spans 2+ AZs; ECS capacity providers 3",
        f"{URL_ECS_AVAILABILITY}; {URL_EKS_NETWORK_REQS}",
    ),
    "subnet-sizing": (
        "subnet holds its workloads at their maximum (surge, trunking, warm pool, /28 prefixes) with the safety margin",
        URL_CAPACITY_MODEL,
    ),
    "subnet-prefix-blocks": ("prefix-delegation subnets still have a free aligned /28", URL_PREFIX_FRAGMENTATION),
    "subnet-in-vpc": ("every subnet lies inside a CIDR of its VPC", URL_VPC_SUBNETS),
    "subnet-overlap": ("no two subnets overlap", URL_VPC_SUBNETS),
    "vpc-overlap": ("VPC CIDRs overlap no other VPC of the plan and no peered or planned network", URL_VPC_PEERING),
}

# The Kubernetes service CIDR rules of the EKS API.
SERVICE_CIDR_PRIVATE_BLOCKS = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
SERVICE_CIDR_PREFIX_MIN = 12  # largest allowed block
SERVICE_CIDR_PREFIX_MAX = 24  # smallest allowed block
# "If you don't specify a block, Kubernetes assigns addresses from either the 10.100.0.0/16 or
# 172.20.0.0/16 CIDR blocks"; which one: 172.20.0.0/16 when a VPC CIDR starts with 10.
DEFAULT_SERVICE_CIDR = "10.100.0.0/16"
DEFAULT_SERVICE_CIDR_FOR_10_VPC = "172.20.0.0/16"
TEN_RANGE = ipaddress.IPv4Network("10.0.0.0/8")

EKS_CONTROL_PLANE_MIN_SUBNETS = 2
EKS_CONTROL_PLANE_MIN_ZONES = 2
MIN_ZONES = 2
# "we distribute our service evenly across at least three Availability Zones" (ECS availability
# best practices): a capacity provider's Auto Scaling group should span three.
ECS_CAPACITY_PROVIDER_MIN_ZONES = 3

# Consumers that belong in a subnet of each role; anything else makes the subnet shared.
# Detached ENIs are leftovers (the monitor reports them), not consumers by design; "other" ENIs are
# unclassified and may be the workloads' own (an EKS Fargate pod's ENI the classifier does not
# recognise), so neither makes a subnet shared.
RELATED_CONSUMERS: dict[Role, frozenset[str]] = {
    Role.ECS_TASK: frozenset({ECS_TASK}),
    Role.ECS_INSTANCE: frozenset({EC2_INSTANCE_PRIMARY, ECS_TRUNK}),
    Role.EKS_NODE: frozenset({EC2_INSTANCE_PRIMARY, EKS_NODE_POD}),
    Role.EKS_FARGATE: frozenset({EKS_FARGATE}),
    Role.EKS_CONTROL_PLANE: frozenset({EKS_CONTROL_PLANE}),
}
WORKLOAD_ROLES = frozenset({Role.ECS_TASK, Role.ECS_INSTANCE, Role.EKS_NODE, Role.EKS_FARGATE})
SPREAD_KINDS = {
    KIND_ECS_CAPACITY_PROVIDER: ECS_CAPACITY_PROVIDER_MIN_ZONES,
    KIND_ECS_SERVICE: MIN_ZONES,
    KIND_EKS_NODEGROUP: MIN_ZONES,
    KIND_EKS_FARGATE_PROFILE: MIN_ZONES,
}
KIND_NAMES = {
    KIND_ECS_CAPACITY_PROVIDER: "ECS capacity provider",
    KIND_ECS_SERVICE: "ECS service",
    KIND_EKS_NODEGROUP: "EKS node group",
    KIND_EKS_FARGATE_PROFILE: "EKS Fargate profile",
}


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    """One rule applied to one subject (a cluster, a subnet, a workload, a VPC)."""

    rule: str
    subject: str
    result: Result
    reason: str
    fix: str | None = None

    @property
    def source(self) -> str:
        return RULES[self.rule][1]

    def to_dict(self) -> dict[str, Any]:
        item = {"rule": self.rule, "subject": self.subject, "result": str(self.result), "reason": self.reason}
        if self.fix:
            item["fix"] = self.fix
        item["source"] = self.source
        return item


@dataclass(frozen=True)
class SubnetSizing:
    """A subnet at maximum scale, for people: what it holds, what the margin asks, what would fit."""

    key: str
    label: str
    vpc: str
    availability_zone: str
    cidr: str
    usable: int
    in_use: int
    needed_at_max: int
    required_with_margin: int
    result: Result
    smallest_prefix: int | None
    contributions: tuple[tuple[str, int], ...] = ()
    prefix_blocks: int | None = None

    @property
    def at_max(self) -> int:
        return self.in_use + self.needed_at_max

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "subnet": self.key,
            "vpc": self.vpc,
            "availability_zone": self.availability_zone,
            "cidr": self.cidr,
            "usable_ips": self.usable,
            "in_use": self.in_use,
            "ips_needed_at_max": self.needed_at_max,
            "required_with_margin": self.required_with_margin,
            "result": str(self.result),
            "workloads": dict(self.contributions),
        }
        if self.prefix_blocks is not None:
            item["prefix_blocks_at_max"] = self.prefix_blocks
        if self.smallest_prefix is not None:
            item["smallest_fitting_prefix"] = f"/{self.smallest_prefix}"
        return item


@dataclass(frozen=True)
class CheckReport:
    """``planned``: the check of a plan (its ``sizing`` rows are subnets that do not exist yet)."""

    source: str
    margin_percent: float
    results: tuple[RuleResult, ...]
    sizing: tuple[SubnetSizing, ...] = ()
    planned: bool = False

    @property
    def worst(self) -> Result:
        return max((r.result for r in self.results), key=SEVERITY.__getitem__, default=Result.PASS)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    def counts(self) -> dict[str, int]:
        return {str(level): sum(1 for r in self.results if r.result is level) for level in Result}

    def ordered(self) -> list[RuleResult]:
        """Failures first, then warnings, then passes; in rule order within each."""
        order = {rule: index for index, rule in enumerate(RULES)}
        return sorted(self.results, key=lambda r: (-SEVERITY[r.result], order[r.rule], r.subject))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "planned": self.planned,
            "safety_margin_percent": self.margin_percent,
            "worst": str(self.worst),
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "results": [r.to_dict() for r in self.ordered()],
            "subnets": [s.to_dict() for s in self.sizing],
        }


def to_json(report: CheckReport) -> str:
    return json.dumps(report.to_dict(), indent=2)


def to_text(report: CheckReport) -> str:
    """Every rule, failures first, each with its reason and fix."""
    counts = report.counts()
    lines = [
        f"design check of {report.source} (safety margin {report.margin_percent:g} %): "
        f"{counts['fail']} fail, {counts['warn']} warn, {counts['pass']} pass"
    ]
    for item in report.ordered():
        lines.append(f"{item.result.upper():4}  {item.rule}  {item.subject}")
        lines.append(f"      {item.reason}")
        if item.fix:
            lines.append(f"      fix: {item.fix}")
    lines.append(
        f"(exit code {report.exit_code}: {'every rule passed' if report.worst is Result.PASS else report.worst})"
    )
    return "\n".join(lines)


# --- the design both doors produce ------------------------------------------------------------------


@dataclass(frozen=True)
class SubnetDesign:
    """One subnet as the rules see it.

    ``in_use``: addresses held now (a plan: its other consumers). ``needed_at_max``: extra
    addresses its modelled workloads need to reach their maximum (``None``: nothing modelled).
    ``prefix_blocks_at_max`` / ``singles_at_max``: in a planned prefix-delegation subnet, the /28
    prefixes and the single addresses at maximum. ``free_prefix_blocks``: a live prefix subnet's
    free /28 blocks now.
    """

    key: str
    label: str
    vpc: str
    availability_zone: str
    cidr: str
    roles: frozenset[Role] = frozenset()
    workloads: frozenset[Workload] = frozenset()
    in_use: int = 0
    needed_at_max: int | None = None
    public: bool | None = None
    consumers: Mapping[str, int] = field(default_factory=dict)
    contributions: tuple[tuple[str, int], ...] = ()
    prefix_blocks_at_max: int | None = None
    singles_at_max: int = 0
    free_prefix_blocks: int | None = None
    detail: str = ""

    @property
    def usable(self) -> int:
        return usable_ips(self.cidr)

    @property
    def free_at_max(self) -> int:
        return self.usable - self.in_use - (self.needed_at_max or 0)


@dataclass(frozen=True)
class NodeDesign:
    """A node group's pods per node against maxPods (plans only)."""

    workload: Workload
    max_pods: int
    daemonset_pods: int
    planned_pods: int | None


@dataclass(frozen=True)
class Design:
    source: str
    vpcs: Mapping[str, tuple[str, ...]]
    subnets: Mapping[str, SubnetDesign]
    clusters: tuple[ClusterDesign, ...] = ()
    workload_subnets: Mapping[Workload, tuple[str, ...]] = field(default_factory=dict)
    peered: Mapping[str, str] = field(default_factory=dict)
    margin_percent: float = 20.0
    nodes: tuple[NodeDesign, ...] = ()
    vpc_labels: Mapping[str, str] = field(default_factory=dict)
    # CIDRs of the VPCs' other subnets (not checked, but taken): a proposed block must avoid them.
    other_cidrs: Mapping[str, Sequence[str]] = field(default_factory=dict)
    planned: bool = False


# --- sizing arithmetic ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressNeed:
    """What a subnet must hold at maximum scale: ``addresses`` in all and, for a prefix-delegation
    subnet, how many of them are aligned /28 ``prefix_blocks`` and how many ``singles``."""

    addresses: int
    prefix_blocks: int | None = None
    singles: int = 0


def with_margin(count: int, margin_percent: float) -> int:
    """``count`` plus the margin, rounded up (exact: no float rounding at whole numbers).

    >>> with_margin(100, 20)
    120
    >>> with_margin(7, 20)
    9
    """
    return math.ceil(Fraction(count) * (100 + Fraction(str(margin_percent))) / 100)


@cache
def _empty_free_blocks(prefix_length: int) -> int:
    # The /28 blocks EC2 could delegate in an empty subnet of this size (not the first and the
    # last: they hold AWS's reserved addresses), from the monitor's own fragmentation model.
    return prefix_space(f"10.0.0.0/{prefix_length}").free_blocks


def fits(prefix_length: int, need: AddressNeed, margin_percent: float = 0) -> bool:
    """Whether a subnet of ``prefix_length`` holds ``need`` with ``margin_percent`` to spare.

    Addresses: need + margin ≤ 2^(32 − prefix) − 5. Prefix delegation also needs the prefixes
    (+ margin) as free aligned /28 blocks, with the single addresses (+ margin) packed into the
    reserved edge blocks first and then into whole blocks of their own: the best layout EC2 can
    reach (single addresses kept out of the prefixes' range, e.g. by a prefix CIDR reservation).
    """
    usable = 2 ** (32 - prefix_length) - 5
    if with_margin(need.addresses, margin_percent) > usable:
        return False
    if need.prefix_blocks is None:
        return True
    blocks = _empty_free_blocks(prefix_length)
    edge = usable - blocks * IPS_PER_PREFIX
    prefixes = with_margin(need.prefix_blocks, margin_percent)
    singles = with_margin(need.singles, margin_percent)
    return prefixes + math.ceil(max(0, singles - edge) / IPS_PER_PREFIX) <= blocks


def smallest_fitting_prefix(need: AddressNeed, margin_percent: float = 0) -> int | None:
    """The prefix length of the smallest subnet (/28 down to /16) that holds ``need`` with the
    margin, or ``None`` when not even a /16 does.

    >>> smallest_fitting_prefix(AddressNeed(addresses=300), 20)
    23
    """
    for prefix_length in range(SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN - 1, -1):
        if fits(prefix_length, need, margin_percent):
            return prefix_length
    return None


def free_block(vpc_cidrs: Sequence[str], taken: Iterable[str], prefix_length: int) -> str | None:
    """The first aligned block of ``prefix_length`` inside the VPC's CIDRs that overlaps nothing
    ``taken``, or ``None``."""
    used = [ipaddress.IPv4Network(c) for c in taken]
    for cidr in vpc_cidrs:
        network = ipaddress.IPv4Network(cidr)
        if prefix_length < network.prefixlen:
            continue
        for candidate in network.subnets(new_prefix=prefix_length):
            if not any(candidate.overlaps(other) for other in used):
                return str(candidate)
    return None


def default_service_cidr(vpc_cidrs: Iterable[str]) -> str:
    """The service CIDR EKS gives a cluster created without one: 172.20.0.0/16 when a VPC CIDR
    lies in 10.0.0.0/8, else 10.100.0.0/16.

    >>> default_service_cidr(["10.0.0.0/16"]), default_service_cidr(["192.168.0.0/16"])
    ('172.20.0.0/16', '10.100.0.0/16')
    """
    if any(ipaddress.IPv4Network(c).subnet_of(TEN_RANGE) for c in vpc_cidrs):
        return DEFAULT_SERVICE_CIDR_FOR_10_VPC
    return DEFAULT_SERVICE_CIDR


# --- plan -> design -----------------------------------------------------------------------------------


def _plan_specs(plan: Plan) -> tuple[Discovery, dict[str, CniSettings], dict[str, int]]:
    found = Discovery(ecs_trunking=plan.ecs_trunking)
    for ecs in plan.ecs_clusters:
        for provider in ecs.capacity_providers:
            workload = Workload(KIND_ECS_CAPACITY_PROVIDER, ecs.name, provider.name)
            found.add_all(provider.subnets, Role.ECS_INSTANCE, workload)
            found.specs[workload] = AsgSpec(provider.subnets, max_size=provider.max_size, instances=0)
        for service in ecs.services:
            workload = Workload(KIND_ECS_SERVICE, ecs.name, service.name)
            found.add_all(service.subnets, Role.ECS_TASK, workload)
            found.specs[workload] = EcsServiceSpec(
                service.subnets, desired=service.max_tasks, running=0, maximum_percent=service.maximum_percent
            )
    fargate_max_pods = {}
    for eks in plan.eks_clusters:
        found.add_all(eks.control_plane_subnets, Role.EKS_CONTROL_PLANE, Workload(KIND_EKS_CLUSTER, eks.name, eks.name))
        for group in eks.nodegroups:
            workload = Workload(KIND_EKS_NODEGROUP, eks.name, group.name)
            found.add_all(group.subnets, Role.EKS_NODE, workload)
            pods = None if group.pods_per_node is None else group.pods_per_node + eks.daemonset_pods_per_node
            found.specs[workload] = NodegroupSpec(
                group.subnets,
                max_size=group.max_size,
                desired=0,
                instance_types=group.instance_types,
                pods_per_node=pods,
            )
        for profile in eks.fargate_profiles:
            workload = Workload(KIND_EKS_FARGATE_PROFILE, eks.name, profile.name)
            found.add_all(profile.subnets, Role.EKS_FARGATE, workload)
            found.specs[workload] = FargateProfileSpec(profile.subnets)
            fargate_max_pods[f"{eks.name}/{profile.name}"] = profile.max_pods
    return found, {eks.name: eks.cni for eks in plan.eks_clusters}, fargate_max_pods


def _node_allocation(plan: Plan, cluster: PlannedEksCluster, spec: NodegroupSpec) -> NodeAllocation:
    """The node the headroom model plans for: the group's type that takes the most addresses."""
    return max(
        (
            managed_node_allocation(plan.instance_limits[t], cluster.cni, spec.pods_per_node)
            for t in spec.instance_types
        ),
        key=lambda allocation: allocation.addresses,
    )


def design_from_plan(plan: Plan, source: str = "plan") -> Design:
    """The plan as the rules see it, every workload sized by the monitor's headroom model at its
    maximum (nothing runs yet; other consumers already hold their addresses)."""
    found, cni, fargate_max_pods = _plan_specs(plan)
    states = {
        name: SubnetState(
            name, s.vpc, s.availability_zone, s.cidr, usable_ips(s.cidr) - sum(s.other_consumers.values())
        )
        for name, s in plan.subnets.items()
    }

    def capacity_of(specs: Mapping[Workload, WorkloadSpec]) -> dict[str, int | None]:
        discovery = Discovery(uses=found.uses, specs=dict(specs), ecs_trunking=found.ecs_trunking)
        inputs = CapacityInputs(
            discovery=discovery,
            states=states,
            address_use={},
            instance_addresses={},
            instance_limits=plan.instance_limits,
            cni=cni,
            fargate_max_pods=fargate_max_pods,
            min_free_prefix_blocks=0,
        )
        return {name: capacity.ips_needed_at_max for name, capacity in plan_capacity(inputs).items()}

    needed = capacity_of(found.specs)
    # Each workload on its own, for the breakdown (and the single addresses of prefix subnets).
    shares: dict[str, dict[Workload, int]] = defaultdict(dict)
    for workload, spec in found.specs.items():
        for name, share in capacity_of({workload: spec}).items():
            if share:
                shares[name][workload] = share

    zones = {name: s.availability_zone for name, s in plan.subnets.items()}
    clusters = {eks.name: eks for eks in plan.eks_clusters}
    prefixes: dict[str, int] = defaultdict(int)
    prefix_singles: dict[str, int] = defaultdict(int)
    prefixed_groups: set[Workload] = set()
    nodes: list[NodeDesign] = []
    for workload, spec in found.specs.items():
        if not isinstance(spec, NodegroupSpec):
            continue
        cluster = clusters[workload.cluster]
        nodes.append(_node_design(plan, cluster, workload, spec))
        if not cluster.cni.prefix_delegation:
            continue
        prefixed_groups.add(workload)
        allocation = _node_allocation(plan, cluster, spec)
        # Prefixes come in whole nodes: spread the nodes, as Auto Scaling balances them.
        for name, count in spread(spec.max_size, spec.subnets, zones).items():
            prefixes[name] += count * allocation.prefixes
            prefix_singles[name] += count * allocation.enis

    subnets = {}
    for name, planned in plan.subnets.items():
        use = found.uses.get(name)
        in_use = sum(planned.other_consumers.values())
        contributions = tuple(
            (f"{w.cluster}/{w.name}", share) for w, share in sorted(shares[name].items(), key=lambda item: -item[1])
        )
        block_count = None
        singles = 0
        if name in prefixes:
            block_count = prefixes[name]
            singles = (
                in_use
                + prefix_singles[name]
                + sum(share for w, share in shares[name].items() if w not in prefixed_groups)
            )
        subnets[name] = SubnetDesign(
            key=name,
            label=f"{name} ({planned.cidr}, {planned.availability_zone})",
            vpc=planned.vpc,
            availability_zone=planned.availability_zone,
            cidr=planned.cidr,
            roles=frozenset(use.roles) if use else frozenset(),
            workloads=frozenset(use.workloads) if use else frozenset(),
            in_use=in_use,
            needed_at_max=needed.get(name),
            public=planned.public,
            consumers=dict(planned.other_consumers),
            contributions=contributions,
            prefix_blocks_at_max=block_count,
            singles_at_max=singles,
        )
    return Design(
        source=source,
        vpcs={name: vpc.cidrs for name, vpc in plan.vpcs.items()},
        subnets=subnets,
        clusters=tuple(
            ClusterDesign(eks.name, eks.vpc, eks.control_plane_subnets, eks.service_ipv4_cidr)
            for eks in plan.eks_clusters
        ),
        workload_subnets={w: tuple(dict.fromkeys(spec.subnets)) for w, spec in found.specs.items()},
        peered=dict(plan.peered_cidrs),
        margin_percent=plan.safety_margin_percent,
        nodes=tuple(nodes),
        planned=True,
    )


def _node_design(plan: Plan, cluster: PlannedEksCluster, workload: Workload, spec: NodegroupSpec) -> NodeDesign:
    settings = cluster.cni
    ceiling = min(
        settings.max_pods or recommended_max_pods(plan.instance_limits[t], settings.prefix_delegation)
        for t in spec.instance_types
    )
    planned = next(g for g in cluster.nodegroups if g.name == workload.name).pods_per_node
    return NodeDesign(workload, ceiling, cluster.daemonset_pods_per_node, planned)


# --- scan -> design --------------------------------------------------------------------------------


def design_from_scan(
    reports: Sequence[SubnetReport],
    *,
    vpc_cidrs: Mapping[str, Sequence[str]],
    clusters: Sequence[ClusterDesign] = (),
    public: Mapping[str, bool] | None = None,
    peered: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    vpc_labels: Mapping[str, str] | None = None,
    other_cidrs: Mapping[str, Sequence[str]] | None = None,
    margin_percent: float = 20.0,
    source: str = "the live estate",
) -> Design:
    """The scanned estate as the rules see it: what each subnet holds now and what its workloads
    need more at their maximum (the scan's own headroom model). A cluster whose VPC is not known
    takes the VPC of its control-plane subnets."""
    names = names or {}
    public = public or {}
    subnets = {}
    workload_subnets: dict[Workload, list[str]] = defaultdict(list)
    for report in reports:
        capacity = report.capacity
        name = names.get(report.subnet_id)
        label = (
            f"{name} ({report.subnet_id}, {report.cidr}, {report.availability_zone})"
            if name
            else (f"{report.subnet_id} ({report.cidr}, {report.availability_zone})")
        )
        for workload in report.workloads:
            workload_subnets[workload].append(report.subnet_id)
        subnets[report.subnet_id] = SubnetDesign(
            key=report.subnet_id,
            label=label,
            vpc=report.vpc_id,
            availability_zone=report.availability_zone,
            cidr=report.cidr,
            roles=frozenset(report.roles),
            workloads=frozenset(report.workloads),
            in_use=report.used_ips,
            needed_at_max=capacity.ips_needed_at_max if capacity else None,
            public=public.get(report.subnet_id),
            consumers=dict(capacity.consumers or {}) if capacity else {},
            free_prefix_blocks=capacity.free_prefix_blocks if capacity else None,
        )
    clusters = [
        replace(cluster, vpc=next((subnets[s].vpc for s in cluster.control_plane_subnets if s in subnets), ""))
        if not cluster.vpc
        else cluster
        for cluster in clusters
    ]
    return Design(
        source=source,
        vpcs={vpc: tuple(cidrs) for vpc, cidrs in vpc_cidrs.items()},
        subnets=subnets,
        clusters=tuple(clusters),
        vpc_labels=dict(vpc_labels or {}),
        other_cidrs={vpc: tuple(cidrs) for vpc, cidrs in (other_cidrs or {}).items()},
        workload_subnets={w: tuple(s) for w, s in workload_subnets.items()},
        peered=dict(peered or {}),
        margin_percent=margin_percent,
    )


# --- the rules ----------------------------------------------------------------------------------------


def check_design(design: Design) -> CheckReport:
    """Apply every rule to ``design``."""
    results: list[RuleResult] = []
    for cluster in design.clusters:
        results.extend(_service_cidr(design, cluster))
        results.extend(_control_plane(design, cluster))
    results.extend(_node_pods(node) for node in design.nodes)
    for subnet in design.subnets.values():
        results.extend(_dedicated(design, subnet))
        results.extend(_private(subnet))
        results.extend(_prefix_blocks(subnet))
    results.extend(_spread(design))
    suggested: list[str] = []
    sizing = [s for s in (_sizing(design, subnet, suggested) for subnet in design.subnets.values()) if s is not None]
    results.extend(result for result, _ in sizing)
    results.extend(_overlaps(design))
    return CheckReport(
        source=design.source,
        margin_percent=design.margin_percent,
        results=tuple(results),
        sizing=tuple(row for _, row in sizing),
        planned=design.planned,
    )


def _vpc_label(design: Design, vpc: str) -> str:
    return design.vpc_labels.get(vpc, vpc)


def _service_cidr(design: Design, cluster: ClusterDesign) -> list[RuleResult]:
    subject = f"EKS cluster {cluster.name}"
    vpc_cidrs = design.vpcs.get(cluster.vpc, ())
    if cluster.service_ipv4_cidr is None:
        cidr = default_service_cidr(vpc_cidrs)
        why = (
            "a VPC CIDR lies in 10.0.0.0/8"
            if cidr == DEFAULT_SERVICE_CIDR_FOR_10_VPC
            else "no VPC CIDR lies in 10.0.0.0/8"
        )
        origin = f"serviceIpv4Cidr is not set: EKS assigns {cidr} ({why})"
        named = f"the default service CIDR {cidr}"
    else:
        cidr = cluster.service_ipv4_cidr
        origin = named = f"serviceIpv4Cidr {cidr}"
    network = ipaddress.IPv4Network(cidr)
    fix_new = "set serviceIpv4Cidr when creating the cluster (it cannot be changed later)"
    results = []
    inside = [str(b) for b in SERVICE_CIDR_PRIVATE_BLOCKS if network.subnet_of(b)]
    results.append(
        RuleResult("eks-service-cidr-range", subject, Result.PASS, f"{origin}, inside {inside[0]}")
        if inside
        else RuleResult(
            "eks-service-cidr-range",
            subject,
            Result.FAIL,
            f"{origin} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, which EKS requires",
            f"{fix_new}, from one of those blocks",
        )
    )
    if SERVICE_CIDR_PREFIX_MIN <= network.prefixlen <= SERVICE_CIDR_PREFIX_MAX:
        results.append(
            RuleResult(
                "eks-service-cidr-size",
                subject,
                Result.PASS,
                f"{cidr} is a /{network.prefixlen}, between /{SERVICE_CIDR_PREFIX_MAX} and /{SERVICE_CIDR_PREFIX_MIN}",
            )
        )
    else:
        results.append(
            RuleResult(
                "eks-service-cidr-size",
                subject,
                Result.FAIL,
                f"{origin} is a /{network.prefixlen}; EKS accepts "
                f"/{SERVICE_CIDR_PREFIX_MAX} to /{SERVICE_CIDR_PREFIX_MIN}",
                f"{fix_new}, sized /{SERVICE_CIDR_PREFIX_MAX} to /{SERVICE_CIDR_PREFIX_MIN} (a /16 is common)",
            )
        )
    clashes = [c for c in vpc_cidrs if network.overlaps(ipaddress.IPv4Network(c))]
    vpc = _vpc_label(design, cluster.vpc)
    if cluster.vpc not in design.vpcs:
        pass  # the VPC's CIDRs could not be read: nothing to compare against
    elif clashes:
        results.append(
            RuleResult(
                "eks-service-cidr-vpc-overlap",
                subject,
                Result.FAIL,
                f"{named} overlaps CIDR {', '.join(clashes)} of VPC {vpc}: "
                "services and pods or nodes would share addresses",
                f"{fix_new}, outside every CIDR of the VPC (primary and secondary)",
            )
        )
    else:
        results.append(
            RuleResult(
                "eks-service-cidr-vpc-overlap",
                subject,
                Result.PASS,
                f"{cidr} overlaps none of VPC {vpc}'s CIDRs ({', '.join(vpc_cidrs) or 'none known'})",
            )
        )
    peered = [f"{name} {c}" for name, c in design.peered.items() if network.overlaps(ipaddress.IPv4Network(c))]
    if peered:
        results.append(
            RuleResult(
                "eks-service-cidr-peered-overlap",
                subject,
                Result.WARN,
                f"{named} overlaps {', '.join(peered)}: pods cannot reach those addresses of the connected network "
                "(traffic to them stays inside the cluster)",
                f"{fix_new}, in a block no connected network uses",
            )
        )
    else:
        checked = ", ".join(f"{n} {c}" for n, c in design.peered.items()) or "none given"
        results.append(
            RuleResult(
                "eks-service-cidr-peered-overlap",
                subject,
                Result.PASS,
                f"{cidr} overlaps no peered or planned network ({checked})",
            )
        )
    return results


def _control_plane(design: Design, cluster: ClusterDesign) -> list[RuleResult]:
    subject = f"EKS cluster {cluster.name}"
    subnets = [design.subnets[s] for s in cluster.control_plane_subnets if s in design.subnets]
    zones = sorted({s.availability_zone for s in subnets})
    results = []
    if len(subnets) < EKS_CONTROL_PLANE_MIN_SUBNETS or len(zones) < EKS_CONTROL_PLANE_MIN_ZONES:
        results.append(
            RuleResult(
                "eks-control-plane-subnets",
                subject,
                Result.FAIL,
                f"{len(subnets)} control-plane subnet(s) in {len(zones)} Availability Zone(s) ({', '.join(zones)}); "
                "EKS requires at least two subnets in different Availability Zones",
                "give the cluster subnets in at least two Availability Zones (small dedicated /28s are enough)",
            )
        )
    else:
        results.append(
            RuleResult(
                "eks-control-plane-subnets",
                subject,
                Result.PASS,
                f"{len(subnets)} control-plane subnets in {len(zones)} Availability Zones ({', '.join(zones)})",
            )
        )
    for subnet in subnets:
        free = subnet.free_at_max
        at = " at maximum scale" if subnet.needed_at_max else ""
        finding = eks_control_plane_finding(cluster.name, subnet.label, free)
        if finding is None:
            results.append(
                RuleResult(
                    "eks-control-plane-free-ips",
                    f"{subject}: subnet {subnet.label}",
                    Result.PASS,
                    f"{free} addresses free{at}, at least the {EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS} EKS recommends",
                )
            )
            continue
        # The monitor's own sentence: "... has N free addresses, below ...; <fix>".
        reason, _, fix = finding.partition(" has ")[2].partition("; ")
        level = Result.FAIL if free < EKS_CLUSTER_SUBNET_MIN_FREE_IPS else Result.WARN
        results.append(
            RuleResult("eks-control-plane-free-ips", f"{subject}: subnet {subnet.label}", level, reason + at, fix)
        )
    return results


def _node_pods(node: NodeDesign) -> RuleResult:
    subject = f"EKS node group {node.workload.cluster}/{node.workload.name}"
    room = max(node.max_pods - HOST_NETWORK_PODS, 0)
    host = f"maxPods {node.max_pods}: {HOST_NETWORK_PODS} on the host network (aws-node, kube-proxy)"
    if node.planned_pods is None:
        return RuleResult(
            "eks-node-pods",
            subject,
            Result.PASS,
            f"{host}, {node.daemonset_pods} add-on DaemonSet pod(s) with their own address, "
            f"{max(room - node.daemonset_pods, 0)} application pods: every node planned full",
        )
    total = node.planned_pods + node.daemonset_pods
    if total > room:
        return RuleResult(
            "eks-node-pods",
            subject,
            Result.WARN,
            f"{node.planned_pods} application pods + {node.daemonset_pods} add-on DaemonSet pod(s) a node, but {host} "
            f"leaves room for {room}: the pods need more nodes than planned",
            "plan fewer pods per node, more nodes (maxSize), or a larger maxPods (prefix delegation raises it)",
        )
    return RuleResult(
        "eks-node-pods",
        subject,
        Result.PASS,
        f"{node.planned_pods} application pods + {node.daemonset_pods} add-on DaemonSet pod(s) a node fit {host}, "
        f"room for {room}",
    )


def _dedicated(design: Design, subnet: SubnetDesign) -> list[RuleResult]:
    roles = subnet.roles & (WORKLOAD_ROLES | {Role.EKS_CONTROL_PLANE})
    if not roles:
        return []
    subject = f"subnet {subnet.label}"
    problems = []
    related = frozenset().union(*(RELATED_CONSUMERS[r] for r in roles))
    unrelated = {c: n for c, n in subnet.consumers.items() if n and c not in related and c not in (DETACHED, OTHER)}
    if unrelated:
        problems.append(
            "other consumers hold addresses: " + ", ".join(f"{c} {n}" for c, n in sorted(unrelated.items()))
        )
    clusters = sorted({w.cluster for w in subnet.workloads})
    if len(clusters) > 1:
        problems.append(f"shared by clusters {', '.join(clusters)}")
    if Role.EKS_CONTROL_PLANE in roles and roles - {Role.EKS_CONTROL_PLANE}:
        problems.append("the EKS control plane shares it with nodes or tasks")
    families = {"ECS" if r in (Role.ECS_TASK, Role.ECS_INSTANCE) else "EKS" for r in roles}
    if len(families) > 1:
        problems.append("shared by ECS and EKS")
    role_names = ", ".join(sorted(str(r) for r in roles))
    if not problems:
        return [RuleResult("subnet-dedicated", subject, Result.PASS, f"used by {role_names} only")]
    return [
        RuleResult(
            "subnet-dedicated",
            subject,
            Result.WARN,
            f"{role_names} subnet, but {'; '.join(problems)}: what they take is not there when the cluster scales",
            "give the cluster its own subnets (EKS recommends small dedicated /28s for the control plane) and put "
            "load balancers, endpoints, NAT gateways and Lambda functions elsewhere",
        )
    ]


def _private(subnet: SubnetDesign) -> list[RuleResult]:
    roles = subnet.roles & WORKLOAD_ROLES
    if not roles or subnet.public is None:
        return []
    subject = f"subnet {subnet.label}"
    if not subnet.public:
        return [RuleResult("subnet-private", subject, Result.PASS, "private (no route to an internet gateway)")]
    if Role.EKS_FARGATE in roles:
        return [
            RuleResult(
                "subnet-private",
                subject,
                Result.FAIL,
                "public (a route to an internet gateway), but EKS accepts only private subnets for Fargate "
                "profiles: Fargate pods get no public address",
                "use private subnets (outbound through a NAT gateway) for the Fargate profile",
            )
        ]
    return [
        RuleResult(
            "subnet-private",
            subject,
            Result.WARN,
            f"public (a route to an internet gateway) but holds {', '.join(sorted(str(r) for r in roles))}: nodes and "
            "tasks there need public addresses to reach out and are reachable from the internet",
            "move nodes and tasks to private subnets (outbound through a NAT gateway); keep public subnets for "
            "internet-facing load balancers",
        )
    ]


def _prefix_blocks(subnet: SubnetDesign) -> list[RuleResult]:
    if subnet.free_prefix_blocks is None:
        return []
    subject = f"subnet {subnet.label}"
    if subnet.free_prefix_blocks > 0:
        return [
            RuleResult(
                "subnet-prefix-blocks",
                subject,
                Result.PASS,
                f"{subnet.free_prefix_blocks} free aligned /28 blocks for prefix delegation",
            )
        ]
    return [
        RuleResult(
            "subnet-prefix-blocks",
            subject,
            Result.FAIL,
            "no free aligned /28 block: prefix delegation cannot add a prefix here (InsufficientCidrBlocks)",
            "a subnet CIDR reservation of type prefix over a range that is emptying, or a new subnet for the "
            "prefix-mode nodes",
        )
    ]


def _spread(design: Design) -> list[RuleResult]:
    results = []
    for workload, subnet_keys in sorted(design.workload_subnets.items()):
        minimum = SPREAD_KINDS.get(workload.kind)
        if minimum is None:
            continue
        zones = sorted({design.subnets[s].availability_zone for s in subnet_keys if s in design.subnets})
        subject = f"{KIND_NAMES[workload.kind]} {workload.cluster}/{workload.name}"
        where = f"{len(zones)} Availability Zone(s) ({', '.join(zones)})"
        if len(zones) >= minimum:
            results.append(RuleResult("workload-az-spread", subject, Result.PASS, f"spans {where}"))
            continue
        why = (
            "AWS recommends three for ECS capacity (one zone's loss then costs a third of it)"
            if minimum == ECS_CAPACITY_PROVIDER_MIN_ZONES
            else "one zone's outage stops it, and it cannot scale while that zone has no addresses"
        )
        results.append(
            RuleResult(
                "workload-az-spread",
                subject,
                Result.WARN,
                f"spans {where}: {why}",
                f"give it subnets in {minimum} or more Availability Zones",
            )
        )
    return results


def _sizing(design: Design, subnet: SubnetDesign, suggested: list[str]) -> tuple[RuleResult, SubnetSizing] | None:
    """``suggested``: blocks already proposed for other subnets, so that no two proposals collide."""
    if subnet.needed_at_max is None or not subnet.roles & WORKLOAD_ROLES:
        return None
    margin = design.margin_percent
    need = AddressNeed(
        addresses=subnet.in_use + subnet.needed_at_max,
        prefix_blocks=subnet.prefix_blocks_at_max,
        singles=subnet.singles_at_max,
    )
    prefix_length = ipaddress.IPv4Network(subnet.cidr).prefixlen
    usable = subnet.usable
    required = with_margin(need.addresses, margin)
    holds = f"{need.addresses} addresses at maximum scale ({subnet.in_use} held already + {subnet.needed_at_max} more"
    if subnet.contributions:
        holds += ": " + ", ".join(f"{name} {count}" for name, count in subnet.contributions)
    holds += ")"
    if need.prefix_blocks is not None:
        holds += (
            f"; prefix delegation: {need.prefix_blocks} aligned /28 prefixes and {need.singles} single addresses, "
            f"/{prefix_length} has {_empty_free_blocks(prefix_length)} free /28 blocks"
        )
    if fits(prefix_length, need, margin):
        level, verdict = Result.PASS, f"fits with the {margin:g} % margin ({required} ≤ {usable} usable)"
    elif fits(prefix_length, need):
        level, verdict = Result.WARN, f"fits, but not with the {margin:g} % margin ({required} > {usable} usable)"
    else:
        short = need.addresses - usable
        verdict = (
            f"does not fit: {usable} usable, short by {short}"
            if short > 0
            else f"does not fit: not enough free aligned /28 blocks in {usable} usable"
        )
        level = Result.FAIL
    smallest = smallest_fitting_prefix(need, margin) if level is not Result.PASS else None
    fix = None
    if level is not Result.PASS:
        if smallest is None:
            fix = "not even a /16 holds it: spread the workloads over more subnets"
        else:
            others = [s.cidr for s in design.subnets.values() if s.key != subnet.key and s.vpc == subnet.vpc]
            others += design.other_cidrs.get(subnet.vpc, ())
            taken = [*others, *design.peered.values(), *suggested]
            block = free_block(design.vpcs.get(subnet.vpc, ()), taken, smallest)
            if block:
                suggested.append(block)
            where = f" (e.g. {block} is free in VPC {_vpc_label(design, subnet.vpc)})" if block else ""
            fix = (
                f"/{smallest} is the smallest subnet that fits with the {margin:g} % margin: "
                f"{2 ** (32 - smallest) - 5} usable{where}; or add a subnet in this zone to the workloads, "
                "or lower their maximum"
            )
    result = RuleResult("subnet-sizing", f"subnet {subnet.label}", level, f"must hold {holds}: {verdict}", fix)
    row = SubnetSizing(
        key=subnet.key,
        label=subnet.label,
        vpc=subnet.vpc,
        availability_zone=subnet.availability_zone,
        cidr=subnet.cidr,
        usable=usable,
        in_use=subnet.in_use,
        needed_at_max=subnet.needed_at_max,
        required_with_margin=required,
        result=level,
        smallest_prefix=smallest,
        contributions=subnet.contributions,
        prefix_blocks=need.prefix_blocks,
    )
    return result, row


def _overlaps(design: Design) -> list[RuleResult]:
    results = []
    subnets = sorted(design.subnets.values(), key=lambda s: ipaddress.IPv4Network(s.cidr))
    for subnet in subnets:
        network = ipaddress.IPv4Network(subnet.cidr)
        vpc_cidrs = design.vpcs.get(subnet.vpc)
        if vpc_cidrs is None:
            continue
        vpc = _vpc_label(design, subnet.vpc)
        if any(network.subnet_of(ipaddress.IPv4Network(c)) for c in vpc_cidrs):
            results.append(
                RuleResult(
                    "subnet-in-vpc", f"subnet {subnet.label}", Result.PASS, f"inside VPC {vpc} ({', '.join(vpc_cidrs)})"
                )
            )
        else:
            results.append(
                RuleResult(
                    "subnet-in-vpc",
                    f"subnet {subnet.label}",
                    Result.FAIL,
                    f"{subnet.cidr} is not inside any CIDR of VPC {vpc} ({', '.join(vpc_cidrs)}): EC2 refuses it",
                    "pick a range inside the VPC, or associate a secondary CIDR block with the VPC that holds it",
                )
            )
    clashes = []
    for index, first in enumerate(subnets):
        for second in subnets[index + 1 :]:
            if ipaddress.IPv4Network(first.cidr).overlaps(ipaddress.IPv4Network(second.cidr)):
                clashes.append((first, second))
    for first, second in clashes:
        same = first.vpc == second.vpc
        results.append(
            RuleResult(
                "subnet-overlap",
                f"subnets {first.key} and {second.key}",
                Result.FAIL if same else Result.WARN,
                f"{first.cidr} and {second.cidr} overlap"
                + (
                    f" in VPC {_vpc_label(design, first.vpc)}: EC2 refuses the second one"
                    if same
                    else " (in different VPCs, which then cannot be connected)"
                ),
                "give each subnet its own range",
            )
        )
    if not clashes and subnets:
        results.append(
            RuleResult("subnet-overlap", "all subnets", Result.PASS, f"no two of the {len(subnets)} overlap")
        )
    for vpc, cidrs in sorted(design.vpcs.items()):
        problems = []
        for cidr in cidrs:
            network = ipaddress.IPv4Network(cidr)
            problems += [
                f"{cidr} overlaps {name} {other}"
                for name, other in design.peered.items()
                if network.overlaps(ipaddress.IPv4Network(other))
            ]
            problems += [
                f"{cidr} overlaps VPC {_vpc_label(design, other_vpc)} {other}"
                for other_vpc, others in design.vpcs.items()
                if other_vpc != vpc
                for other in others
                if network.overlaps(ipaddress.IPv4Network(other))
            ]
        subject = f"VPC {_vpc_label(design, vpc)}"
        if problems:
            results.append(
                RuleResult(
                    "vpc-overlap",
                    subject,
                    Result.FAIL,
                    "; ".join(problems) + ": VPC peering refuses overlapping CIDRs and routes to them are ambiguous",
                    "renumber the VPC (or the overlapping secondary CIDR) into a range no connected network uses",
                )
            )
        else:
            checked = ", ".join(f"{n} {c}" for n, c in design.peered.items()) or "no peered networks given"
            results.append(
                RuleResult(
                    "vpc-overlap", subject, Result.PASS, f"{', '.join(cidrs)} overlap no other network ({checked})"
                )
            )
    return results


def with_settings(
    design: Design, *, margin_percent: float | None = None, peered: Mapping[str, str] | None = None
) -> Design:
    """The design with a different margin, or more peered networks (CLI flags)."""
    return replace(
        design,
        margin_percent=design.margin_percent if margin_percent is None else margin_percent,
        peered={**design.peered, **(peered or {})},
    )
