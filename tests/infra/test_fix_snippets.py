"""The CDK snippets ``fix`` prints are real CDK: run in a stack, they synthesize the resource they name."""

from __future__ import annotations

from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from subnet_monitor.design.fix_commands import associate_vpc_cidr, create_subnet, prefix_reservation


def test_the_prefix_reservation_snippet_synthesizes_a_subnet_cidr_reservation() -> None:
    # GIVEN the CDK snippet of a prefix reservation step
    snippet = prefix_reservation("subnet-0abc", "10.0.24.16/28").cdk
    assert snippet is not None
    # WHEN it runs as a stack's code (``self`` is the stack)
    stack = Stack(App(), "Fix")
    exec(snippet, {"self": stack})  # our own snippet: running it is the point
    # THEN the stack holds that reservation, of type prefix, in that subnet
    Template.from_stack(stack).has_resource_properties(
        "AWS::EC2::SubnetCidrReservation",
        {"SubnetId": "subnet-0abc", "Cidr": "10.0.24.16/28", "ReservationType": "prefix"},
    )


def test_the_create_subnet_and_secondary_cidr_snippets_synthesize_what_the_cli_lines_create() -> None:
    # GIVEN the CDK snippets of a new subnet (tagged like the one it relieves) and of a secondary CIDR
    subnet = create_subnet(
        3,
        vpc_id="vpc-0abc",
        zone="eu-west-1b",
        cidr="10.0.12.0/22",
        tags={"Name": "prod-eks-nodes-b-2", "kubernetes.io/role/internal-elb": "1"},
        like_subnet="subnet-0abc",
    ).cdk
    secondary = associate_vpc_cidr("vpc-0abc", "100.64.0.0/16").cdk
    assert subnet is not None and secondary is not None
    # WHEN both run as one stack's code
    stack = Stack(App(), "Fix")
    exec(subnet + "\n" + secondary, {"self": stack})  # our own snippets: running them is the point
    # THEN the stack creates that subnet, with the tags, its route table association, and the CIDR block
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::EC2::Subnet",
        {
            "VpcId": "vpc-0abc",
            "AvailabilityZone": "eu-west-1b",
            "CidrBlock": "10.0.12.0/22",
            "Tags": Match.array_with([{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}]),
        },
    )
    template.resource_count_is("AWS::EC2::SubnetRouteTableAssociation", 1)
    template.has_resource_properties("AWS::EC2::VPCCidrBlock", {"VpcId": "vpc-0abc", "CidrBlock": "100.64.0.0/16"})
