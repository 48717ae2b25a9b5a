"""The ``fix`` planner on built reports: which subnets it plans for, how big and where the new subnets
are, when it adds a secondary CIDR, the prefix reservation, leaked ENIs and how each workload moves."""

from __future__ import annotations

import ipaddress
from typing import Any

from subnet_monitor.core.capacity import eks_control_plane_shortfall
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import (
    KIND_ECS_SERVICE,
    KIND_EKS_CLUSTER,
    KIND_EKS_NODEGROUP,
    Role,
    Status,
    SubnetCapacity,
    SubnetReport,
    SubnetState,
    SubnetUse,
    Workload,
)
from subnet_monitor.core.space import PrefixUsage
from subnet_monitor.core.verdict import build_report
from subnet_monitor.design.fix import FixInputs, plan_fixes

SERVICE = Workload(KIND_ECS_SERVICE, "payments", "api")
NODES = Workload(KIND_EKS_NODEGROUP, "k8s", "general")
CLUSTER = Workload(KIND_EKS_CLUSTER, "k8s", "k8s")


def report(
    subnet_id: str,
    cidr: str,
    used: int,
    *,
    vpc: str = "vpc-1",
    zone: str = "eu-west-1a",
    roles: tuple[Role, ...] = (Role.ECS_TASK,),
    workloads: tuple[Workload, ...] = (SERVICE,),
    status: Status = Status.OK,
    findings: tuple[Finding, ...] = (),
    **capacity: Any,
) -> SubnetReport:
    usable = 2 ** (32 - int(cidr.split("/")[1])) - 5
    return SubnetReport(
        subnet_id=subnet_id,
        vpc_id=vpc,
        availability_zone=zone,
        cidr=cidr,
        usable_ips=usable,
        available_ips=usable - used,
        used_ips=used,
        utilization_percent=round(used / usable * 100, 2),
        roles=roles,
        workloads=workloads,
        status=status,
        capacity=SubnetCapacity(findings=findings, **capacity),
    )


def judged(base: SubnetReport, findings: tuple[Finding, ...] = (), **capacity: Any) -> SubnetReport:
    """``base`` with its capacity, status and reasons as the scan's verdict gives them (core/verdict.py)."""
    return build_report(
        SubnetState(base.subnet_id, base.vpc_id, base.availability_zone, base.cidr, base.available_ips),
        SubnetUse(set(base.roles), set(base.workloads)),
        ScanConfig(),
        SubnetCapacity(findings=findings, **capacity),
    )


def state(subnet_id: str, cidr: str, vpc: str = "vpc-1", zone: str = "eu-west-1a") -> SubnetState:
    return SubnetState(subnet_id, vpc, zone, cidr, 0, {"Name": f"n-{subnet_id}", "tier": "private"})


def steps(plan: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in plan["steps"] if s["action"] == action]


def test_a_subnet_short_at_max_gets_the_smallest_subnet_that_covers_the_shortfall_with_the_margin() -> None:
    # 200 more addresses needed, 51 free: short by 149; with 20 % that is 179, a /24 (251).
    short = report("subnet-a", "10.0.0.0/24", used=200, ips_needed_at_max=200)
    out = plan_fixes(FixInputs([short], {"vpc-1": ["10.0.0.0/16"]}, {"subnet-a": state("subnet-a", "10.0.0.0/24")}))
    plan = out.to_dict()["plans"][0]
    assert plan["problems"] == ["headroom.short-at-max"]
    assert plan["shortfall"] == 149 and plan["new_room"] == 179
    [create] = steps(plan, "create-subnet")
    assert create["cidr"] == "10.0.1.0/24" and create["usable_ips"] == 251
    assert create["availability_zone"] == "eu-west-1a" and create["vpc_id"] == "vpc-1"
    assert create["for_workloads"] == [SERVICE.to_dict()]
    assert "--cidr-block 10.0.1.0/24" in create["commands"]["aws_cli"]
    assert "Key=tier,Value=private" in create["commands"]["aws_cli"]  # discovery tags carried over
    assert 'cidr_block        = "10.0.1.0/24"' in create["commands"]["terraform"]
    assert 'cidr_block="10.0.1.0/24"' in create["commands"]["cdk"]
    [update] = steps(plan, "update-workload")
    assert update["workload"] == SERVICE.to_dict()
    assert "aws ecs update-service --cluster payments --service api" in update["commands"]["aws_cli"]
    assert 'subnets=[subnet-a,"$SUBNET_1"]' in update["commands"]["aws_cli"]


def test_a_healthy_subnet_gets_no_plan() -> None:
    fine = report("subnet-a", "10.0.0.0/24", used=10, ips_needed_at_max=20)
    assert plan_fixes(FixInputs([fine], {"vpc-1": ["10.0.0.0/16"]})).plans == []


def test_two_short_subnets_of_one_vpc_never_get_overlapping_blocks() -> None:
    # The VPC is a /22 with one /24 free and two /25s free: the larger need takes the /24.
    taken = {"subnet-x": state("subnet-x", "10.0.0.0/25"), "subnet-y": state("subnet-y", "10.0.1.0/25")}
    a = report("subnet-x", "10.0.0.0/25", used=120, ips_needed_at_max=200)  # short by 197 → 237
    b = report("subnet-y", "10.0.1.0/25", used=120, ips_needed_at_max=60)  # short by 57 → 69
    out = plan_fixes(FixInputs([a, b], {"vpc-1": ["10.0.0.0/22"]}, taken)).to_dict()
    blocks = [ipaddress.ip_network(s["cidr"]) for p in out["plans"] for s in steps(p, "create-subnet")]
    assert len(blocks) == 2
    assert not blocks[0].overlaps(blocks[1])
    assert {str(b) for b in blocks} == {"10.0.2.0/24", "10.0.0.128/25"}
    vpc = out["vpcs"][0]
    assert {p["cidr"] for p in vpc["proposed"]} == {str(b) for b in blocks}
    assert {s["subnet_id"]: s["status"] for s in vpc["subnets"]} == {"subnet-x": "OK", "subnet-y": "OK"}


def test_a_full_vpc_gets_a_secondary_cidr_and_eks_custom_networking() -> None:
    node = report(
        "subnet-n",
        "10.0.0.0/24",
        used=240,
        roles=(Role.EKS_NODE,),
        workloads=(NODES,),
        ips_needed_at_max=600,
    )
    inputs = FixInputs(
        [node],
        {"vpc-1": ["10.0.0.0/24"], "vpc-2": ["100.64.0.0/16"]},  # another VPC of the region in 100.64
        avoid={"pcx-1 vpc-9": "100.65.0.0/16"},  # a peered VPC
    )
    plan = plan_fixes(inputs).to_dict()["plans"][0]
    [associate] = steps(plan, "associate-vpc-cidr")
    cidr = ipaddress.ip_network(associate["cidr"])
    assert cidr.subnet_of(ipaddress.ip_network("100.64.0.0/10"))
    assert not cidr.overlaps(ipaddress.ip_network("100.64.0.0/16"))
    assert not cidr.overlaps(ipaddress.ip_network("100.65.0.0/16"))
    assert associate["commands"]["aws_cli"] == f"aws ec2 associate-vpc-cidr-block --vpc-id vpc-1 --cidr-block {cidr}"
    [create] = steps(plan, "create-subnet")
    assert ipaddress.ip_network(create["cidr"]).subnet_of(cidr)
    assert create["in_secondary_cidr"] == str(cidr)
    [custom] = steps(plan, "configure-custom-networking")
    assert "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true" in custom["commands"]["aws_cli"]
    assert "name: eu-west-1a" in custom["commands"]["aws_cli"]
    [update] = steps(plan, "update-workload")
    assert "aws eks create-nodegroup --cluster-name k8s --nodegroup-name general-2" in update["commands"]["aws_cli"]
    assert update["replaces"] == "general"


def test_no_free_prefix_gets_the_aligned_range_with_the_fewest_addresses_in_use_per_28_reserved() -> None:
    finding = Finding("fragmentation.no-free-prefix", Severity.ERROR, "subnet-p", "no /28 free")
    fragmented = report(
        "subnet-p", "10.0.0.0/24", used=30, roles=(Role.EKS_NODE,), workloads=(NODES,), findings=(finding,)
    )
    # Two addresses in every /28 but in 10.0.0.128/28..10.0.0.176/28 (one each): no /28 is free, and
    # the /26 over those four holds 1 address per /28, as few as any single /28: the larger wins.
    used = [f"10.0.0.{16 * i + k}" for i in range(16) for k in ((5,) if 8 <= i < 12 else (5, 9))]
    inputs = FixInputs(
        [fragmented],
        {"vpc-1": ["10.0.0.0/16"]},
        prefix_usage={"subnet-p": PrefixUsage(tuple(used))},
        min_free_prefix_blocks=4,
    )
    plan = plan_fixes(inputs).to_dict()["plans"][0]
    [reserve] = steps(plan, "create-subnet-cidr-reservation")
    assert reserve["cidr"] == "10.0.0.128/26"
    assert reserve["reservation_type"] == "prefix"
    assert reserve["addresses_in_use"] == 4 and reserve["free_prefix_blocks_now"] == 0
    assert reserve["prefix_blocks"] == 4
    assert reserve["commands"]["aws_cli"] == (
        "aws ec2 create-subnet-cidr-reservation --subnet-id subnet-p --cidr 10.0.0.128/26 --reservation-type prefix"
    )
    assert steps(plan, "create-subnet") == []  # a reservation, not a new subnet


def test_leaked_enis_are_listed_with_the_addresses_they_hold() -> None:
    short = report("subnet-a", "10.0.0.0/24", used=200, ips_needed_at_max=200)
    inputs = FixInputs([short], {"vpc-1": ["10.0.0.0/16"]}, leaked_enis={"subnet-a": [("eni-1", 3), ("eni-2", 1)]})
    plan = plan_fixes(inputs).to_dict()["plans"][0]
    [leaked] = steps(plan, "delete-leaked-enis")
    assert leaked["network_interface_ids"] == ["eni-1", "eni-2"] and leaked["addresses"] == 4
    assert "delete-network-interface --network-interface-id eni-2" in leaked["commands"]["aws_cli"]


def test_a_control_plane_subnet_below_what_eks_requires_moves_the_cluster_to_new_room_in_two_zones() -> None:
    # GIVEN a /28 cluster subnet with 5 free (55 % used: below warningPercent), judged by the verdict
    below = eks_control_plane_shortfall("k8s", "subnet-c1", 5)
    assert below is not None
    cp = judged(
        report("subnet-c1", "10.0.0.0/28", used=6, roles=(Role.EKS_CONTROL_PLANE,), workloads=(CLUSTER,)),
        findings=(below,),
    )
    other = report(
        "subnet-c2", "10.0.0.16/28", used=1, zone="eu-west-1b", roles=(Role.EKS_CONTROL_PLANE,), workloads=(CLUSTER,)
    )
    plan = plan_fixes(FixInputs([cp, other], {"vpc-1": ["10.0.0.0/24"]})).to_dict()["plans"][0]
    # THEN its problem is the control plane's (not a utilization one it does not have)
    assert set(plan["problems"]) == {"eks-control-plane.below-required"}
    assert plan["shortfall"] == 11  # 16 recommended - 5 free
    [update] = steps(plan, "update-workload")
    # The cluster leaves the short subnet for the new one in its zone, and keeps its other zone.
    assert update["commands"]["aws_cli"] == (
        'aws eks update-cluster-config --name k8s --resources-vpc-config subnetIds=subnet-c2,"$SUBNET_1"'
    )


def test_only_critical_utilization_or_min_free_is_sized_as_status_critical() -> None:
    # GIVEN a fragmented prefix subnet, CRITICAL for its missing /28 at 12 % used, and a 95 % used one
    no_prefix = Finding("fragmentation.no-free-prefix", Severity.ERROR, "subnet-p", "no /28 free")
    fragmented = judged(
        report("subnet-p", "10.0.0.0/24", used=30, roles=(Role.EKS_NODE,), workloads=(NODES,)),
        findings=(no_prefix,),
        free_prefix_blocks=0,
    )
    full = judged(report("subnet-f", "10.0.1.0/24", used=239))
    assert (fragmented.status, full.status) == (Status.CRITICAL, Status.CRITICAL)
    plans = {
        p["subnet_id"]: p
        for p in plan_fixes(FixInputs([fragmented, full], {"vpc-1": ["10.0.0.0/16"]})).to_dict()["plans"]
    }
    # THEN the fragmented one is planned a reservation only, the full one new room under warningPercent
    assert plans["subnet-p"]["problems"] == ["fragmentation.no-free-prefix"]
    assert plans["subnet-f"]["problems"] == ["status.critical"]
    assert plans["subnet-f"]["shortfall"] == 48  # ceil(239 × 100 / 80) - 251


def test_an_unread_vpc_is_said_not_guessed() -> None:
    short = report("subnet-a", "10.0.0.0/24", used=200, ips_needed_at_max=200)
    plan = plan_fixes(FixInputs([short], {})).to_dict()["plans"][0]
    assert steps(plan, "create-subnet") == []
    assert "could not be read" in plan["notes"][0]


def test_a_node_group_short_in_two_zones_gets_one_new_node_group_over_both_new_subnets() -> None:
    a = report("subnet-a", "10.0.0.0/24", used=200, roles=(Role.EKS_NODE,), workloads=(NODES,), ips_needed_at_max=200)
    b = report(
        "subnet-b",
        "10.0.1.0/24",
        used=200,
        zone="eu-west-1b",
        roles=(Role.EKS_NODE,),
        workloads=(NODES,),
        ips_needed_at_max=100,
    )
    plans = plan_fixes(FixInputs([a, b], {"vpc-1": ["10.0.0.0/16"]})).to_dict()["plans"]
    handles = [s["handle"] for p in plans for s in steps(p, "create-subnet")]
    assert handles == ["SUBNET_1", "SUBNET_2"]  # one shell session: no two new subnets share a name
    updates = [s for p in plans for s in steps(p, "update-workload")]
    assert len(updates) == 1
    assert updates[0]["subnets"] == ["subnet-a", "subnet-b", "SUBNET_1", "SUBNET_2"]
    assert "takes this new subnet in the plan of subnet-b" in plans[0]["notes"][0]


def test_a_pod_subnet_in_the_secondary_range_gets_its_new_room_there() -> None:
    pods = report("subnet-p", "100.64.0.0/26", used=50, roles=(Role.EKS_POD,), workloads=(NODES,), ips_needed_at_max=60)
    inputs = FixInputs([pods], {"vpc-1": ["10.0.0.0/16", "100.64.0.0/16"]})
    plan = plan_fixes(inputs).to_dict()["plans"][0]
    [create] = steps(plan, "create-subnet")
    assert ipaddress.ip_network(create["cidr"]).subnet_of(ipaddress.ip_network("100.64.0.0/16"))
    [update] = steps(plan, "update-workload")
    assert "kubectl patch eniconfig eu-west-1a" in update["commands"]["aws_cli"]
