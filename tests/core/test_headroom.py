"""The per-subnet capacity model over pure inputs: each workload kind, surge, trunking, CNI modes, spread."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.capacity import CniSettings, InstanceNetworkLimits
from subnet_monitor.core.consumers import SubnetAddressUse, addresses_by_instance
from subnet_monitor.core.findings import Severity
from subnet_monitor.core.fragmentation import prefix_space
from subnet_monitor.core.headroom import CapacityInputs, _details_of, plan_capacity
from subnet_monitor.core.models import (
    AsgSpec,
    Discovery,
    EcsServiceSpec,
    FargateProfileSpec,
    NodegroupSpec,
    Role,
    SubnetState,
    Workload,
)

# eni-max-pods.txt / DescribeInstanceTypes: m5.large has 3 ENIs of 10 IPv4 addresses and 2 vCPUs.
M5_LARGE = InstanceNetworkLimits("m5.large", vcpus=2, max_enis=3, ipv4_per_eni=10)
SERVICE = Workload("ecs-service", "payments", "api")
ASG = Workload("ecs-capacity-provider", "payments", "payments-ec2")
NODES = Workload("eks-nodegroup", "platform", "general")
PODS = Workload("eks-fargate-profile", "platform", "serverless")


def subnets(*ids_and_zones: tuple[str, str], available: int = 200, cidr: str = "10.0.0.0/24") -> dict[str, SubnetState]:
    return {sid: SubnetState(sid, "vpc-1", zone, cidr, available) for sid, zone in ids_and_zones}


def plan(specs: dict[Workload, Any], states: dict[str, SubnetState], **kwargs: Any) -> dict[str, Any]:
    found = Discovery()
    for workload, spec in specs.items():
        found.specs[workload] = spec
        for subnet_id in spec.subnets:
            found.add(subnet_id, Role.ECS_TASK, workload)
    trunking = kwargs.pop("trunking", False)
    found.ecs_trunking = trunking
    inputs = CapacityInputs(
        discovery=found,
        states=states,
        address_use=kwargs.pop("address_use", {}),
        instance_addresses=kwargs.pop("instance_addresses", {}),
        instance_limits=kwargs.pop("instance_limits", {"m5.large": M5_LARGE}),
        **kwargs,
    )
    return plan_capacity(inputs)


def test_service_surge_is_spread_evenly_over_zones() -> None:
    # GIVEN a service of max 5 tasks, 2 running, over three subnets in three zones
    states = subnets(("subnet-a", "az-a"), ("subnet-b", "az-b"), ("subnet-c", "az-c"))
    spec = EcsServiceSpec(subnets=tuple(states), desired=2, running=2, max_tasks=5)

    # THEN 5 x 200 % = 10 at the deployment peak, 8 more than now: 3, 3, 2 (the odd ones in sorted order)
    capacity = plan({SERVICE: spec}, states)
    assert [capacity[s].ips_needed_at_max for s in states] == [3, 3, 2]


def test_service_without_surge_and_without_autoscaling_uses_desired_count() -> None:
    states = subnets(("subnet-a", "az-a"))
    spec = EcsServiceSpec(subnets=("subnet-a",), desired=4, running=4, maximum_percent=100)
    assert plan({SERVICE: spec}, states)["subnet-a"].ips_needed_at_max == 0


def test_asg_needs_one_address_per_instance_and_one_more_with_trunking() -> None:
    states = subnets(("subnet-a", "az-a"), ("subnet-b", "az-b"))
    spec = AsgSpec(subnets=tuple(states), max_size=10, instances=2)
    without = plan({ASG: spec}, states)
    with_trunks = plan({ASG: spec}, states, trunking=True)
    assert [without[s].ips_needed_at_max for s in states] == [4, 4]  # (10 - 2) instances
    assert [with_trunks[s].ips_needed_at_max for s in states] == [8, 8]  # (20 - 4) addresses


def test_node_group_in_secondary_ip_mode_and_with_warm_ip_target() -> None:
    states = subnets(("subnet-a", "az-a"), available=50)
    spec = NodegroupSpec(subnets=("subnet-a",), max_size=2, desired=0, instance_types=("m5.large",))

    # Default WARM_ENI_TARGET=1: a full m5.large holds all 3 ENIs x 10 addresses.
    default = plan({NODES: spec}, states)["subnet-a"]
    assert (default.ips_needed_at_max, default.findings[0].sentence().split(":")[0]) == (60, "subnet subnet-a")
    assert (default.findings[0].code, default.findings[0].severity) == ("headroom.short-at-max", Severity.ERROR)
    assert default.findings[0].fix == "add a subnet (or a larger one) to these workloads, or lower their maximum"
    # WARM_IP_TARGET=1: 27 pods + 1 warm = 28 secondaries on 28 / 9 -> 4 ENIs, capped at 3: same 30 a node
    warm_ip = plan({NODES: spec}, states, cni={"platform": CniSettings(warm_ip_target=1)})["subnet-a"]
    assert warm_ip.ips_needed_at_max == 60
    # maxPods 12 (a custom kubelet setting), no warm ENI: 10 pods fill 2 ENIs, and the CNI takes an
    # ENI's addresses whole in this mode: 2 x 10 = 20 a node
    small = plan({NODES: spec}, states, cni={"platform": CniSettings(max_pods=12, warm_eni_target=0)})["subnet-a"]
    assert small.ips_needed_at_max == 2 * 20


def test_node_group_in_prefix_mode_counts_prefixes() -> None:
    states = subnets(("subnet-a", "az-a"), available=500, cidr="10.0.0.0/22")
    spec = NodegroupSpec(subnets=("subnet-a",), max_size=1, desired=0, instance_types=("m5.large",))
    capacity = plan({NODES: spec}, states, cni={"platform": CniSettings(prefix_delegation=True)})["subnet-a"]
    # 110 max pods - 2 host-network = 108 pods -> 7 prefixes of 16 (+ the warm prefix while slots allow),
    # on ENIs whose primaries count too: well above the 30 of secondary-IP mode, and a multiple of 16 + ENIs
    assert capacity.ips_needed_at_max > 112
    assert capacity.workload_details[NODES]["max_pods_per_node"] == {"m5.large": {"secondary_ip": 29, "prefix": 110}}


def test_what_a_node_group_holds_now_is_subtracted() -> None:
    states = subnets(("subnet-a", "az-a"))
    spec = NodegroupSpec(subnets=("subnet-a",), max_size=2, desired=1, instance_types=("m5.large",))
    found_owner = {"i-1": NODES}
    enis = [
        {"Attachment": {"InstanceId": "i-1"}, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.1"}] * 10},
        {"Attachment": {"InstanceId": "i-1"}, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.1"}] * 10},
        {"Attachment": {"InstanceId": "i-2"}, "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.2.1"}] * 7},
    ]
    found = Discovery(specs={NODES: spec}, instance_owners=found_owner)
    found.add("subnet-a", Role.EKS_NODE, NODES)
    capacity = plan_capacity(
        CapacityInputs(
            discovery=found,
            states=states,
            address_use={},
            instance_addresses=addresses_by_instance(enis),
            instance_limits={"m5.large": M5_LARGE},
        )
    )
    assert capacity["subnet-a"].ips_needed_at_max == 60 - 20


def test_unknown_instance_type_is_a_finding_not_a_guess() -> None:
    states = subnets(("subnet-a", "az-a"))
    spec = NodegroupSpec(subnets=("subnet-a",), max_size=3, desired=0, instance_types=("x9.mega",))
    capacity = plan({NODES: spec}, states)["subnet-a"]
    assert capacity.ips_needed_at_max is None
    [finding] = capacity.findings
    assert "x9.mega unknown to DescribeInstanceTypes" in finding.sentence()
    # a finding about the node group, with nothing to fix in the subnet
    assert (finding.code, finding.subject, finding.fix) == ("headroom.unknown-instance-type", "platform/general", None)


def test_fargate_profile_grows_to_its_configured_maximum() -> None:
    states = subnets(("subnet-a", "az-a"))
    use = {"subnet-a": SubnetAddressUse("subnet-a", consumers={"eks_fargate": 12})}
    spec = FargateProfileSpec(subnets=("subnet-a",))
    assert plan({PODS: spec}, states, address_use=use)["subnet-a"].ips_needed_at_max == 0
    maximum = plan({PODS: spec}, states, address_use=use, fargate_max_pods={"platform/serverless": 30})
    assert maximum["subnet-a"].ips_needed_at_max == 18


def test_few_free_prefix_blocks_below_the_configured_minimum_is_a_finding() -> None:
    states = subnets(("subnet-a", "az-a"))
    # .16-.199 used: blocks 1-12 taken, block 0 holds the 4 reserved addresses and block 15 the broadcast
    space = prefix_space("10.0.0.0/24", used_ips=[f"10.0.0.{i}" for i in range(16, 200)])
    capacity = plan({}, states, prefix_spaces={"subnet-a": space}, min_free_prefix_blocks=4)["subnet-a"]
    assert capacity.free_prefix_blocks == space.free_blocks == 2
    [finding] = capacity.findings
    assert "2 free /28 blocks left, below minFreePrefixBlocks (4)" in finding.sentence()
    assert (finding.code, finding.severity) == ("fragmentation.few-free-prefixes", "warning")
    assert finding.subject == "subnet-a"
    assert finding.sentence().endswith(". Fix: a subnet CIDR reservation of type prefix, or a new subnet")


def test_forecast_needs_a_rising_history() -> None:
    states = subnets(("subnet-a", "az-a"), available=151)  # 100 used of 251
    rising = [(3600.0 * h / 12, 100 - 10 * (36 - h) / 12) for h in range(36)]  # +10 an hour for 3 h
    capacity = plan({}, states, history={"subnet-a": rising}, now=3 * 3600.0)["subnet-a"]
    assert abs(capacity.hours_to_exhaustion - 15.1) < 0.2
    flat = [(300.0 * i, 100.0) for i in range(36)]
    assert plan({}, states, history={"subnet-a": flat}, now=36 * 300.0)["subnet-a"].hours_to_exhaustion is None


_workloads = st.builds(
    Workload,
    st.sampled_from(["eks-nodegroup", "ecs-service", "eks-fargate-profile"]),
    st.sampled_from(["a", "b", "c"]),
    st.text(alphabet="xyz", min_size=1, max_size=3),
)


@given(st.lists(_workloads, unique=True, max_size=30), st.sets(_workloads, max_size=15))
def test_a_subnets_workload_details_are_its_own_in_the_estates_order(
    estate: list[Workload], own: set[Workload]
) -> None:
    # GIVEN the details of every workload of an estate, in planning order, and the workloads of one subnet
    details = {workload: {"index": index} for index, workload in enumerate(estate)}
    rank = {workload: index for index, workload in enumerate(details)}

    # WHEN the subnet's details are taken through the rank, THEN they are exactly what a pass over every
    # workload of the estate keeps, in the same order
    expected = {w: d for w, d in details.items() if w in own}
    assert list(_details_of(own, details, rank).items()) == list(expected.items())
