"""One per-node model for the monitor and the design check: managed node groups at their maximum."""

from __future__ import annotations

from dataclasses import replace

import pytest

from subnet_monitor.core.capacity import (
    CniSettings,
    InstanceNetworkLimits,
    managed_node_allocation,
    node_addresses,
    node_addresses_at_max,
    recommended_max_pods,
)
from subnet_monitor.core.headroom import CapacityInputs, plan_capacity
from subnet_monitor.core.models import Discovery, NodegroupSpec, Role, SubnetState, Workload

M5_LARGE = InstanceNetworkLimits("m5.large", vcpus=2, max_enis=3, ipv4_per_eni=10)
M5_XLARGE = InstanceNetworkLimits("m5.xlarge", vcpus=4, max_enis=4, ipv4_per_eni=15)
C5_18XLARGE = InstanceNetworkLimits("c5.18xlarge", vcpus=72, max_enis=15, ipv4_per_eni=50)


@pytest.mark.parametrize("limits", [M5_LARGE, M5_XLARGE, C5_18XLARGE])
@pytest.mark.parametrize(
    "settings",
    [CniSettings(), CniSettings(prefix_delegation=True), CniSettings(warm_ip_target=5), CniSettings(max_pods=40)],
)
def test_full_node_is_what_the_monitor_always_planned(limits: InstanceNetworkLimits, settings: CniSettings) -> None:
    # THEN without a planned pod count a node is full: maxPods as managed node groups cap it
    capped = replace(settings, max_pods=settings.max_pods or recommended_max_pods(limits, settings.prefix_delegation))
    assert managed_node_allocation(limits, settings).addresses == node_addresses_at_max(limits, capped)


def test_planned_pods_per_node_are_capped_at_what_the_node_may_run() -> None:
    # GIVEN m5.xlarge in prefix mode: maxPods 110, so 108 pods with their own address
    settings = CniSettings(prefix_delegation=True)
    # THEN 30 planned pods take 2 prefixes + 1 warm = 3 prefixes on the primary ENI
    assert managed_node_allocation(M5_XLARGE, settings, pods_per_node=30).addresses == 1 + 3 * 16
    # AND more pods than fit are the full node
    assert managed_node_allocation(M5_XLARGE, settings, pods_per_node=500) == managed_node_allocation(
        M5_XLARGE, settings
    )
    assert managed_node_allocation(M5_XLARGE, settings, pods_per_node=30).addresses == node_addresses(
        M5_XLARGE, replace(settings, max_pods=110), 30
    )


def test_headroom_sizes_a_node_group_by_its_planned_pods_per_node() -> None:
    # GIVEN a node group of at most 4 m5.large nodes, planned at 5 pods a node, in one empty subnet
    workload = Workload("eks-nodegroup", "platform", "general")
    found = Discovery()
    found.specs[workload] = NodegroupSpec(
        ("subnet-a",), max_size=4, desired=0, instance_types=("m5.large",), pods_per_node=5
    )
    found.add("subnet-a", Role.EKS_NODE, workload)
    states = {"subnet-a": SubnetState("subnet-a", "vpc-1", "az-a", "10.0.0.0/24", 251)}
    inputs = CapacityInputs(
        discovery=found, states=states, address_use={}, instance_addresses={}, instance_limits={"m5.large": M5_LARGE}
    )

    # THEN each node holds 2 ENIs of 10 addresses (5 pods, one warm ENI): 80 addresses at max
    assert plan_capacity(inputs)["subnet-a"].ips_needed_at_max == 4 * 20
