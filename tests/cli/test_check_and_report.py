"""check and report --html on the demo's estate (moto): the live design check, the HTML page with
every subnet, and the page rendered in headless Chromium."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.moto_api import state_manager

from fixtures.estate import Estate, hold_ecs_tasks_running, seed_estate
from subnet_monitor.aws.network import DesignReader
from tests.moto_estate import REGION
from tests.support_cli import Run, moto_aws, run
from tests.support_html import chromium, parse_page, png_size, render

DEMO_CONFIG = str(Path(__file__).resolve().parents[2] / "demo" / "subnet-monitor.json")


@dataclass
class Scanned:
    estate: Estate
    check: Run
    report: Run
    html: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    """The demo estate, seeded once for the module: check --json and report --check --html on it."""
    html = tmp_path_factory.mktemp("report") / "report.html"
    with moto_aws() as session:
        estate = seed_estate(session.client)
        hold_ecs_tasks_running()
        try:
            check = run("check", "--config", DEMO_CONFIG, "--json")
            report = run("report", "--config", DEMO_CONFIG, "--check", "--html", str(html))
        finally:
            state_manager.unset_transition("ecs::task")
    yield Scanned(estate, check, report, html)


def results(demo: Scanned) -> list[dict[str, Any]]:
    return list(json.loads(demo.check.out)["results"])


def result(demo: Scanned, rule: str, name: str = "") -> dict[str, Any]:
    [found] = [r for r in results(demo) if r["rule"] == rule and name in r["subject"]]
    return found


def test_live_check_judges_the_estate_the_scan_finds(demo: Scanned) -> None:
    # THEN the check ran over what the scan found, with nothing it could not read
    assert demo.check.err == ""
    document = json.loads(demo.check.out)
    assert document["source"] == f"the live estate ({REGION})"
    # AND the worst result decides the exit code: subnets too small for their maximum fail
    assert demo.check.code == 2 == document["exit_code"]
    # AND the EKS cluster's service CIDR is the default EKS gave a 10.x VPC
    assert (
        result(demo, "eks-service-cidr-range", "platform")["reason"]
        == "serviceIpv4Cidr 172.20.0.0/16, inside 172.16.0.0/12"
    )
    assert result(demo, "eks-service-cidr-vpc-overlap", "platform")["result"] == "pass"
    # AND the control plane spans three zones, in /28s below the 16 free addresses EKS recommends
    assert result(demo, "eks-control-plane-subnets", "platform")["reason"].startswith(
        "3 control-plane subnets in 3 Availability"
    )
    assert result(demo, "eks-control-plane-free-ips", "prod-eks-control-plane-a")["result"] == "warn"
    # AND the fragmented prefix subnet fails, and its node group cannot reach its maximum there
    assert result(demo, "subnet-prefix-blocks", "prod-eks-nodes-b")["result"] == "fail"
    nodes_b = result(demo, "subnet-sizing", "prod-eks-nodes-b")
    assert nodes_b["reason"].startswith("must hold 726 addresses at maximum scale (216 held already + 510 more)")
    assert nodes_b["fix"].startswith("/22 is the smallest subnet that fits with the 20 % margin")
    # AND under custom networking the small pod subnet is the one too small, not its node subnet
    pods_a = result(demo, "subnet-sizing", "prod-eks-cn-pods-a")
    assert pods_a["reason"].startswith("must hold 110 addresses at maximum scale (50 held already + 60 more)")
    assert result(demo, "subnet-sizing", "prod-eks-cn-nodes-a")["result"] == "pass"
    # AND the Lambda functions in a task subnet make it shared; a one-zone service and node group warn
    assert "lambda 3" in result(demo, "subnet-dedicated", "prod-ecs-fargate-a")["reason"]
    assert result(demo, "workload-az-spread", "payments/payouts-worker")["result"] == "warn"
    assert result(demo, "workload-az-spread", "platform/batch")["result"] == "warn"
    # AND nothing is public (the estate has no internet gateway)
    assert {r["result"] for r in results(demo) if r["rule"] == "subnet-private"} == {"pass"}


def test_report_writes_one_page_with_every_subnet_of_the_estate(demo: Scanned) -> None:
    assert demo.report.code == 0
    assert demo.report.out.startswith(f"wrote {demo.html}: 21 subnets; live design check ")
    parsed = parse_page(demo.html.read_text())
    # THEN the page is well formed, loads nothing, and has a row for every subnet the scan reports
    assert parsed.problems == []
    assert parsed.urls == []
    reported = demo.estate.used_subnet_ids | {demo.estate.subnet_id("data-b")}
    assert reported <= parsed.ids
    # AND people see the subnets by name, grouped under the VPC and its zones
    text = " ".join(parsed.text)
    assert all(f"prod-{demo.estate.name_of(s)}" in text for s in reported)
    assert f"VPC prod ({demo.estate.vpc_id}) · 10.0.0.0/16" in text
    assert all(zone in text for zone in demo.estate.availability_zones)
    # AND the design check is part of it
    assert "Design check: the live estate" in text


def test_report_maps_each_vpcs_address_space_with_the_subnets_fix_proposes(demo: Scanned) -> None:
    page = demo.html.read_text()
    text = " ".join(parse_page(page).text)
    # THEN the page has the address-space section, the VPC's CIDR blocks drawn as bands
    assert "Address space by VPC" in text
    assert 'aria-label="10.0.0.0/16"' in page
    # AND every subnet of the VPC is on the map, each monitored one in its status colour, with its ID
    for subnet_id in demo.estate.subnet_ids:
        assert f"{subnet_id} · " in text
    # AND the subnets ``fix`` proposes are on it too, each one inside the VPC and for a short subnet
    proposed = re.findall(r"proposed (\S+) in (\S+) for (subnet-\w+)", text)
    assert proposed
    assert all(
        ipaddress.IPv4Network(cidr).subnet_of(ipaddress.IPv4Network("10.0.0.0/16"))
        or ipaddress.IPv4Network(cidr).subnet_of(ipaddress.IPv4Network("100.64.0.0/10"))
        for cidr, _, _ in proposed
    )
    assert {subnet for _, _, subnet in proposed} <= set(demo.estate.used_subnet_ids)


@pytest.mark.skipif(chromium() is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(demo: Scanned, tmp_path: Path) -> None:
    # WHEN Chromium opens the file
    rendered = render(demo.html, str(chromium()), tmp_path)

    # THEN the page's own check saw every chart laid out with a size
    charts = parse_page(demo.html.read_text()).charts
    assert f'data-charts="{charts}" data-charts-drawn="{charts}"' in rendered.dom
    # AND the browser logged nothing: no script error, no blocked (external) load
    assert rendered.console == []
    # AND the screenshot is the window's size
    assert png_size(rendered.screenshot) == (1400, 1800)


def test_public_subnets_and_peered_networks_are_read_from_the_vpc(aws: boto3.Session) -> None:
    # GIVEN a VPC with a secondary CIDR, a subnet routed to an internet gateway, one on the main
    # table, and an active peering connection
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="100.64.0.0/16")
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    other = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=other)["VpcPeeringConnection"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering["VpcPeeringConnectionId"])

    # WHEN the design reader looks
    reader = DesignReader(ec2, aws.client("eks"))

    # THEN it knows both CIDRs, which subnet is public, and the peered network
    assert reader.vpcs([vpc])[vpc].cidrs == ("10.9.0.0/16", "100.64.0.0/16")
    assert reader.public_subnets({public: vpc, private: vpc}) == {public: True, private: False}
    assert list(reader.peered_cidrs([vpc]).values()) == ["10.8.0.0/16"]
    assert reader.errors == []


def test_check_of_a_plan_needs_no_aws_and_writes_html(tmp_path: Path) -> None:
    # GIVEN no credentials at all
    target = tmp_path / "plan.html"
    plan = str(Path(__file__).resolve().parents[2] / "examples" / "plan.json")
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
            env.delenv(name, raising=False)
        outcome = run("check", "--plan", plan, "--html", str(target), "--peered", "dc=10.20.128.0/17")
    # THEN the example fails (node subnets too small), and the extra peered network overlaps the VPC
    assert outcome.code == 2
    assert "FAIL  vpc-overlap  VPC prod-eu" in outcome.out
    assert parse_page(target.read_text()).problems == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--peered", "nowhere"], "--peered: 'nowhere' must be NAME=CIDR"),
        (["--margin", "-1"], "--margin: -1.0 must be a number of percent"),
        (["--plan", "missing.json"], "--plan: 'missing.json' cannot be read"),
    ],
)
def test_bad_check_input_exits_2_naming_it(argv: list[str], message: str) -> None:
    outcome = run("check", *argv)
    assert outcome.code == 2
    assert message in outcome.err
