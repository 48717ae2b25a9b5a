"""Plain data that flows through a scan: discovered uses, EC2 subnet state, reports, errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from subnet_monitor.core.cni import VpcCniAddon
from subnet_monitor.core.findings import Finding


class Role(StrEnum):
    """Why a subnet is monitored (docs/reference/json-report.md, "Subnet roles")."""

    ECS_INSTANCE = "ecs-instance"
    ECS_TASK = "ecs-task"
    EKS_CONTROL_PLANE = "eks-control-plane"
    EKS_NODE = "eks-node"
    # Where a node's pods get their addresses when they are not the node's subnet (VPC CNI custom networking).
    EKS_POD = "eks-pod"
    EKS_FARGATE = "eks-fargate"
    EXPLICIT = "explicit"


class Status(StrEnum):
    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class StatusReason:
    """One rule that raises a subnet's status (core/verdict.py): ``code`` names the rule (the code of
    the finding that says more, when there is one), ``status`` what it gives, ``reason`` why, in words."""

    code: str
    status: Status
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "status": str(self.status), "reason": self.reason}


# Workload kinds, as they appear in reports and log records.
KIND_ECS_SERVICE = "ecs-service"
KIND_ECS_TASK = "ecs-task"
KIND_ECS_CAPACITY_PROVIDER = "ecs-capacity-provider"
KIND_ECS_CONTAINER_INSTANCES = "ecs-container-instances"
KIND_EKS_CLUSTER = "eks-cluster"
KIND_EKS_NODEGROUP = "eks-nodegroup"
KIND_EKS_FARGATE_PROFILE = "eks-fargate-profile"
KIND_EKS_SELF_MANAGED_NODES = "eks-self-managed-nodes"
KIND_EKS_TAGGED_SUBNET = "eks-tagged-subnet"
KIND_EKS_AUTO_MODE = "eks-auto-mode"


@dataclass(frozen=True, order=True)
class Workload:
    """Something that takes addresses from a subnet: ``{kind, cluster, name}``."""

    kind: str
    cluster: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "cluster": self.cluster, "name": self.name}


@dataclass(frozen=True)
class ScanError:
    """One thing the scan could not do; the rest of the scan went on without it.

    ``source`` is the part of the scan (``ecs``, ``eks``, ``ec2``, ``cloudwatch``), ``target``
    what it was working on (a cluster name, a subnet ID, a metric batch).
    """

    source: str
    target: str
    message: str

    def to_dict(self) -> dict[str, str]:
        # "error", not "message": a log record's "message" is the logger's own.
        return {"source": self.source, "target": self.target, "error": self.message}


@dataclass(frozen=True)
class Gap:
    """What a subnet's report does not know, and why (docs/reference/json-report.md, "Gaps").

    ``read`` is the AWS call that failed (or the view that is missing), ``reason`` why, ``affects``
    the report fields it leaves absent (capacity figures) or incomplete (``roles``, ``workloads``).
    """

    read: str
    reason: str
    affects: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "reason": self.reason, "affects": list(self.affects)}


@dataclass(frozen=True)
class ScopedGap:
    """A gap and the subnets it applies to: named ones, those carrying a workload of one of
    ``clusters`` (``(service, cluster)``, service ``ecs`` or ``eks``) or one of ``workloads``, or
    all of them (``everywhere``)."""

    gap: Gap
    subnets: frozenset[str] = frozenset()
    clusters: frozenset[tuple[str, str]] = frozenset()
    workloads: frozenset[Workload] = frozenset()
    everywhere: bool = False

    def applies_to(self, subnet_id: str, use: SubnetUse | None) -> bool:
        if self.everywhere or subnet_id in self.subnets:
            return True
        held = use.workloads if use is not None else set()
        return any(w in self.workloads or (w.kind.split("-", 1)[0], w.cluster) in self.clusters for w in held)


@dataclass(frozen=True)
class EcsServiceSpec:
    """What an awsvpc service can grow to: Application Auto Scaling's MaxCapacity when the service
    scales, else its desired count; a rolling deployment runs up to ``maximum_percent`` of it."""

    subnets: tuple[str, ...]
    desired: int
    running: int
    maximum_percent: int = 200
    max_tasks: int | None = None


@dataclass(frozen=True)
class AsgSpec:
    """A capacity provider's Auto Scaling group; ``name`` the group's own (``None``: not read)."""

    subnets: tuple[str, ...]
    max_size: int
    instances: int
    name: str | None = None


@dataclass(frozen=True)
class NodegroupSpec:
    """An EKS managed node group. ``pods_per_node``: pods with their own address a node is planned
    to run (a design plan says so); ``None`` means as many as maxPods allows, what a scan assumes.
    ``launch_template`` names the launch template version (``lt-… version 3``) the instance type was
    read from, or was to be read from when ``instance_types`` is empty; ``custom_ami`` is the AMI
    that version sets, whose user data (not read) decides the kubelet's maxPods."""

    subnets: tuple[str, ...]
    max_size: int
    desired: int
    instance_types: tuple[str, ...]
    pods_per_node: int | None = None
    launch_template: str | None = None
    custom_ami: str | None = None


@dataclass(frozen=True)
class FargateProfileSpec:
    subnets: tuple[str, ...]


@dataclass(frozen=True)
class UnboundedSpec:
    """A workload whose maximum no AWS API gives: an EKS Auto Mode node pool (its limits are a
    Kubernetes object) or an ECS Managed Instances capacity provider (DescribeCapacityProviders gives
    no maximum). Its subnets get no ``ips_needed_at_max``; a finding says why."""

    subnets: tuple[str, ...]


WorkloadSpec = EcsServiceSpec | AsgSpec | NodegroupSpec | FargateProfileSpec | UnboundedSpec


# The EKS health issue code for a subnet out of addresses.
# https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html
EKS_INSUFFICIENT_FREE_ADDRESSES = "InsufficientFreeAddresses"
# Finding codes of an EKS health issue about addresses (failures/health.py makes them; the verdict,
# core/verdict.py, reads them): node groups and clusters have their own fix.
NODEGROUP_INSUFFICIENT_FREE_ADDRESSES = "eks-health.nodegroup-insufficient-free-addresses"
CLUSTER_INSUFFICIENT_FREE_ADDRESSES = "eks-health.cluster-insufficient-free-addresses"


@dataclass(frozen=True)
class HealthIssue:
    """An EKS health issue about addresses, of a node group (``nodegroup`` set) or of a cluster."""

    cluster: str
    nodegroup: str | None
    code: str
    message: str
    resource_ids: tuple[str, ...]


@dataclass
class SubnetUse:
    roles: set[Role] = field(default_factory=set)
    workloads: set[Workload] = field(default_factory=set)


@dataclass
class Discovery:
    """Subnets found in use, with their roles and workloads, and what went wrong finding them."""

    uses: dict[str, SubnetUse] = field(default_factory=dict)
    errors: list[ScanError] = field(default_factory=list)
    # What each scalable workload can grow to, for the headroom model.
    specs: dict[Workload, WorkloadSpec] = field(default_factory=dict)
    # EC2 instance ID -> the managed node group or capacity provider it belongs to.
    instance_owners: dict[str, Workload] = field(default_factory=dict)
    # Account setting awsvpcTrunking (ECS ENI trunking) as in effect for the scanning role.
    ecs_trunking: bool = False
    # EKS node group and cluster health issues about addresses (InsufficientFreeAddresses).
    health_issues: list[HealthIssue] = field(default_factory=list)
    # Failed reads and the subnets whose figures they leave unknown (core/gaps.py).
    gaps: list[ScopedGap] = field(default_factory=list)
    # EKS cluster name -> its vpc-cni add-on as DescribeAddon answered (core.cni).
    cni_addons: dict[str, VpcCniAddon] = field(default_factory=dict)
    # Pod subnets (role eks-pod) of each workload that takes addresses from them: a node group or
    # self-managed nodes whose pod ENIs sit there, or a cluster's subnets tagged kubernetes.io/role/cni.
    pod_subnets: dict[Workload, set[str]] = field(default_factory=dict)
    # Clusters whose nodes show custom networking: pod ENIs in another subnet, none on the primary ENI.
    custom_networking_seen: set[str] = field(default_factory=set)

    def add(self, subnet_id: str, role: Role, workload: Workload | None = None) -> None:
        use = self.uses.setdefault(subnet_id, SubnetUse())
        use.roles.add(role)
        if workload is not None:
            use.workloads.add(workload)

    def add_pod_subnet(self, subnet_id: str, workload: Workload) -> None:
        self.add(subnet_id, Role.EKS_POD, workload)
        self.pod_subnets.setdefault(workload, set()).add(subnet_id)

    def add_all(self, subnet_ids: Any, role: Role, workload: Workload | None = None) -> None:
        for subnet_id in subnet_ids:
            self.add(subnet_id, role, workload)

    def fail(self, source: str, target: str, error: Exception | str) -> None:
        self.errors.append(ScanError(source=source, target=target, message=str(error)))

    def merge(self, part: Discovery) -> None:
        """Take in what ``part`` found, as if its adds and failures had been made on this one after
        what this one holds: the same subnets, specs and records, in the same order. Reads done side
        by side each fill a part of their own, merged in the order a loop would have run them."""
        for subnet_id, use in part.uses.items():
            mine = self.uses.setdefault(subnet_id, SubnetUse())
            mine.roles |= use.roles
            mine.workloads |= use.workloads
        self.errors.extend(part.errors)
        self.specs.update(part.specs)
        self.instance_owners.update(part.instance_owners)
        self.ecs_trunking = self.ecs_trunking or part.ecs_trunking
        self.health_issues.extend(part.health_issues)
        self.gaps.extend(part.gaps)
        self.cni_addons.update(part.cni_addons)
        for workload, subnets in part.pod_subnets.items():
            self.pod_subnets.setdefault(workload, set()).update(subnets)
        self.custom_networking_seen |= part.custom_networking_seen

    def missing(
        self,
        read: str,
        error: Exception | str,
        affects: tuple[str, ...],
        *,
        subnets: Any = (),
        clusters: Any = (),
        workloads: Any = (),
        everywhere: bool = False,
    ) -> None:
        """Record what a failed ``read`` leaves unknown, and where (see :class:`ScopedGap`)."""
        self.gaps.append(
            ScopedGap(
                Gap(read, str(error), affects),
                frozenset(subnets),
                frozenset(clusters),
                frozenset(workloads),
                everywhere,
            )
        )


@dataclass(frozen=True)
class SubnetState:
    """What EC2 says about a subnet right now."""

    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr: str
    available_ips: int
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SubnetCapacity:
    """What the capacity model found for a subnet; ``None`` means "not applicable" and stays
    out of the report and the metrics."""

    ips_needed_at_max: int | None = None
    free_prefix_blocks: int | None = None
    largest_free_block: str | None = None
    consumers: Mapping[str, int] | None = None
    hours_to_exhaustion: float | None = None
    findings: tuple[Finding, ...] = ()
    # Extra report fields of a workload, e.g. a node group's instance_types and max_pods_per_node.
    workload_details: Mapping[Workload, Mapping[str, Any]] = field(default_factory=dict)
    # What the scan could not see of this subnet; empty when it saw everything.
    gaps: tuple[Gap, ...] = ()


@dataclass(frozen=True)
class SubnetReport:
    """One subnet's line of the report (docs/reference/json-report.md)."""

    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr: str
    usable_ips: int
    available_ips: int
    used_ips: int
    utilization_percent: float
    roles: tuple[Role, ...]
    workloads: tuple[Workload, ...]
    status: Status
    capacity: SubnetCapacity | None = None
    # Why the status is not OK, worst first (core/verdict.py); empty when OK.
    status_reasons: tuple[StatusReason, ...] = ()
    # The subnet's Name tag, for the exporter's info metric; not (yet) a field of the JSON report.
    name: str | None = field(default=None, compare=False)

    @property
    def scale_headroom(self) -> int | None:
        """Available addresses less what the workloads need to reach their maximum (negative: they
        cannot)."""
        if self.capacity is None or self.capacity.ips_needed_at_max is None:
            return None
        return self.available_ips - self.capacity.ips_needed_at_max

    @property
    def partial(self) -> bool:
        """Whether the scan could not see all of this subnet (its report carries gaps)."""
        return self.capacity is not None and bool(self.capacity.gaps)

    def to_dict(self) -> dict[str, Any]:
        report = self._measured()
        capacity = self.capacity
        if capacity is None:
            return report
        report["workloads"] = [
            {**workload.to_dict(), **capacity.workload_details.get(workload, {})} for workload in self.workloads
        ]
        optional = {
            "ips_needed_at_max": capacity.ips_needed_at_max,
            "scale_headroom": self.scale_headroom,
            "free_prefix_blocks": capacity.free_prefix_blocks,
            "largest_free_block": capacity.largest_free_block,
            "consumers": dict(capacity.consumers) if capacity.consumers is not None else None,
            "hours_to_exhaustion": capacity.hours_to_exhaustion,
        }
        # Absent means "not applicable", never a made-up 0 (docs/reference/json-report.md).
        report.update({key: value for key, value in optional.items() if value is not None})
        if capacity.gaps:
            report["gaps"] = [gap.to_dict() for gap in capacity.gaps]
        # The sentences scripts have always read, and beside them the same findings, structured.
        report["findings"] = [finding.sentence() for finding in capacity.findings]
        report["finding_details"] = [finding.to_dict() for finding in capacity.findings]
        return report

    def _measured(self) -> dict[str, Any]:
        return {
            "subnet_id": self.subnet_id,
            "vpc_id": self.vpc_id,
            "availability_zone": self.availability_zone,
            "cidr": self.cidr,
            "usable_ips": self.usable_ips,
            "available_ips": self.available_ips,
            "used_ips": self.used_ips,
            "utilization_percent": self.utilization_percent,
            "roles": [str(role) for role in self.roles],
            "workloads": [workload.to_dict() for workload in self.workloads],
            "status": str(self.status),
            "status_reasons": [reason.to_dict() for reason in self.status_reasons],
        }


@dataclass(frozen=True)
class ClusterDesign:
    """An EKS cluster: ``service_ipv4_cidr`` ``None`` means not set (EKS picks the default)."""

    name: str
    vpc: str
    control_plane_subnets: tuple[str, ...]
    service_ipv4_cidr: str | None = None
