"""Addresses at maximum scale: max pods, VPC CNI node allocation, ECS, Fargate, spread, EKS control
plane. Checked against AWS's published values; each table says where it comes from."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.capacity import (
    EKS_CLUSTER_SUBNET_MIN_FREE_IPS,
    EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS,
    EKS_CLUSTER_UPDATE_FREE_IPS,
    IPS_PER_PREFIX,
    CniSettings,
    InstanceNetworkLimits,
    NodeAllocation,
    ecs_asg_addresses,
    ecs_service_addresses,
    ecs_service_peak_tasks,
    eks_control_plane_shortfall,
    fargate_addresses,
    limits_from_instance_type,
    max_pods,
    node_addresses,
    node_addresses_at_max,
    node_allocation,
    recommended_max_pods,
    spread,
)

# ENI limits (default network card) and IPv4 addresses per ENI as EC2 reports them, copied from
# the VPC CNI's generated table (aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go, "ENILimit",
# "IPv4Limit") -- see also https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html.
# vCPUs from https://aws.amazon.com/ec2/instance-types/.
LIMITS = {
    "t3.nano": InstanceNetworkLimits("t3.nano", 2, 2, 2),
    "t3.small": InstanceNetworkLimits("t3.small", 2, 3, 4),
    "t3a.small": InstanceNetworkLimits("t3a.small", 2, 2, 4),
    "t3.medium": InstanceNetworkLimits("t3.medium", 2, 3, 6),
    "t3.large": InstanceNetworkLimits("t3.large", 2, 3, 12),
    "m5.large": InstanceNetworkLimits("m5.large", 2, 3, 10),
    "m5.xlarge": InstanceNetworkLimits("m5.xlarge", 4, 4, 15),
    "m5.4xlarge": InstanceNetworkLimits("m5.4xlarge", 16, 8, 30),
    "m5.8xlarge": InstanceNetworkLimits("m5.8xlarge", 32, 8, 30),
    "m5.24xlarge": InstanceNetworkLimits("m5.24xlarge", 96, 15, 50),
    "c5.18xlarge": InstanceNetworkLimits("c5.18xlarge", 72, 15, 50),
    "p3dn.24xlarge": InstanceNetworkLimits("p3dn.24xlarge", 96, 15, 50),
    "c4.large": InstanceNetworkLimits("c4.large", 2, 3, 10, nitro=False),
}

# Published max pods, secondary-IP mode: awslabs/amazon-eks-ami
# templates/shared/runtime/eni-max-pods.txt ("# of ENI * (# of IPv4 per ENI - 1) + 2").
ENI_MAX_PODS_TXT = {
    "t3.nano": 4,
    "t3.small": 11,
    "t3a.small": 8,
    "t3.medium": 17,
    "t3.large": 35,
    "m5.large": 29,
    "m5.xlarge": 58,
    "m5.4xlarge": 234,
    "m5.8xlarge": 234,
    "m5.24xlarge": 737,
    "c5.18xlarge": 737,
    "p3dn.24xlarge": 737,
    "c4.large": 29,
}


def describe_instance_type(
    name: str, vcpus: int, ipv4_per_eni: int, cards: list[int], hypervisor: str | None = "nitro"
) -> dict[str, Any]:
    """A ``DescribeInstanceTypes`` entry, trimmed to the fields the model reads."""
    entry: dict[str, Any] = {
        "InstanceType": name,
        "VCpuInfo": {"DefaultVCpus": vcpus, "DefaultCores": vcpus // 2},
        "BareMetal": hypervisor is None,
        "NetworkInfo": {
            "MaximumNetworkInterfaces": sum(cards),
            "Ipv4AddressesPerInterface": ipv4_per_eni,
            "Ipv6AddressesPerInterface": ipv4_per_eni,
            "DefaultNetworkCardIndex": 0,
            "NetworkCards": [
                {"NetworkCardIndex": index, "MaximumNetworkInterfaces": enis} for index, enis in enumerate(cards)
            ],
        },
    }
    if hypervisor is not None:
        entry["Hypervisor"] = hypervisor
    return entry


@pytest.mark.parametrize(("instance_type", "published"), sorted(ENI_MAX_PODS_TXT.items()))
def test_max_pods_secondary_ip_matches_eni_max_pods_txt(instance_type: str, published: int) -> None:
    assert max_pods(LIMITS[instance_type], prefix_delegation=False) == published


@pytest.mark.parametrize(
    ("entry", "published"),
    [
        # eni-max-pods.txt: "For multi-card instance types (p5.48xlarge) the max limits is calculated
        # only against the default network card at index (0)". p4d.24xlarge has 4 cards of 15 ENIs,
        # p5.48xlarge 32 cards of 2 (vpc_ip_resource_limit.go); published 737 and 100.
        (describe_instance_type("p4d.24xlarge", 96, 50, [15] * 4), 737),
        (describe_instance_type("p5.48xlarge", 192, 50, [2] * 32), 100),
        (describe_instance_type("m5.large", 2, 10, [3]), 29),
    ],
    ids=["p4d.24xlarge", "p5.48xlarge", "m5.large"],
)
def test_limits_come_from_the_default_network_card(entry: dict[str, Any], published: int) -> None:
    # GIVEN a DescribeInstanceTypes entry, possibly with several network cards
    # WHEN it is parsed
    limits = limits_from_instance_type(entry)

    # THEN only the default card's ENIs count, and max pods is the published value
    assert limits.max_enis == entry["NetworkInfo"]["NetworkCards"][0]["MaximumNetworkInterfaces"]
    assert max_pods(limits, prefix_delegation=False) == published


@pytest.mark.parametrize(
    ("instance_type", "prefix_delegation", "published"),
    [
        # EKS user guide, choosing-instance-type.html: max-pods-calculator.sh --instance-type m5.large
        # "An example output is as follows. 29"; with --cni-prefix-delegation-enabled "yields 110".
        ("m5.large", False, 29),
        ("m5.large", True, 110),
        # awslabs/amazon-eks-ami test/cases/max-pods-cni-1-11-2.sh: m5.8xlarge -> 234;
        # test/cases/max-pods-cni-1-11-2-delegation.sh: m5.8xlarge with prefix delegation -> 250.
        ("m5.8xlarge", False, 234),
        ("m5.8xlarge", True, 250),
    ],
)
def test_calculator_values_published_by_aws(instance_type: str, prefix_delegation: bool, published: int) -> None:
    limits = LIMITS[instance_type]
    assert recommended_max_pods(limits, prefix_delegation) == published
    assert max_pods(limits, prefix_delegation) == published


def test_prefix_mode_formula_and_ceilings() -> None:
    # ENIs x ((IPv4 per ENI - 1) x 16) + 2, then 110, or 250 above 30 vCPUs (max-pods-calculator.sh).
    assert max_pods(LIMITS["t3.nano"], prefix_delegation=True) == 2 * (1 * 16) + 2  # 34: under the ceiling
    assert max_pods(LIMITS["t3.medium"], prefix_delegation=True) == 110  # 3 x 80 + 2 = 242, capped
    assert max_pods(LIMITS["c5.18xlarge"], prefix_delegation=True) == 250
    # Exactly 30 vCPUs is not "greater than 30" (the script's -gt 30).
    thirty = InstanceNetworkLimits("x.thirty", 30, 8, 30)
    forty = InstanceNetworkLimits("x.forty", 31, 8, 30)
    assert (max_pods(thirty, True), max_pods(forty, True)) == (110, 250)


def test_prefix_mode_falls_back_to_secondary_ips_off_nitro() -> None:
    # ipamd: "Prefix delegation is not supported on non-nitro instance ... falling back to default
    # (secondary IP) mode".
    limits = LIMITS["c4.large"]
    assert max_pods(limits, prefix_delegation=True) == max_pods(limits, prefix_delegation=False) == 29
    assert node_allocation(limits, CniSettings(prefix_delegation=True), 5).prefixes == 0


# Non-Nitro (Xen) types in prefix mode, as max-pods-calculator.sh answers: it takes the secondary-IP
# formula unless `[ "$IS_NITRO" = true ] && [ "$CNI_PREFIX_DELEGATION_ENABLED" = true ]`, then caps
# it at 110, or 250 when `[ "$CPU_COUNT" -gt 30 ]` (awslabs/amazon-eks-ami
# templates/al2/runtime/max-pods-calculator.sh). ENIs and IPv4 per ENI from vpc_ip_resource_limit.go,
# vCPUs from https://aws.amazon.com/ec2/instance-types/; the uncapped value is eni-max-pods.txt's.
@pytest.mark.parametrize(
    ("limits", "eni_max_pods_txt", "calculator"),
    [
        (InstanceNetworkLimits("c4.large", 2, 3, 10, nitro=False), 29, 29),
        (InstanceNetworkLimits("m4.4xlarge", 16, 8, 30, nitro=False), 234, 110),
        (InstanceNetworkLimits("c4.8xlarge", 36, 8, 30, nitro=False), 234, 234),
        (InstanceNetworkLimits("r4.16xlarge", 64, 15, 50, nitro=False), 737, 250),
        (InstanceNetworkLimits("i3.16xlarge", 64, 15, 50, nitro=False), 737, 250),
    ],
    ids=lambda value: value.instance_type if isinstance(value, InstanceNetworkLimits) else None,
)
def test_prefix_mode_off_nitro_is_capped_like_the_calculator(
    limits: InstanceNetworkLimits, eni_max_pods_txt: int, calculator: int
) -> None:
    # GIVEN a Xen instance type in a cluster with prefix delegation on
    # WHEN its max pods is asked in both modes
    # THEN secondary-IP mode keeps the AMI's eni-max-pods.txt value, prefix mode the calculator's
    assert max_pods(limits, prefix_delegation=False) == eni_max_pods_txt
    assert max_pods(limits, prefix_delegation=True) == calculator
    assert node_allocation(limits, CniSettings(prefix_delegation=True), calculator - 2).prefixes == 0


def test_recommended_max_pods_caps_secondary_ip_mode_too() -> None:
    # Managed node groups without a custom AMI cap maxPods at 110 / 250 in both modes
    # (choosing-instance-type.html, "How maxPods is determined").
    assert recommended_max_pods(LIMITS["c5.18xlarge"], prefix_delegation=False) == 250
    assert recommended_max_pods(LIMITS["m5.large"], prefix_delegation=False) == 29


def test_prefix_slots_per_eni_published_by_the_cni() -> None:
    # VPC CNI v1.9.0 release notes: "a t3.medium can have 5 (/28) prefixes per ENI";
    # docs/prefix-and-ip-target.md: t3.small has "a maximum of 9 available prefixes".
    assert LIMITS["t3.medium"].slots_per_eni == 5
    small = LIMITS["t3.small"]
    assert small.max_enis * small.slots_per_eni == 9


# aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md, "Some example cases":
# (instance, WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, pods, attached ENIs, secondary IPs)
SECONDARY_IP_TABLE = [
    ("t3.small", 1, None, None, 0, 1, 3),
    ("t3.small", 1, None, None, 5, 3, 9),
    ("t3.small", 1, None, None, 9, 3, 9),
    ("t3.small", 0, 1, 1, 0, 1, 1),
    ("t3.small", 0, 1, 1, 5, 2, 6),
    ("t3.small", 0, 1, 1, 9, 3, 9),
    ("t3.small", 0, 2, 5, 0, 2, 5),
    ("t3.small", 0, 2, 5, 5, 3, 7),
    ("t3.small", 0, 2, 5, 9, 3, 9),
    ("p3dn.24xlarge", 1, None, None, 0, 1, 49),
    ("p3dn.24xlarge", 1, None, None, 3, 2, 98),
    ("p3dn.24xlarge", 1, None, None, 95, 3, 147),
    ("p3dn.24xlarge", 0, 5, 10, 0, 1, 10),
    ("p3dn.24xlarge", 0, 5, 10, 7, 1, 12),
    ("p3dn.24xlarge", 0, 5, 10, 15, 1, 20),
    ("p3dn.24xlarge", 0, 5, 10, 45, 2, 50),
]


@pytest.mark.parametrize(("instance_type", "warm_eni", "warm_ip", "min_ip", "pods", "enis", "ips"), SECONDARY_IP_TABLE)
def test_secondary_ip_mode_matches_the_cni_examples(
    instance_type: str, warm_eni: int, warm_ip: int | None, min_ip: int | None, pods: int, enis: int, ips: int
) -> None:
    # GIVEN the CNI settings of one row of the CNI's own table ("-" in the table is unset)
    settings = CniSettings(warm_eni_target=warm_eni, warm_ip_target=warm_ip, minimum_ip_target=min_ip)

    # WHEN the node runs that many pods
    allocation = node_allocation(LIMITS[instance_type], settings, pods)

    # THEN it holds the ENIs and secondary addresses the table lists, and takes one subnet address
    # for each of them
    assert allocation == NodeAllocation(enis=enis, secondary_ips=ips)
    assert node_addresses(LIMITS[instance_type], settings, pods) == enis + ips


# aws/amazon-vpc-cni-k8s docs/prefix-and-ip-target.md, "Examples" (t3.small rows):
# (WARM_PREFIX_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, pods, ENIs, attached prefixes)
T3_SMALL_PREFIX_TABLE = [
    (1, None, None, 0, 1, 1),
    (1, None, None, 5, 1, 2),
    (1, None, None, 16, 1, 2),
    (1, None, None, 17, 1, 3),
    (1, None, None, 58, 2, 5),
    (0, 1, 1, 0, 1, 1),
    (0, 1, 1, 5, 1, 1),
    (0, 1, 1, 17, 1, 2),
    (0, 1, 1, 58, 2, 4),
    # The 0-pod row of WARM_IP_TARGET=7 / MINIMUM_IP_TARGET=20 says "Attached Prefixes 1" but
    # "Prefixes per ENI 2"; the page's own rule ("MINIMUM_IP_TARGET bigger than N*16 ... equivalent
    # to (N+1)*16") and ipamd's datastoreTargetState give 2.
    (0, 7, 20, 0, 1, 2),
    (0, 7, 20, 5, 1, 2),
    (0, 7, 20, 17, 1, 2),
    (0, 7, 20, 58, 2, 5),
]


@pytest.mark.parametrize(("warm_prefix", "warm_ip", "min_ip", "pods", "enis", "prefixes"), T3_SMALL_PREFIX_TABLE)
def test_prefix_mode_matches_the_cni_examples(
    warm_prefix: int, warm_ip: int | None, min_ip: int | None, pods: int, enis: int, prefixes: int
) -> None:
    settings = CniSettings(
        prefix_delegation=True, warm_prefix_target=warm_prefix, warm_ip_target=warm_ip, minimum_ip_target=min_ip
    )
    allocation = node_allocation(LIMITS["t3.small"], settings, pods)
    assert allocation == NodeAllocation(enis=enis, prefixes=prefixes)
    # Each prefix is a /28 carved out of the subnet, each ENI one primary address.
    assert allocation.addresses == enis + prefixes * IPS_PER_PREFIX


@pytest.mark.parametrize(
    ("warm_prefix", "warm_ip", "min_ip", "pods", "prefixes"),
    [
        (1, None, None, 0, 1),
        (1, None, None, 3, 2),
        (1, None, None, 95, 7),
        (0, 5, 10, 0, 1),
        (0, 5, 10, 7, 1),
        (0, 5, 10, 15, 2),
        (0, 5, 10, 45, 4),
    ],
)
def test_prefix_counts_on_p3dn_match_the_cni_examples(
    warm_prefix: int, warm_ip: int | None, min_ip: int | None, pods: int, prefixes: int
) -> None:
    # The same page's p3dn.24xlarge rows. Only the prefix counts are checked: its ENI column (2 ENIs
    # for 3 pods) contradicts the page's own "New ENI will only be allocated after we exhaust all
    # the prefixes allocated to existing ENIs" (49 prefix slots per ENI here).
    settings = CniSettings(
        prefix_delegation=True, warm_prefix_target=warm_prefix, warm_ip_target=warm_ip, minimum_ip_target=min_ip
    )
    allocation = node_allocation(LIMITS["p3dn.24xlarge"], settings, pods)
    assert (allocation.enis, allocation.prefixes) == (1, prefixes)


def test_defaults_are_the_cni_defaults() -> None:
    # README: WARM_ENI_TARGET default 1; the aws-node manifest sets WARM_PREFIX_TARGET=1.
    settings = CniSettings()
    assert (settings.prefix_delegation, settings.warm_eni_target, settings.warm_prefix_target) == (False, 1, 1)
    assert (settings.warm_ip_target, settings.minimum_ip_target, settings.max_pods) == (None, None, None)
    assert not settings.ip_targets_set
    # "Setting this to a non-positive value is the same as setting this to 0 or not setting the variable."
    assert not CniSettings(warm_ip_target=0, minimum_ip_target=-1).ip_targets_set


def test_warm_eni_target_zero_takes_a_new_eni_only_when_the_pool_is_empty() -> None:
    # isDatastorePoolTooLow: "(warmTarget == 0 && available == 0)".
    settings = CniSettings(warm_eni_target=0)
    small = LIMITS["t3.small"]
    assert [node_allocation(small, settings, pods).enis for pods in (0, 2, 3, 4, 6)] == [1, 1, 2, 2, 3]


def test_growth_stops_at_max_pods() -> None:
    # GIVEN prefix mode on an m5.large, whose maxPods is 110
    settings = CniSettings(prefix_delegation=True)
    limits = LIMITS["m5.large"]

    # WHEN it runs 108 pods (110 less the two host-network pods)
    allocation = node_allocation(limits, settings, 108)

    # THEN it holds 7 prefixes (112 addresses): the warm prefix is not added past maxPods
    # ("If max pods has been reached, pool is not too low")
    assert allocation == NodeAllocation(enis=1, prefixes=7)
    assert node_addresses_at_max(limits, settings) == 1 + 7 * 16

    # AND a configured maxPods stops the warm ENI in secondary-IP mode the same way: 16 pods on two
    # ENIs (18 secondaries) already reach maxPods 18, so no third ENI is attached
    capped = CniSettings(max_pods=18)
    assert node_allocation(limits, capped, 16) == NodeAllocation(enis=2, secondary_ips=18)
    assert node_allocation(limits, CniSettings(), 16) == NodeAllocation(enis=3, secondary_ips=27)


def test_at_max_in_secondary_ip_mode_every_address_of_the_instance_is_taken() -> None:
    for limits in LIMITS.values():
        assert node_addresses_at_max(limits, CniSettings()) == limits.max_enis * limits.ipv4_per_eni


def test_pods_past_what_the_instance_can_address_are_cut() -> None:
    small = LIMITS["t3.small"]
    assert node_allocation(small, CniSettings(), 1_000) == NodeAllocation(enis=3, secondary_ips=9)
    assert node_allocation(small, CniSettings(prefix_delegation=True), 1_000) == NodeAllocation(enis=3, prefixes=9)


def test_an_instance_without_secondary_slots_holds_only_its_primary_address() -> None:
    one = InstanceNetworkLimits("x.one", 2, 4, 1)
    assert max_pods(one, prefix_delegation=False) == 2  # nodeadm's maxpods_test: EniCount 50, PodsPerEni 1 -> 2
    assert node_addresses(one, CniSettings(), 5) == 1


limits_strategy = st.builds(
    InstanceNetworkLimits,
    instance_type=st.just("x.any"),
    vcpus=st.integers(1, 192),
    max_enis=st.integers(1, 16),
    ipv4_per_eni=st.integers(1, 64),
    nitro=st.booleans(),
)
settings_strategy = st.builds(
    CniSettings,
    prefix_delegation=st.booleans(),
    warm_eni_target=st.integers(0, 3),
    warm_ip_target=st.none() | st.integers(-1, 40),
    minimum_ip_target=st.none() | st.integers(-1, 80),
    warm_prefix_target=st.integers(0, 3),
    max_pods=st.none() | st.integers(1, 300),
)


@given(limits=limits_strategy, settings=settings_strategy, pods=st.integers(0, 2_000))
def test_node_addresses_are_bounded_and_grow_with_pods(
    limits: InstanceNetworkLimits, settings: CniSettings, pods: int
) -> None:
    allocation = node_allocation(limits, settings, pods)
    prefix_mode = settings.prefix_delegation and limits.nitro
    per_slot = IPS_PER_PREFIX if prefix_mode else 1
    capacity = limits.max_enis * limits.slots_per_eni * per_slot
    # Within the instance's limits: ENIs, and slots on the attached ENIs
    assert 1 <= allocation.enis <= limits.max_enis
    assert allocation.secondary_ips + allocation.prefixes <= allocation.enis * limits.slots_per_eni
    assert allocation.addresses <= limits.max_enis + capacity
    # Every pod the instance can address has an address, and the primary ENI has one
    assert allocation.addresses >= min(pods, capacity) + 1
    # One mode at a time
    assert allocation.prefixes == 0 or allocation.secondary_ips == 0
    # More pods never take fewer addresses
    assert node_addresses(limits, settings, pods + 1) >= allocation.addresses


@pytest.mark.parametrize(
    ("max_tasks", "maximum_percent", "peak"),
    [
        # API_DeploymentConfiguration: "a desiredCount of four tasks and a maximumPercent value of
        # 200% ... the scheduler may start four new tasks before stopping the four older tasks".
        (4, 200, 8),
        (3, 150, 4),  # 4.5 "rounded down to the nearest integer"
        (5, 100, 5),  # stop-then-start: no surge
        (5, 50, 5),  # never below the service's own size
        (0, 200, 0),
    ],
)
def test_ecs_service_peak(max_tasks: int, maximum_percent: int, peak: int) -> None:
    assert ecs_service_peak_tasks(max_tasks, maximum_percent) == peak
    assert ecs_service_addresses(max_tasks, maximum_percent) == peak


def test_ecs_service_default_surge_is_200_percent() -> None:
    assert ecs_service_peak_tasks(10) == ecs_service_addresses(10) == 20


def test_ecs_asg_takes_one_address_per_instance_and_one_per_trunk() -> None:
    assert ecs_asg_addresses(10, trunking=False) == 10
    assert ecs_asg_addresses(10, trunking=True) == 20


def test_fargate_takes_one_address_per_pod() -> None:
    assert fargate_addresses(0) == 0
    assert fargate_addresses(37) == 37


@pytest.mark.parametrize(
    "call",
    [
        lambda: ecs_service_peak_tasks(-1),
        lambda: ecs_service_peak_tasks(1, -5),
        lambda: ecs_asg_addresses(-1, trunking=False),
        lambda: fargate_addresses(-1),
        lambda: node_addresses(LIMITS["m5.large"], CniSettings(), -1),
        lambda: spread(-1, ["subnet-a"]),
        lambda: spread(3, []),
        lambda: CniSettings(warm_eni_target=-1),
        lambda: CniSettings(max_pods=0),
        lambda: InstanceNetworkLimits("x.bad", 2, 0, 10),
    ],
)
def test_impossible_inputs_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match=r"must be|no subnets"):
        call()


def test_spread_balances_zones_then_subnets() -> None:
    # GIVEN four subnets, two of them in the same zone
    zones = {"subnet-a1": "eu-west-1a", "subnet-a2": "eu-west-1a", "subnet-b": "eu-west-1b", "subnet-c": "eu-west-1c"}

    # WHEN 10 instances are spread the way Auto Scaling balances zones
    shares = spread(10, ["subnet-c", "subnet-b", "subnet-a2", "subnet-a1"], zones)

    # THEN each zone gets a third (the odd one to the first zone in sorted order), split within the zone
    assert shares == {"subnet-a1": 2, "subnet-a2": 2, "subnet-b": 3, "subnet-c": 3}
    # AND without zones every subnet is its own zone
    assert spread(10, list(zones)) == {"subnet-a1": 3, "subnet-a2": 3, "subnet-b": 2, "subnet-c": 2}
    assert spread(0, []) == {}


@given(
    total=st.integers(0, 10_000),
    subnets=st.lists(st.sampled_from([f"subnet-{i}" for i in range(8)]), min_size=1, max_size=12),
    data=st.data(),
)
def test_spread_conserves_balances_and_ignores_order(total: int, subnets: list[str], data: st.DataObject) -> None:
    zones = {subnet: data.draw(st.sampled_from(["az-1", "az-2", "az-3"])) for subnet in subnets}
    shares = spread(total, subnets, zones)
    assert sum(shares.values()) == total
    assert set(shares) == set(subnets)
    per_zone: dict[str, int] = {}
    for subnet, share in shares.items():
        per_zone[zones[subnet]] = per_zone.get(zones[subnet], 0) + share
    assert max(per_zone.values()) - min(per_zone.values()) <= 1
    assert spread(total, list(reversed(subnets)), zones) == shares


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (EKS_CLUSTER_SUBNET_RECOMMENDED_FREE_IPS, None),
        (200, None),
        (15, "below the 16 EKS recommends"),
        (EKS_CLUSTER_SUBNET_MIN_FREE_IPS, "below the 16 EKS recommends"),
        (5, "below the 6 EKS requires"),
        (EKS_CLUSTER_UPDATE_FREE_IPS - 1, "below the 5 a control-plane version update needs"),
        (0, "below the 5 a control-plane version update needs"),
    ],
)
def test_eks_control_plane_finding(available: int, expected: str | None) -> None:
    # EKS network-reqs.html: "at least six IP addresses ... we recommend at least 16";
    # update-cluster.html: "requires up to five available IP addresses".
    found = eks_control_plane_shortfall("platform", "subnet-0a", available)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        finding = found.sentence()
        assert expected in finding
        assert f"subnet-0a has {available} free addresses" in finding
        assert "EKS cluster platform" in finding
        assert "update-cluster-config" in finding


@pytest.mark.parametrize(
    ("available", "code", "severity", "page"),
    [
        (15, "eks-control-plane.below-recommended", "warning", "network-reqs.html"),
        (5, "eks-control-plane.below-required", "error", "network-reqs.html"),
        (4, "eks-control-plane.below-update-minimum", "error", "update-cluster.html"),
    ],
)
def test_eks_control_plane_shortfall_has_a_code_per_threshold(
    available: int, code: str, severity: str, page: str
) -> None:
    finding = eks_control_plane_shortfall("platform", "subnet-0a", available)
    assert finding is not None
    assert (finding.code, finding.severity, finding.subject) == (code, severity, "subnet-0a")
    assert finding.source is not None and finding.source.endswith(page)
    # the sentence has always carried its advice after a ";", not as "Fix:"
    assert finding.fix is None
    assert finding.sentence() == finding.message


def test_parsing_reads_nitro_and_refuses_what_is_missing() -> None:
    assert limits_from_instance_type(describe_instance_type("m5.large", 2, 10, [3])).nitro
    assert not limits_from_instance_type(describe_instance_type("c4.large", 2, 10, [3], hypervisor="xen")).nitro
    # Bare metal has no Hypervisor field; the CNI supports prefixes on Nitro bare metal (v1.11+).
    assert limits_from_instance_type(describe_instance_type("m5.metal", 96, 50, [15], hypervisor=None)).nitro
    # No NetworkCards: the instance-wide figure is the default card's.
    entry = describe_instance_type("m5.xlarge", 4, 15, [4])
    del entry["NetworkInfo"]["NetworkCards"]
    assert limits_from_instance_type(entry) == InstanceNetworkLimits("m5.xlarge", 4, 4, 15)
    del entry["VCpuInfo"]
    with pytest.raises(ValueError, match="VCpuInfo"):
        limits_from_instance_type(entry)
