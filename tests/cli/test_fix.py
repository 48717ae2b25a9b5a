"""``subnet-monitor fix`` on the demo's estate (moto), plus a full VPC next to peered and other VPCs
in 100.64.0.0/10: the JSON contract, new blocks in the VPCs' free space and never overlapping, the
secondary CIDR clear of every neighbour, and commands that name the right IDs."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api import state_manager

from fixtures.estate import Estate, hold_ecs_tasks_running, seed_estate
from fixtures.leaked_enis import cni_eni
from subnet_monitor.cli import main
from tests.support_cli import moto_aws, run

DEMO_CONFIG = str(Path(__file__).resolve().parents[2] / "demo" / "subnet-monitor.json")
Net = ipaddress.IPv4Network

# A VPC with no room: one /24 subnet, 240 of its 251 addresses held (CRITICAL), next to a peered VPC,
# another VPC of the region and a transit gateway route, all in 100.64.0.0/10.
FULL_VPC_CIDR = "10.9.0.0/24"
PEERED_CIDR = "100.65.0.0/16"
OTHER_CIDR = "100.66.0.0/16"
TGW_ROUTE = "100.67.0.0/16"


@dataclass
class Fixed:
    estate: Estate
    full_vpc: str
    full_subnet: str
    subnets: dict[str, tuple[str, str, str]]  # subnet ID -> (VPC, CIDR, zone), every subnet of the region
    json_run: tuple[int, str, str]
    text_run: tuple[int, str, str]
    what_if_run: tuple[int, str, str]
    leaked: tuple[str, str]  # (old, young) VPC CNI ENIs left in eks-nodes-c


def full_vpc(ec2: Any, zone: str) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock=FULL_VPC_CIDR)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=FULL_VPC_CIDR, AvailabilityZone=zone)["Subnet"]["SubnetId"]
    for _ in range(8):  # 8 interfaces x 30 addresses = 240 held
        ec2.create_network_interface(SubnetId=subnet, SecondaryPrivateIpAddressCount=29)
    peer = ec2.create_vpc(CidrBlock=PEERED_CIDR)["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"])
    ec2.create_vpc(CidrBlock=OTHER_CIDR)
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    table = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)["TransitGatewayRouteTable"]
    ec2.create_transit_gateway_route(
        DestinationCidrBlock=TGW_ROUTE, TransitGatewayRouteTableId=table["TransitGatewayRouteTableId"], Blackhole=True
    )
    return vpc, subnet


@pytest.fixture(scope="module")
def fixed() -> Iterator[Fixed]:
    """The demo estate and the full VPC, seeded once: fix --json and fix (text) on them."""
    with moto_aws() as session:
        estate = seed_estate(session.client)
        ec2 = session.client("ec2")
        vpc, subnet = full_vpc(ec2, estate.availability_zones[0])
        now, nodes_c = datetime.now(UTC), estate.subnet_id("eks-nodes-c")
        leaked = (
            cni_eni(ec2, nodes_c, created=now - timedelta(hours=30), cluster=estate.eks_cluster, addresses=5),
            cni_eni(ec2, nodes_c, created=now - timedelta(minutes=10), cluster=estate.eks_cluster),
        )
        hold_ecs_tasks_running()
        subnets = {
            s["SubnetId"]: (s["VpcId"], s["CidrBlock"], s["AvailabilityZone"])
            for s in ec2.describe_subnets()["Subnets"]
        }
        try:
            args = ("fix", "--config", DEMO_CONFIG, "--subnet-id", subnet)
            json_run = run(*args, "--json")
            text_run = run(*args)
            what_if_run = run(*args, "--json", "--what-if", "service:payments/checkout-web:maxTasks=100")
        finally:
            state_manager.unset_transition("ecs::task")
    yield Fixed(estate, vpc, subnet, subnets, json_run, text_run, what_if_run, leaked)


def document(fixed: Fixed) -> dict[str, Any]:
    return dict(json.loads(fixed.json_run[1]))


def all_steps(fixed: Fixed, action: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(plan, step) for plan in document(fixed)["plans"] for step in plan["steps"] if step["action"] == action]


def test_fix_prints_the_contract_and_reads_everything(fixed: Fixed) -> None:
    code, _, err = fixed.json_run
    assert code == 0
    assert err == ""
    doc = document(fixed)
    assert doc["errors"] == []
    for vpc in doc["vpcs"]:
        assert {"vpc_id", "cidrs", "free_blocks", "proposed", "subnets"} <= set(vpc)
    for plan in doc["plans"]:
        assert {"subnet_id", "vpc_id", "problems", "shortfall", "steps"} <= set(plan)
        for step in plan["steps"]:
            assert set(step["commands"]) == {"aws_cli", "cdk", "terraform"}
    for _, step in all_steps(fixed, "create-subnet"):
        assert {"vpc_id", "availability_zone", "cidr", "usable_ips", "for_workloads"} <= set(step)


def test_every_new_subnet_lies_in_its_vpcs_free_space_and_overlaps_nothing(fixed: Fixed) -> None:
    doc = document(fixed)
    vpcs = {v["vpc_id"]: v for v in doc["vpcs"]}
    existing = [Net(cidr) for _, cidr, _ in fixed.subnets.values()]
    proposed: list[Net] = []
    for plan, step in all_steps(fixed, "create-subnet"):
        block = Net(step["cidr"])
        vpc = vpcs[step["vpc_id"]]
        room = [Net(b) for b in vpc["free_blocks"]] + [Net(c) for c in vpc["proposed_cidrs"]]
        assert any(block.subnet_of(free) for free in room), (plan["subnet_id"], block)
        assert not any(block.overlaps(other) for other in existing + proposed)
        assert 16 <= block.prefixlen <= 28
        assert step["usable_ips"] == block.num_addresses - 5
        proposed.append(block)
    assert proposed  # the demo estate has short subnets
    for plan in doc["plans"]:
        created = [s["usable_ips"] for s in plan["steps"] if s["action"] == "create-subnet"]
        if created:
            assert sum(created) >= plan["new_room"] >= plan["shortfall"]


def test_commands_name_the_vpc_zone_and_workloads_of_each_short_subnet(fixed: Fixed) -> None:
    for plan, step in all_steps(fixed, "create-subnet"):
        vpc, _, zone = fixed.subnets[plan["subnet_id"]]
        assert step["vpc_id"] == vpc == plan["vpc_id"] and step["availability_zone"] == zone
        assert f"--vpc-id {vpc} --availability-zone {zone} --cidr-block {step['cidr']}" in step["commands"]["aws_cli"]
        assert f'"{step["cidr"]}"' in step["commands"]["terraform"]
    checkout = fixed.estate.subnet_id("ecs-fargate-a")
    updates = [s for _, s in all_steps(fixed, "update-workload") if s["workload"]["name"] == "checkout-web"]
    [update] = updates  # one update although two of its subnets are short
    assert "aws ecs update-service --cluster payments --service checkout-web" in update["commands"]["aws_cli"]
    assert checkout in update["subnets"]


def test_the_fragmented_prefix_subnet_gets_an_aligned_reservation_inside_it(fixed: Fixed) -> None:
    fragmented = fixed.estate.subnet_id("eks-nodes-b")
    [(_, step)] = [
        (p, s) for p, s in all_steps(fixed, "create-subnet-cidr-reservation") if s["subnet_id"] == fragmented
    ]
    block = Net(step["cidr"])
    assert block.subnet_of(Net(fixed.estate.cidrs["eks-nodes-b"])) and block.prefixlen <= 28
    assert step["reservation_type"] == "prefix"
    assert f"--subnet-id {fragmented} --cidr {block} --reservation-type prefix" in step["commands"]["aws_cli"]


def test_a_full_vpc_gets_a_secondary_cidr_clear_of_peers_other_vpcs_and_routes(fixed: Fixed) -> None:
    [plan] = [p for p in document(fixed)["plans"] if p["subnet_id"] == fixed.full_subnet]
    assert plan["problems"] == ["status.critical"]
    [associate] = [s for s in plan["steps"] if s["action"] == "associate-vpc-cidr"]
    cidr = Net(associate["cidr"])
    assert cidr.subnet_of(Net("100.64.0.0/10"))
    neighbours = [
        Net(PEERED_CIDR),
        Net(OTHER_CIDR),
        Net(TGW_ROUTE),
        Net("100.64.0.0/16"),  # the demo VPC's secondary CIDR
        *[Net(c) for v, c, _ in fixed.subnets.values() if v != fixed.full_vpc],
    ]
    assert not any(cidr.overlaps(n) for n in neighbours)
    assert f"--vpc-id {fixed.full_vpc} --cidr-block {cidr}" in associate["commands"]["aws_cli"]
    [create] = [s for s in plan["steps"] if s["action"] == "create-subnet"]
    assert Net(create["cidr"]).subnet_of(cidr)
    # Selected by --subnet-id, used by no workload: the plan says who must move, not a made-up command.
    assert [s["action"] for s in plan["steps"]] == ["associate-vpc-cidr", "create-subnet"]
    assert "no ECS or EKS workload" in plan["notes"][0]


def test_leaked_cni_enis_of_a_short_subnet_are_listed_the_young_one_not(fixed: Fixed) -> None:
    nodes_c = fixed.estate.subnet_id("eks-nodes-c")
    [(_, step)] = [(p, s) for p, s in all_steps(fixed, "delete-leaked-enis") if p["subnet_id"] == nodes_c]
    old, young = fixed.leaked
    assert step["network_interface_ids"] == [old] and young not in step["network_interface_ids"]
    assert step["addresses"] == 5
    assert step["commands"]["aws_cli"] == f"aws ec2 delete-network-interface --network-interface-id {old}"


def test_with_what_if_the_plans_are_for_the_after_state(fixed: Fixed) -> None:
    code, out, _ = fixed.what_if_run
    assert code == 0
    fargate_a = fixed.estate.subnet_id("ecs-fargate-a")
    before = next(p for p in document(fixed)["plans"] if p["subnet_id"] == fargate_a)
    after = next(p for p in json.loads(out)["plans"] if p["subnet_id"] == fargate_a)
    # checkout-web may run 100 tasks instead of 36: its subnets are short of more.
    assert after["shortfall"] > before["shortfall"]


def test_text_says_each_step_with_its_aws_cli_lines(fixed: Fixed) -> None:
    code, out, _ = fixed.text_run
    assert code == 0
    assert "The monitor changed nothing" in out
    assert "associate the secondary CIDR" in out
    assert "$ aws ec2 associate-vpc-cidr-block" in out


@pytest.mark.parametrize("margin", ["-1", "2000"])
def test_a_refused_margin_exits_2_naming_the_flag(margin: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", "--margin", margin]) == 2
    assert capsys.readouterr().err.startswith("subnet_monitor: error: --margin:")
