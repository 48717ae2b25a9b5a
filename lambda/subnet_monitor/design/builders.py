"""The two doors to a :class:`~subnet_monitor.design.model.Design`: a plan file, sized by the
monitor's own headroom model at its maximum (:func:`design_from_plan`), and the scanned estate
(:func:`design_from_scan`); :func:`with_settings` applies the CLI's margin and peered networks.
Pure: no AWS, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from subnet_monitor.core.capacity import (
    CniSettings,
    NodeAllocation,
    managed_node_allocation,
    recommended_max_pods,
    spread,
)
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
from subnet_monitor.core.subnet import usable_ips
from subnet_monitor.design.model import Design, NodeDesign, SubnetDesign
from subnet_monitor.design.plan import Plan, PlannedEksCluster

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

    def capacity_of(workload: Workload, spec: WorkloadSpec) -> dict[str, int | None]:
        """What one workload needs at its maximum in each of its subnets, by the headroom model."""
        inputs = CapacityInputs(
            discovery=Discovery(uses=found.uses, specs={workload: spec}, ecs_trunking=found.ecs_trunking),
            states={name: states[name] for name in spec.subnets},
            address_use={},
            instance_addresses={},
            instance_limits=plan.instance_limits,
            cni=cni,
            fargate_max_pods=fargate_max_pods,
            min_free_prefix_blocks=0,
        )
        return {name: capacity.ips_needed_at_max for name, capacity in plan_capacity(inputs).items()}

    # Each workload on its own, over its own subnets (all it needs lands there: a plan has no
    # custom-networking pod subnets), for the breakdown and the single addresses of prefix subnets.
    # A subnet needs their sum, as the model over the whole plan says (each workload's need is
    # spread over its subnets on its own), without the model's per-subnet work growing with the
    # plan's node groups; a subnet no modelled workload uses needs None.
    needed: dict[str, int] = {}
    shares: dict[str, dict[Workload, int]] = defaultdict(dict)
    for workload, spec in found.specs.items():
        for name, share in capacity_of(workload, spec).items():
            if share is None:
                continue
            needed[name] = needed.get(name, 0) + share
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


def with_settings(
    design: Design, *, margin_percent: float | None = None, peered: Mapping[str, str] | None = None
) -> Design:
    """The design with a different margin, or more peered networks (CLI flags)."""
    return replace(
        design,
        margin_percent=design.margin_percent if margin_percent is None else margin_percent,
        peered={**design.peered, **(peered or {})},
    )
