"""Workloads whose maximum no AWS API gives, and the finding that says so. Pure.

- An EKS Auto Mode node pool: EKS launches nodes for it as pods need them, up to the node pool's
  ``limits``, a Kubernetes object (``NodePool``) that DescribeCluster does not return. Each node's
  pods take addresses from /28 prefixes on the node's interfaces (prefix delegation by default, with
  secondary IPs when no prefix is free), in the node's subnet or in the NodeClass's pod subnets.
  https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html
- An ECS Managed Instances capacity provider: ECS launches instances in the provider's subnets as
  tasks need them; DescribeCapacityProviders gives no maximum number of instances.
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedInstancesProvider.html

What they hold now is counted from their ENIs (``consumers``); what they need at their maximum is not
known, so a subnet that carries one has no ``ips_needed_at_max`` (never a figure as if they were absent).
"""

from __future__ import annotations

from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import KIND_EKS_AUTO_MODE, Workload

AUTO_MODE_UNMODELLED = "headroom.auto-mode-unmodelled"
MANAGED_INSTANCES_UNMODELLED = "headroom.managed-instances-unmodelled"
AUTO_MODE_NETWORKING_URL = "https://docs.aws.amazon.com/eks/latest/userguide/auto-networking.html"
MANAGED_INSTANCES_URL = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedInstancesProvider.html"


def unmodelled_finding(workload: Workload) -> Finding:
    """Why the need at max of ``workload`` (an Auto Mode node pool or a Managed Instances capacity
    provider) is not known, and where its bound is kept."""
    name = f"{workload.cluster}/{workload.name}"
    if workload.kind == KIND_EKS_AUTO_MODE:
        return Finding(
            code=AUTO_MODE_UNMODELLED,
            severity=Severity.INFO,
            subject=name,
            message=(
                f"EKS Auto Mode node pool {name}: its maximum is the NodePool's limits, a Kubernetes object no "
                "AWS API returns; its nodes' pods take /28 prefixes as they are scheduled. What it holds now is "
                "counted, its need at max is not modelled (no ips_needed_at_max here)"
            ),
            fix=f"read the limits with kubectl get nodepool {workload.name} -o yaml on cluster {workload.cluster}",
            source=AUTO_MODE_NETWORKING_URL,
        )
    return Finding(
        code=MANAGED_INSTANCES_UNMODELLED,
        severity=Severity.INFO,
        subject=name,
        message=(
            f"ECS Managed Instances capacity provider {name}: ECS launches instances as tasks need them and "
            "the API gives no maximum. What it holds now is counted, its need at max is not modelled (no "
            "ips_needed_at_max here)"
        ),
        source=MANAGED_INSTANCES_URL,
    )
