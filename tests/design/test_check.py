"""Every design rule on a passing and a failing plan (the message asserted); sizing advice against a
brute-force search; the plan sized by the monitor's own headroom model; the live door."""

from __future__ import annotations

import copy
import ipaddress
import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subnet_monitor.core.capacity import ecs_service_addresses
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.fragmentation import prefix_space
from subnet_monitor.core.models import ClusterDesign, Role, Status, SubnetCapacity, SubnetReport, Workload
from subnet_monitor.design.builders import design_from_plan, design_from_scan
from subnet_monitor.design.model import RULES
from subnet_monitor.design.plan import parse_plan
from subnet_monitor.design.rules import check_design
from subnet_monitor.design.sizing import AddressNeed, default_service_cidr, fits, smallest_fitting_prefix, with_margin
from subnet_monitor.render.check import to_json, to_text

Change = Callable[[dict[str, Any]], Any]


def base() -> dict[str, Any]:
    """A plan that passes every rule."""
    return {
        "safetyMarginPercent": 20,
        "vpcs": [{"name": "main", "cidrs": ["10.0.0.0/16"]}],
        "peeredCidrs": {"office": "192.168.0.0/16"},
        "subnets": [
            {"name": "cp-a", "availabilityZone": "az-a", "cidr": "10.0.0.0/27"},
            {"name": "cp-b", "availabilityZone": "az-b", "cidr": "10.0.0.32/27"},
            {"name": "nodes-a", "availabilityZone": "az-a", "cidr": "10.0.16.0/22"},
            {"name": "nodes-b", "availabilityZone": "az-b", "cidr": "10.0.20.0/22"},
            {"name": "pods-a", "availabilityZone": "az-a", "cidr": "10.0.1.0/26"},
            {"name": "pods-b", "availabilityZone": "az-b", "cidr": "10.0.1.64/26"},
            {"name": "tasks-a", "availabilityZone": "az-a", "cidr": "10.0.8.0/24"},
            {"name": "tasks-b", "availabilityZone": "az-b", "cidr": "10.0.9.0/24"},
            {"name": "tasks-c", "availabilityZone": "az-c", "cidr": "10.0.10.0/24"},
            {"name": "hosts-a", "availabilityZone": "az-a", "cidr": "10.0.4.0/26"},
            {"name": "hosts-b", "availabilityZone": "az-b", "cidr": "10.0.4.64/26"},
            {"name": "hosts-c", "availabilityZone": "az-c", "cidr": "10.0.4.128/26"},
            {"name": "public-a", "availabilityZone": "az-a", "cidr": "10.0.2.0/24", "public": True},
        ],
        "ecsClusters": [
            {
                "name": "shop",
                "capacityProviders": [{"name": "ec2", "subnets": ["hosts-a", "hosts-b", "hosts-c"], "maxSize": 9}],
                "services": [{"name": "web", "subnets": ["tasks-a", "tasks-b", "tasks-c"], "maxTasks": 30}],
            }
        ],
        "eksClusters": [
            {
                "name": "k8s",
                "controlPlaneSubnets": ["cp-a", "cp-b"],
                "serviceIpv4Cidr": "172.20.0.0/16",
                "nodegroups": [
                    {"name": "general", "subnets": ["nodes-a", "nodes-b"], "instanceTypes": ["m5.large"], "maxSize": 10}
                ],
                "fargateProfiles": [{"name": "jobs", "subnets": ["pods-a", "pods-b"], "maxPods": 20}],
            }
        ],
    }


def subnet(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in document["subnets"] if s["name"] == name)


def eks(document: dict[str, Any]) -> dict[str, Any]:
    return document["eksClusters"][0]


def check(*changes: Change) -> list[Finding]:
    document = copy.deepcopy(base())
    for change in changes:
        change(document)
    return list(check_design(design_from_plan(parse_plan(document))).results)


def only(results: list[Finding], rule: str, subject: str = "") -> Finding:
    [found] = [r for r in results if r.code == rule and subject in r.subject]
    return found


def not_passing(results: list[Finding]) -> list[Finding]:
    return [r for r in results if r.severity is not Severity.OK]


def test_the_base_plan_passes_every_rule_and_exits_zero() -> None:
    # WHEN the base plan is checked
    report = check_design(design_from_plan(parse_plan(base()), source="plan base"))
    # THEN nothing warns or fails, every rule but the live-only /28 one ran, and the exit code is 0
    assert not_passing(list(report.results)) == []
    assert {r.code for r in report.results} == set(RULES) - {"subnet-prefix-blocks"}
    assert report.exit_code == 0
    assert to_text(report).endswith("(exit code 0: every rule passed)")


# --- EKS service CIDR -------------------------------------------------------------------------------


def set_service_cidr(value: str | None) -> Change:
    return lambda d: eks(d).update(serviceIpv4Cidr=value)


def test_service_cidr_outside_the_private_blocks_fails() -> None:
    result = only(check(set_service_cidr("100.64.0.0/16")), "eks-service-cidr-range")
    assert result.severity is Severity.ERROR
    assert "serviceIpv4Cidr 100.64.0.0/16 is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16" in result.message
    assert "cannot be changed later" in (result.fix or "")


def test_service_cidr_inside_a_private_block_passes() -> None:
    result = only(check(), "eks-service-cidr-range")
    assert (result.severity, result.message) == (Severity.OK, "serviceIpv4Cidr 172.20.0.0/16, inside 172.16.0.0/12")


@pytest.mark.parametrize(("cidr", "level"), [("10.96.0.0/12", Severity.OK), ("10.96.0.0/24", Severity.OK)])
def test_service_cidr_between_24_and_12_passes(cidr: str, level: Severity) -> None:
    assert only(check(set_service_cidr(cidr)), "eks-service-cidr-size").severity is level


@pytest.mark.parametrize(("cidr", "size"), [("10.96.0.0/25", "/25"), ("10.64.0.0/11", "/11")])
def test_service_cidr_too_small_or_too_large_fails(cidr: str, size: str) -> None:
    result = only(check(set_service_cidr(cidr)), "eks-service-cidr-size")
    assert result.severity is Severity.ERROR
    assert result.message == f"serviceIpv4Cidr {cidr} is a {size}; EKS accepts /24 to /12"


def test_service_cidr_overlapping_a_secondary_vpc_cidr_fails() -> None:
    results = check(
        lambda d: d["vpcs"][0]["cidrs"].append("172.20.0.0/16"),
        set_service_cidr("172.20.128.0/17"),
    )
    result = only(results, "eks-service-cidr-vpc-overlap")
    assert result.severity is Severity.ERROR
    assert "overlaps CIDR 172.20.0.0/16 of VPC main: services and pods or nodes would share addresses" in result.message


def test_service_cidr_clear_of_the_vpc_passes() -> None:
    result = only(check(), "eks-service-cidr-vpc-overlap")
    assert (result.severity, result.message) == (
        Severity.OK,
        "172.20.0.0/16 overlaps none of VPC main's CIDRs (10.0.0.0/16)",
    )


def test_service_cidr_overlapping_a_peered_network_warns() -> None:
    result = only(check(set_service_cidr("192.168.128.0/17")), "eks-service-cidr-peered-overlap")
    assert result.severity is Severity.WARNING
    assert "overlaps office 192.168.0.0/16: pods cannot reach those addresses" in result.message


def test_service_cidr_clear_of_peered_networks_passes() -> None:
    result = only(check(), "eks-service-cidr-peered-overlap")
    assert result.message == "172.20.0.0/16 overlaps no peered or planned network (office 192.168.0.0/16)"


@pytest.mark.parametrize(
    ("vpc_cidrs", "default"),
    [
        (["10.0.0.0/16"], "172.20.0.0/16"),
        (["192.168.0.0/16"], "10.100.0.0/16"),
        (["172.31.0.0/16"], "10.100.0.0/16"),
        (["192.168.0.0/16", "10.64.0.0/16"], "172.20.0.0/16"),  # a secondary CIDR in 10/8 counts
    ],
)
def test_default_service_cidr_follows_the_vpc(vpc_cidrs: list[str], default: str) -> None:
    assert default_service_cidr(vpc_cidrs) == default


def test_unset_service_cidr_is_judged_as_the_default_eks_picks() -> None:
    # GIVEN no serviceIpv4Cidr, a 10.x VPC with a 172.20.0.0/16 secondary block
    results = check(set_service_cidr(None), lambda d: d["vpcs"][0]["cidrs"].append("172.20.0.0/16"))
    # THEN the default 172.20.0.0/16 is reported, and it overlaps the secondary block
    assert only(results, "eks-service-cidr-range").message.startswith(
        "serviceIpv4Cidr is not set: EKS assigns 172.20.0.0/16 (a VPC CIDR lies in 10.0.0.0/8)"
    )
    overlap = only(results, "eks-service-cidr-vpc-overlap")
    assert overlap.severity is Severity.ERROR
    assert overlap.message.startswith("the default service CIDR 172.20.0.0/16 overlaps CIDR 172.20.0.0/16 of VPC main")


# --- EKS control plane ------------------------------------------------------------------------------


def test_control_plane_in_two_zones_passes() -> None:
    result = only(check(), "eks-control-plane-subnets")
    assert result.message == "2 control-plane subnets in 2 Availability Zones (az-a, az-b)"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: eks(d).update(controlPlaneSubnets=["cp-a"]), "1 control-plane subnet(s) in 1 Availability Zone(s)"),
        (lambda d: subnet(d, "cp-b").update(availabilityZone="az-a"), "2 control-plane subnet(s) in 1 Availability"),
    ],
)
def test_control_plane_in_one_zone_fails(change: Change, reason: str) -> None:
    result = only(check(change), "eks-control-plane-subnets")
    assert result.severity is Severity.ERROR
    assert result.message.startswith(reason)
    assert "EKS requires at least two subnets in different Availability Zones" in result.message


def test_control_plane_subnets_with_room_pass() -> None:
    assert only(check(), "eks-control-plane-free-ips", "cp-a").message == (
        "27 addresses free, at least the 16 EKS recommends"
    )


def test_control_plane_subnet_below_the_recommendation_warns() -> None:
    # GIVEN a /28 (11 usable): below the 16 EKS recommends, above the 6 it requires
    result = only(check(lambda d: subnet(d, "cp-a").update(cidr="10.0.0.0/28")), "eks-control-plane-free-ips", "cp-a")
    assert (result.severity, result.message) == (Severity.WARNING, "11 free addresses, below the 16 EKS recommends")
    assert "update-cluster-config" in (result.fix or "")


def test_control_plane_subnet_below_the_requirement_fails() -> None:
    # GIVEN a /28 where a NAT gateway and load balancer already hold 7 of the 11 addresses
    result = only(
        check(lambda d: subnet(d, "cp-a").update(cidr="10.0.0.0/28", otherConsumers={"load_balancer": 7})),
        "eks-control-plane-free-ips",
        "cp-a",
    )
    assert result.severity is Severity.ERROR
    assert result.message == "4 free addresses, below the 5 a control-plane version update needs and the 6 EKS requires"


# --- node pods and add-ons -----------------------------------------------------------------------------


def test_full_nodes_are_explained_with_the_host_network_and_add_on_pods() -> None:
    result = only(check(lambda d: eks(d).update(daemonSetPodsPerNode=1)), "eks-node-pods")
    assert result.severity is Severity.OK
    assert result.message == (
        "maxPods 29: 2 on the host network (aws-node, kube-proxy), 1 add-on DaemonSet pod(s) with their own "
        "address, 26 application pods: every node planned full"
    )


def test_planned_pods_that_fit_beside_the_add_ons_pass() -> None:
    result = only(
        check(
            lambda d: eks(d).update(daemonSetPodsPerNode=2), lambda d: eks(d)["nodegroups"][0].update(podsPerNode=25)
        ),
        "eks-node-pods",
    )
    assert result.severity is Severity.OK
    assert result.message.startswith("25 application pods + 2 add-on DaemonSet pod(s) a node fit maxPods 29")


def test_planned_pods_that_do_not_fit_beside_the_add_ons_warn() -> None:
    # GIVEN m5.large (maxPods 29, 27 pods with their own address), 26 pods planned + 2 DaemonSet pods
    result = only(
        check(
            lambda d: eks(d).update(daemonSetPodsPerNode=2), lambda d: eks(d)["nodegroups"][0].update(podsPerNode=26)
        ),
        "eks-node-pods",
    )
    assert result.severity is Severity.WARNING
    assert "26 application pods + 2 add-on DaemonSet pod(s) a node, but maxPods 29" in result.message
    assert "leaves room for 27: the pods need more nodes than planned" in result.message


def test_add_on_pods_are_sized_on_every_node() -> None:
    # GIVEN 5 application pods a node: 10 nodes of m5.large over two subnets
    def needed(daemonsets: int) -> int | None:
        document = copy.deepcopy(base())
        eks(document).update(daemonSetPodsPerNode=daemonsets)
        eks(document)["nodegroups"][0].update(podsPerNode=5)
        return design_from_plan(parse_plan(document)).subnets["nodes-a"].needed_at_max

    # THEN 5 pods fit one ENI + the warm ENI (20 addresses a node); 5 + 5 add-on pods need a third ENI
    assert needed(0) == 5 * 20
    assert needed(5) == 5 * 30


# --- dedicated, private, spread ---------------------------------------------------------------------------


def test_dedicated_subnets_pass() -> None:
    assert only(check(), "subnet-dedicated", "tasks-a").message == "used by ecs-task only"


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (
            lambda d: subnet(d, "tasks-a").update(otherConsumers={"lambda": 4, "vpc_endpoint": 2}),
            "tasks-a",
            "other consumers hold addresses: lambda 4, vpc_endpoint 2",
        ),
        (
            lambda d: eks(d)["nodegroups"][0].update(subnets=["nodes-a", "nodes-b", "tasks-c"]),
            "tasks-c",
            "shared by clusters k8s, shop; shared by ECS and EKS",
        ),
        (
            lambda d: eks(d)["nodegroups"][0].update(subnets=["nodes-a", "cp-b"]),
            "cp-b",
            "the EKS control plane shares it with nodes or tasks",
        ),
    ],
)
def test_shared_subnets_warn(change: Change, where: str, problem: str) -> None:
    result = only(check(change), "subnet-dedicated", f"{where} ")
    assert result.severity is Severity.WARNING
    assert problem in result.message


def test_private_subnets_pass() -> None:
    assert only(check(), "subnet-private", "nodes-a").message == "private (no route to an internet gateway)"


def test_nodes_in_a_public_subnet_warn() -> None:
    result = only(check(lambda d: subnet(d, "nodes-a").update(public=True)), "subnet-private", "nodes-a")
    assert result.severity is Severity.WARNING
    assert result.message.startswith("public (a route to an internet gateway) but holds eks-node")


def test_fargate_pods_in_a_public_subnet_fail() -> None:
    result = only(check(lambda d: subnet(d, "pods-a").update(public=True)), "subnet-private", "pods-a")
    assert result.severity is Severity.ERROR
    assert "EKS accepts only private subnets for Fargate profiles" in result.message


def test_public_subnets_without_workloads_are_not_judged() -> None:
    assert [r for r in check() if r.code == "subnet-private" and "public-a" in r.subject] == []


def test_spread_over_enough_zones_passes() -> None:
    assert only(check(), "workload-az-spread", "capacity provider shop/ec2").message == (
        "spans 3 Availability Zone(s) (az-a, az-b, az-c)"
    )


def test_ecs_capacity_provider_in_two_zones_warns() -> None:
    result = only(
        check(lambda d: d["ecsClusters"][0]["capacityProviders"][0].update(subnets=["hosts-a", "hosts-b"])),
        "workload-az-spread",
        "shop/ec2",
    )
    assert result.severity is Severity.WARNING
    assert "spans 2 Availability Zone(s) (az-a, az-b): AWS recommends three for ECS capacity" in result.message


def test_node_group_in_one_zone_warns() -> None:
    result = only(
        check(lambda d: eks(d)["nodegroups"][0].update(subnets=["nodes-a"])), "workload-az-spread", "k8s/general"
    )
    assert result.severity is Severity.WARNING
    assert result.message.startswith("spans 1 Availability Zone(s) (az-a): one zone's outage stops it")


# --- sizing -------------------------------------------------------------------------------------------------


def test_sizing_uses_the_monitor_headroom_arithmetic() -> None:
    # GIVEN the service: 30 tasks at 200 % over three zones, the node group: 10 m5.large nodes over two
    design = design_from_plan(parse_plan(base()))
    # THEN each task subnet holds a third of the deployment peak, each node subnet 5 full nodes
    assert design.subnets["tasks-a"].needed_at_max == ecs_service_addresses(30) // 3 == 20
    assert design.subnets["nodes-a"].needed_at_max == 5 * 30  # 3 ENIs of 10 addresses each
    assert design.subnets["hosts-a"].needed_at_max == 3
    assert design.subnets["pods-a"].needed_at_max == 10


def test_a_subnet_that_fits_with_the_margin_passes() -> None:
    result = only(check(), "subnet-sizing", "tasks-a")
    assert result.severity is Severity.OK
    assert result.message == (
        "must hold 20 addresses at maximum scale (0 held already + 20 more: shop/web 20): "
        "fits with the 20 % margin (24 ≤ 251 usable)"
    )


def test_a_subnet_that_fits_only_without_the_margin_warns() -> None:
    # GIVEN 150 tasks at 200 %: 100 a subnet, 120 with the margin, in a /25 (123 usable) that Lambda shares
    result = only(
        check(
            lambda d: d["ecsClusters"][0]["services"][0].update(maxTasks=150),
            lambda d: subnet(d, "tasks-a").update(cidr="10.0.8.0/25", otherConsumers={"lambda": 10}),
        ),
        "subnet-sizing",
        "tasks-a",
    )
    assert result.severity is Severity.WARNING
    assert result.message.endswith("fits, but not with the 20 % margin (132 > 123 usable)")
    assert (result.fix or "").startswith("/24 is the smallest subnet that fits with the 20 % margin: 251 usable")


def test_a_subnet_too_small_for_the_maximum_fails_with_the_smallest_that_fits() -> None:
    # GIVEN 60 tasks at 200 % in three /27s: 40 a subnet, 27 usable
    def small(document: dict[str, Any]) -> None:
        document["ecsClusters"][0]["services"][0]["maxTasks"] = 60
        for index, name in enumerate(("tasks-a", "tasks-b", "tasks-c")):
            subnet(document, name)["cidr"] = f"10.0.8.{32 * index}/27"

    results = check(small)
    result = only(results, "subnet-sizing", "tasks-a")
    assert result.severity is Severity.ERROR
    assert result.message.endswith("does not fit: 27 usable, short by 13")
    # THEN the advice is the smallest subnet for 40 + 20 %: a /26 (59 usable), at a free range of the VPC
    assert result.fix == (
        "/26 is the smallest subnet that fits with the 20 % margin: 59 usable (e.g. 10.0.0.64/26 is free in VPC "
        "main); or add a subnet in this zone to the workloads, or lower their maximum"
    )
    # AND no two failing subnets are offered the same range
    proposals = [r.fix.split("e.g. ")[1].split(" ")[0] for r in results if r.code == "subnet-sizing" and r.fix]
    assert len(proposals) == 3 and len(set(proposals)) == 3


def test_prefix_delegation_needs_aligned_blocks_not_just_addresses() -> None:
    # GIVEN prefix delegation: 1 node of m5.large in a /26 (59 usable, 2 free /28 blocks), planned at
    # 27 pods: 2 prefixes + 1 warm = 3 prefixes (48 addresses) and its ENI's primary address
    def one_node(document: dict[str, Any]) -> None:
        eks(document)["cni"] = {"prefixDelegation": True}
        eks(document)["nodegroups"][0].update(subnets=["nodes-a"], maxSize=1, podsPerNode=27)
        subnet(document, "nodes-a")["cidr"] = "10.0.16.0/26"

    results = check(one_node, lambda d: d.update(safetyMarginPercent=0))
    result = only(results, "subnet-sizing", "nodes-a")
    # THEN 49 addresses fit in 59, but 3 aligned /28 prefixes do not fit in the 2 free blocks
    assert result.severity is Severity.ERROR
    assert (
        "prefix delegation: 3 aligned /28 prefixes and 1 single addresses, /26 has 2 free /28 blocks" in result.message
    )
    assert result.message.endswith("does not fit: not enough free aligned /28 blocks in 59 usable")
    assert (result.fix or "").startswith("/25 is the smallest subnet that fits")


# --- overlaps -----------------------------------------------------------------------------------------------------


def test_subnets_inside_their_vpc_pass() -> None:
    assert only(check(), "subnet-in-vpc", "tasks-a").message == "inside VPC main (10.0.0.0/16)"


def test_a_subnet_outside_its_vpc_fails() -> None:
    result = only(check(lambda d: subnet(d, "public-a").update(cidr="10.1.2.0/24")), "subnet-in-vpc", "public-a")
    assert result.severity is Severity.ERROR
    assert result.message == "10.1.2.0/24 is not inside any CIDR of VPC main (10.0.0.0/16): EC2 refuses it"


def test_no_overlapping_subnets_pass() -> None:
    assert only(check(), "subnet-overlap").message == "no two of the 13 overlap"


def test_overlapping_subnets_in_one_vpc_fail() -> None:
    result = only(check(lambda d: subnet(d, "public-a").update(cidr="10.0.8.128/25")), "subnet-overlap")
    assert result.severity is Severity.ERROR
    assert result.subject == "subnets tasks-a and public-a"
    assert result.message == "10.0.8.0/24 and 10.0.8.128/25 overlap in VPC main: EC2 refuses the second one"


def test_overlapping_subnets_in_two_vpcs_warn() -> None:
    def second_vpc(document: dict[str, Any]) -> None:
        document["vpcs"].append({"name": "copy", "cidrs": ["10.0.0.0/16"]})
        document["subnets"].append({"name": "x", "vpc": "copy", "availabilityZone": "az-a", "cidr": "10.0.2.0/24"})
        for item in document["subnets"]:
            item.setdefault("vpc", "main")

    results = check(second_vpc)
    overlap = only(results, "subnet-overlap", "public-a")
    assert overlap.severity is Severity.WARNING
    assert overlap.message.endswith("(in different VPCs, which then cannot be connected)")
    assert only(results, "vpc-overlap", "VPC main").severity is Severity.ERROR


def test_vpc_clear_of_peered_networks_passes() -> None:
    assert only(check(), "vpc-overlap").message == "10.0.0.0/16 overlap no other network (office 192.168.0.0/16)"


def test_vpc_overlapping_a_peered_network_fails() -> None:
    result = only(check(lambda d: d["peeredCidrs"].update(legacy="10.0.128.0/17")), "vpc-overlap")
    assert result.severity is Severity.ERROR
    assert result.message.startswith("10.0.0.0/16 overlaps legacy 10.0.128.0/17: VPC peering refuses overlapping CIDRs")


# --- exit codes and rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda d: None, 0),
        (lambda d: subnet(d, "cp-a").update(cidr="10.0.0.0/28"), 1),
        (lambda d: eks(d).update(serviceIpv4Cidr="100.64.0.0/16"), 2),
    ],
)
def test_exit_code_is_the_worst_result(change: Change, code: int) -> None:
    document = copy.deepcopy(base())
    change(document)
    report = check_design(design_from_plan(parse_plan(document)))
    assert report.exit_code == code
    assert '"exit_code": ' + str(code) in to_json(report)


# --- sizing advice against brute force ----------------------------------------------------------------------------


def layout_exists(prefix_length: int, need: AddressNeed, margin: float) -> bool:
    """Brute force: lay the needed prefixes out as aligned /28s from the top of an empty subnet and the
    single addresses from the bottom, and let the fragmentation model confirm every prefix landed on a
    free block and every single address on a free address."""
    network = ipaddress.IPv4Network(f"10.0.0.0/{prefix_length}")
    usable = network.num_addresses - 5
    addresses = math.ceil(need.addresses * (100 + margin) / 100 - 1e-9)
    if need.prefix_blocks is None:
        return addresses <= usable
    if addresses > usable:
        return False
    prefixes = math.ceil(need.prefix_blocks * (100 + margin) / 100 - 1e-9)
    singles = math.ceil(need.singles * (100 + margin) / 100 - 1e-9)
    empty = prefix_space(str(network))
    blocks = [b for b in network.subnets(new_prefix=28)][1:-1][::-1][:prefixes]  # never the reserved edges
    if len(blocks) < prefixes:
        return False
    taken = {int(a) for b in blocks for a in b}
    base_address = int(network.network_address)
    candidates = (a for a in range(base_address + 4, base_address + network.num_addresses - 1) if a not in taken)
    laid_singles = [str(ipaddress.IPv4Address(a)) for a in itertools.islice(candidates, singles)]
    if len(laid_singles) < singles:
        return False
    laid = prefix_space(str(network), laid_singles, [str(b) for b in blocks])
    # every single address landed outside the prefixes: the free count dropped by exactly what was laid out
    return laid.free_addresses == empty.free_addresses - singles - 16 * prefixes


def brute_force_smallest(need: AddressNeed, margin: float) -> int | None:
    fitting = [p for p in range(16, 29) if layout_exists(p, need, margin)]
    return max(fitting) if fitting else None


needs = st.one_of(
    st.builds(AddressNeed, addresses=st.integers(0, 80_000)),
    st.integers(0, 300).flatmap(
        lambda prefixes: st.integers(0, 3000).map(
            lambda singles: AddressNeed(addresses=singles + 16 * prefixes, prefix_blocks=prefixes, singles=singles)
        )
    ),
)


@settings(max_examples=100, deadline=None)
@given(need=needs, margin=st.sampled_from([0, 10, 20, 33.3, 50]))
def test_smallest_fitting_prefix_matches_brute_force(need: AddressNeed, margin: float) -> None:
    assert smallest_fitting_prefix(need, margin) == brute_force_smallest(need, margin)


@pytest.mark.parametrize(
    ("need", "margin", "expected"),
    [
        (AddressNeed(11), 0, 28),
        (AddressNeed(12), 0, 27),
        (AddressNeed(251), 0, 24),
        (AddressNeed(251), 1, 23),
        (AddressNeed(65531), 0, 16),
        (AddressNeed(65532), 0, None),
        (AddressNeed(16, prefix_blocks=1, singles=0), 0, 26),  # a /27 has no free /28: both hold reserved addresses
        (AddressNeed(43, prefix_blocks=2, singles=11), 0, 26),  # 2 blocks + the edges hold 11 + 16 single addresses
    ],
)
def test_smallest_fitting_prefix_at_the_edges(need: AddressNeed, margin: float, expected: int | None) -> None:
    assert smallest_fitting_prefix(need, margin) == brute_force_smallest(need, margin) == expected


def test_margin_is_exact() -> None:
    assert [with_margin(n, 20) for n in (0, 1, 5, 100, 101)] == [0, 2, 6, 120, 122]
    assert with_margin(100, 0) == 100 and with_margin(3, 33.3) == 4
    assert fits(28, AddressNeed(11)) and not fits(28, AddressNeed(11), 1)


# --- the live door -------------------------------------------------------------------------------------------------


def report(subnet_id: str, zone: str, cidr: str, used: int, roles: tuple[Role, ...], **capacity: Any) -> SubnetReport:
    usable = 2 ** (32 - int(cidr.split("/")[1])) - 5
    workloads = tuple(capacity.pop("workloads", ()))
    return SubnetReport(
        subnet_id=subnet_id,
        vpc_id="vpc-1",
        availability_zone=zone,
        cidr=cidr,
        usable_ips=usable,
        available_ips=usable - used,
        used_ips=used,
        utilization_percent=round(used / usable * 100, 2),
        roles=roles,
        workloads=workloads,
        status=Status.OK,
        capacity=SubnetCapacity(**capacity),
    )


def test_live_reports_are_checked_with_what_is_held_now() -> None:
    # GIVEN a scanned node subnet: 200 of 251 held, 40 more needed at max, no free /28 left,
    # and two control-plane subnets of a cluster whose VPC DescribeCluster did not name
    group = Workload("eks-nodegroup", "k8s", "general")
    cluster = Workload("eks-cluster", "k8s", "k8s")
    reports = [
        report(
            "subnet-n",
            "az-a",
            "10.0.1.0/24",
            200,
            (Role.EKS_NODE,),
            ips_needed_at_max=40,
            free_prefix_blocks=0,
            consumers={"eks_node_pod": 190, "lambda": 10},
            workloads=[group],
        ),
        report("subnet-c1", "az-a", "10.0.0.0/28", 2, (Role.EKS_CONTROL_PLANE,), workloads=[cluster]),
        report("subnet-c2", "az-b", "10.0.0.16/28", 2, (Role.EKS_CONTROL_PLANE,), workloads=[cluster]),
    ]
    design = design_from_scan(
        reports,
        vpc_cidrs={"vpc-1": ["10.0.0.0/16"]},
        clusters=[ClusterDesign("k8s", "", ("subnet-c1", "subnet-c2"), "10.100.0.0/16")],
        public={"subnet-n": False},
        names={"subnet-n": "nodes-a"},
        other_cidrs={"vpc-1": ["10.0.2.0/23"]},
    )
    results = list(check_design(design).results)

    # THEN sizing counts what is held now: 240 at max fits 251, but not with 20 % (288)
    sizing = only(results, "subnet-sizing")
    assert sizing.subject == "subnet nodes-a (subnet-n, 10.0.1.0/24, az-a)"
    assert sizing.severity is Severity.WARNING
    # AND the advice avoids the subnets the scan did not report (10.0.2.0/23)
    assert "e.g. 10.0.4.0/23 is free" in (sizing.fix or "")
    # AND the fragmented prefix subnet fails, the Lambda neighbour makes it shared, the node group spans one zone
    assert only(results, "subnet-prefix-blocks").severity is Severity.ERROR
    assert "other consumers hold addresses: lambda 10" in only(results, "subnet-dedicated", "subnet-n").message
    assert only(results, "workload-az-spread").severity is Severity.WARNING
    # AND the cluster takes the VPC of its control-plane subnets
    assert only(results, "eks-service-cidr-vpc-overlap").message == (
        "10.100.0.0/16 overlaps none of VPC vpc-1's CIDRs (10.0.0.0/16)"
    )
    assert only(results, "eks-control-plane-free-ips", "subnet-c1").message == (
        "9 free addresses, below the 16 EKS recommends"
    )
