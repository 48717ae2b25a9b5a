"""The reads ``fix`` adds to ``DesignReader``: the region's VPCs, route destinations, transit gateway
routes (one unreadable table is said, the others kept) and what a prefix subnet holds."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber

from subnet_monitor.aws.network import DesignReader

UNAUTHORIZED = "UnauthorizedOperation"


def test_the_region_vpcs_come_with_every_associated_cidr_and_routes_skip_local_and_default(
    aws: boto3.Session,
) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="100.64.0.0/16")
    peer = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    reader = DesignReader(ec2, aws.client("eks"))

    region = reader.region_vpcs()
    routes = reader.route_destinations([vpc])

    assert set(region[vpc]) == {"10.0.0.0/16", "100.64.0.0/16"}
    assert region[peer] == ("10.1.0.0/16",)
    assert list(routes.values()) == ["10.1.0.0/16"]  # not the local routes, not the default route
    assert pcx in next(iter(routes))
    assert reader.errors == []


def test_an_unreadable_transit_gateway_table_is_said_and_the_others_kept(aws: boto3.Session) -> None:
    # Shapes of DescribeTransitGatewayRouteTables and SearchTransitGatewayRoutes:
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTransitGatewayRouteTables.html
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html
    ec2 = aws.client("ec2")
    stubber = Stubber(ec2)
    tables: dict[str, Any] = {
        "TransitGatewayRouteTables": [
            {"TransitGatewayRouteTableId": "tgw-rtb-1"},
            {"TransitGatewayRouteTableId": "tgw-rtb-2"},
        ]
    }
    stubber.add_response("describe_transit_gateway_route_tables", tables, {})
    stubber.add_response(
        "search_transit_gateway_routes",
        {"Routes": [{"DestinationCidrBlock": "100.70.0.0/16", "State": "active", "Type": "propagated"}]},
        {"TransitGatewayRouteTableId": "tgw-rtb-1", "Filters": [{"Name": "state", "Values": ["active", "blackhole"]}]},
    )
    stubber.add_client_error(
        "search_transit_gateway_routes",
        service_error_code=UNAUTHORIZED,
        service_message="You are not authorized to perform this operation.",
    )
    reader = DesignReader(ec2, aws.client("eks"))

    with stubber:
        routes = reader.transit_gateway_routes()

    assert routes == {"tgw-rtb-1 100.70.0.0/16": "100.70.0.0/16"}
    [error] = reader.errors
    assert error.target == "SearchTransitGatewayRoutes tgw-rtb-2" and UNAUTHORIZED in error.message


def test_prefix_usage_reads_the_addresses_and_reservations_of_each_subnet(aws: boto3.Session) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.0.0.10", SecondaryPrivateIpAddressCount=2)
    ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.0.0.128/26", ReservationType="prefix")
    reader = DesignReader(ec2, aws.client("eks"))

    usage = reader.prefix_usage([subnet])[subnet]

    assert "10.0.0.10" in usage.used_ips and len(usage.used_ips) == 3
    assert usage.reservations == ("10.0.0.128/26",)
    assert reader.errors == []
