"""The design check: :func:`check_design` applies every rule to a design, and the placement rules
live here (the EKS control plane's subnets, pods per node, dedicated and private subnets, spread
over Availability Zones); the addressing rules are in :mod:`subnet_monitor.design.addressing`.
Pure: no AWS, no I/O.
"""

from __future__ import annotations

from subnet_monitor.core.capacity import (
    EKS_CLUSTER_SUBNET_MIN_FREE_IPS,
    EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS,
    HOST_NETWORK_PODS,
    eks_control_plane_shortfall,
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
from subnet_monitor.core.findings import Finding
from subnet_monitor.core.models import (
    KIND_ECS_CAPACITY_PROVIDER,
    KIND_ECS_SERVICE,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    ClusterDesign,
    Role,
)
from subnet_monitor.design.addressing import (
    free_space,
    overlap_rules,
    prefix_block_rules,
    service_cidr_rules,
    sizing_rule,
)
from subnet_monitor.design.model import (
    WORKLOAD_ROLES,
    CheckReport,
    Design,
    NodeDesign,
    Result,
    SubnetDesign,
    verdict,
)

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
    Role.EKS_POD: frozenset({EKS_NODE_POD}),
    Role.EKS_FARGATE: frozenset({EKS_FARGATE}),
    Role.EKS_CONTROL_PLANE: frozenset({EKS_CONTROL_PLANE}),
}
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


def check_design(design: Design) -> CheckReport:
    """Apply every rule to ``design``."""
    results: list[Finding] = []
    for cluster in design.clusters:
        results.extend(service_cidr_rules(design, cluster))
        results.extend(_control_plane(design, cluster))
    results.extend(_node_pods(node) for node in design.nodes)
    for subnet in design.subnets.values():
        results.extend(_dedicated(design, subnet))
        results.extend(_private(subnet))
        results.extend(prefix_block_rules(subnet))
    results.extend(_spread(design))
    free = free_space(design)
    sizing = [s for s in (sizing_rule(design, subnet, free) for subnet in design.subnets.values()) if s is not None]
    results.extend(result for result, _ in sizing)
    results.extend(overlap_rules(design))
    return CheckReport(
        source=design.source,
        margin_percent=design.margin_percent,
        results=tuple(results),
        sizing=tuple(row for _, row in sizing),
        planned=design.planned,
    )


def _control_plane(design: Design, cluster: ClusterDesign) -> list[Finding]:
    subject = f"EKS cluster {cluster.name}"
    subnets = [design.subnets[s] for s in cluster.control_plane_subnets if s in design.subnets]
    zones = sorted({s.availability_zone for s in subnets})
    results = []
    if len(subnets) < EKS_CONTROL_PLANE_MIN_SUBNETS or len(zones) < EKS_CONTROL_PLANE_MIN_ZONES:
        results.append(
            verdict(
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
            verdict(
                "eks-control-plane-subnets",
                subject,
                Result.PASS,
                f"{len(subnets)} control-plane subnets in {len(zones)} Availability Zones ({', '.join(zones)})",
            )
        )
    for subnet in subnets:
        free = subnet.free_at_max
        at = " at maximum scale" if subnet.needed_at_max else ""
        finding = eks_control_plane_shortfall(cluster.name, subnet.label, free)
        if finding is None:
            results.append(
                verdict(
                    "eks-control-plane-free-ips",
                    f"{subject}: subnet {subnet.label}",
                    Result.PASS,
                    f"{free} addresses free{at}, at least the {EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS} EKS recommends",
                )
            )
            continue
        # The scan's message: "... has N free addresses, below ...; <what to do>".
        reason, _, fix = finding.message.partition(" has ")[2].partition("; ")
        level = Result.FAIL if free < EKS_CLUSTER_SUBNET_MIN_FREE_IPS else Result.WARN
        results.append(
            verdict("eks-control-plane-free-ips", f"{subject}: subnet {subnet.label}", level, reason + at, fix)
        )
    return results


def _node_pods(node: NodeDesign) -> Finding:
    subject = f"EKS node group {node.workload.cluster}/{node.workload.name}"
    room = max(node.max_pods - HOST_NETWORK_PODS, 0)
    host = f"maxPods {node.max_pods}: {HOST_NETWORK_PODS} on the host network (aws-node, kube-proxy)"
    if node.planned_pods is None:
        return verdict(
            "eks-node-pods",
            subject,
            Result.PASS,
            f"{host}, {node.daemonset_pods} add-on DaemonSet pod(s) with their own address, "
            f"{max(room - node.daemonset_pods, 0)} application pods: every node planned full",
        )
    total = node.planned_pods + node.daemonset_pods
    if total > room:
        return verdict(
            "eks-node-pods",
            subject,
            Result.WARN,
            f"{node.planned_pods} application pods + {node.daemonset_pods} add-on DaemonSet pod(s) a node, but {host} "
            f"leaves room for {room}: the pods need more nodes than planned",
            "plan fewer pods per node, more nodes (maxSize), or a larger maxPods (prefix delegation raises it)",
        )
    return verdict(
        "eks-node-pods",
        subject,
        Result.PASS,
        f"{node.planned_pods} application pods + {node.daemonset_pods} add-on DaemonSet pod(s) a node fit {host}, "
        f"room for {room}",
    )


def _dedicated(design: Design, subnet: SubnetDesign) -> list[Finding]:
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
        return [verdict("subnet-dedicated", subject, Result.PASS, f"used by {role_names} only")]
    return [
        verdict(
            "subnet-dedicated",
            subject,
            Result.WARN,
            f"{role_names} subnet, but {'; '.join(problems)}: what they take is not there when the cluster scales",
            "give the cluster its own subnets (EKS recommends small dedicated /28s for the control plane) and put "
            "load balancers, endpoints, NAT gateways and Lambda functions elsewhere",
        )
    ]


def _private(subnet: SubnetDesign) -> list[Finding]:
    roles = subnet.roles & WORKLOAD_ROLES
    if not roles or subnet.public is None:
        return []
    subject = f"subnet {subnet.label}"
    if not subnet.public:
        return [verdict("subnet-private", subject, Result.PASS, "private (no route to an internet gateway)")]
    if Role.EKS_FARGATE in roles:
        return [
            verdict(
                "subnet-private",
                subject,
                Result.FAIL,
                "public (a route to an internet gateway), but EKS accepts only private subnets for Fargate "
                "profiles: Fargate pods get no public address",
                "use private subnets (outbound through a NAT gateway) for the Fargate profile",
            )
        ]
    return [
        verdict(
            "subnet-private",
            subject,
            Result.WARN,
            f"public (a route to an internet gateway) but holds {', '.join(sorted(str(r) for r in roles))}: nodes and "
            "tasks there need public addresses to reach out and are reachable from the internet",
            "move nodes and tasks to private subnets (outbound through a NAT gateway); keep public subnets for "
            "internet-facing load balancers",
        )
    ]


def _spread(design: Design) -> list[Finding]:
    results = []
    for workload, subnet_keys in sorted(design.workload_subnets.items()):
        minimum = SPREAD_KINDS.get(workload.kind)
        if minimum is None:
            continue
        zones = sorted({design.subnets[s].availability_zone for s in subnet_keys if s in design.subnets})
        subject = f"{KIND_NAMES[workload.kind]} {workload.cluster}/{workload.name}"
        where = f"{len(zones)} Availability Zone(s) ({', '.join(zones)})"
        if len(zones) >= minimum:
            results.append(verdict("workload-az-spread", subject, Result.PASS, f"spans {where}"))
            continue
        why = (
            "AWS recommends three for ECS capacity (one zone's loss then costs a third of it)"
            if minimum == ECS_CAPACITY_PROVIDER_MIN_ZONES
            else "one zone's outage stops it, and it cannot scale while that zone has no addresses"
        )
        results.append(
            verdict(
                "workload-az-spread",
                subject,
                Result.WARN,
                f"spans {where}: {why}",
                f"give it subnets in {minimum} or more Availability Zones",
            )
        )
    return results
