"""What the design rules judge and what they report. Pure: no AWS, no I/O.

Two doors lead to one :class:`Design`: :func:`~subnet_monitor.design.builders.design_from_plan` (a
plan file, sized with the monitor's own capacity model) and
:func:`~subnet_monitor.design.builders.design_from_scan` (the scan's reports plus VPC CIDRs, route
tables and the clusters' service CIDRs). :func:`~subnet_monitor.design.rules.check_design` then
reports every rule as a :class:`~subnet_monitor.core.findings.Finding`: pass / warn / fail (severity
ok / warning / error) with the reason, the fix, and the source it follows. The exit code of
``check`` is the worst result (:data:`EXIT_CODES`).

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from subnet_monitor.core.capacity import EKS_CLUSTER_SUBNET_MIN_FREE_IPS, EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import ClusterDesign, Role, Workload
from subnet_monitor.core.subnet import usable_ips


class Result(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


RANK = {Result.PASS: 0, Result.WARN: 1, Result.FAIL: 2}
# check's exit code is the worst result: 0 every rule passed, 1 a warning, 2 a failure. (2 is also
# what a plan or a flag that cannot be read gives, as for scan: in both cases, do not build.)
EXIT_CODES = {Result.PASS: 0, Result.WARN: 1, Result.FAIL: 2}
# A rule's result is a finding's severity under the name check has always shown.
SEVERITIES = {Result.PASS: Severity.OK, Result.WARN: Severity.WARNING, Result.FAIL: Severity.ERROR}
RESULTS = {severity: result for result, severity in SEVERITIES.items()}

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
URL_CAPACITY_MODEL = "docs/capacity.md"

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

# Roles whose subnets hold workloads (the control plane's do not).
WORKLOAD_ROLES = frozenset({Role.ECS_TASK, Role.ECS_INSTANCE, Role.EKS_NODE, Role.EKS_POD, Role.EKS_FARGATE})


# --- results -------------------------------------------------------------------------------------


def verdict(rule: str, subject: str, result: Result, reason: str, fix: str | None = None) -> Finding:
    """One rule applied to one subject (a cluster, a subnet, a workload, a VPC), citing the rule's source."""
    return Finding(rule, SEVERITIES[result], subject, reason, fix, RULES[rule][1])


def result_of(finding: Finding) -> Result:
    return RESULTS[finding.severity]


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


@dataclass(frozen=True)
class CheckReport:
    """``planned``: the check of a plan (its ``sizing`` rows are subnets that do not exist yet)."""

    source: str
    margin_percent: float
    results: tuple[Finding, ...]
    sizing: tuple[SubnetSizing, ...] = ()
    planned: bool = False

    @property
    def worst(self) -> Result:
        return max((result_of(r) for r in self.results), key=RANK.__getitem__, default=Result.PASS)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    def counts(self) -> dict[str, int]:
        return {str(level): sum(1 for r in self.results if result_of(r) is level) for level in Result}

    def ordered(self) -> list[Finding]:
        """Failures first, then warnings, then passes; in rule order within each."""
        order = {rule: index for index, rule in enumerate(RULES)}
        return sorted(self.results, key=lambda r: (-RANK[result_of(r)], order[r.code], r.subject))


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

    def vpc_label(self, vpc: str) -> str:
        return self.vpc_labels.get(vpc, vpc)
