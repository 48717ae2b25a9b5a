"""Who holds a subnet's addresses: ENI classification and counting. Pure: no AWS, no mocks.

Every ENI below is shaped like a real ``describe_network_interfaces`` item; the comment above each
one says where the shape was taken from. Fields the classification does not read (MacAddress,
Groups, PrivateDnsName, ...) are left out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.consumers import (
    CATEGORIES,
    DETACHED,
    EC2_INSTANCE_PRIMARY,
    ECS_TASK,
    ECS_TRUNK,
    EKS_CONTROL_PLANE,
    EKS_FARGATE,
    EKS_NODE_POD,
    LAMBDA,
    LOAD_BALANCER,
    NAT_GATEWAY,
    OTHER,
    OTHER_AWS_SERVICE,
    VPC_ENDPOINT,
    addresses_in_use,
    classify,
    consumers_by_subnet,
    eni_addresses,
    slim_eni,
    summarize_by_subnet,
    vpc_cni_instances,
)
from subnet_monitor.core.fragmentation import prefix_space

SUBNET = "subnet-0a1b2c3d4e5f60718"
NODE = "i-00018772909497f61"


def ips(primary: str, *secondaries: str) -> list[dict[str, Any]]:
    return [{"Primary": True, "PrivateIpAddress": primary}] + [
        {"Primary": False, "PrivateIpAddress": address} for address in secondaries
    ]


# ECS awsvpc task on Fargate: description is the ECS attachment ARN, requester-managed, attached
# at device 1 to an instance ECS owns (no InstanceId).
# Source: github.com/binxio/ecs-dns-registrator, tests/test_task_event.py
ECS_FARGATE_TASK = {
    "NetworkInterfaceId": "eni-1f9ed840",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceOwnerId": "843547988961", "Status": "attached"},
    "Description": "arn:aws:ecs:eu-central-1:1234567890:attachment/f6d9fc22-dbaf-4bff-b501-a41b41f27826",
    "InterfaceType": "interface",
    "PrivateIpAddress": "10.0.0.154",
    "PrivateIpAddresses": ips("10.0.0.154"),
    "RequesterId": "628676013162",
    "RequesterManaged": True,
    "Status": "in-use",
    "TagSet": [],
}

# ECS awsvpc task on an EC2 container instance: same description, attached to the instance at
# device 1. Source: a describe-instances capture of an ECS host (ap-southeast-2, 2019) found by
# code search; same shape in a second capture (eu-central-1, 2022).
ECS_EC2_TASK = {
    "NetworkInterfaceId": "eni-07df27611781ce81d",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 2, "InstanceId": "i-03fd3ec7a44e04e2f", "Status": "attached"},
    "Description": "arn:aws:ecs:eu-central-1:205781933585:attachment/aa82aa30-0835-47b8-bb17-00888bdaecf1",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.87"),
    "Status": "in-use",
}

# ECS trunk ENI (awsvpcTrunking): InterfaceType "trunk", and ECS gives it an attachment ARN as
# description too. Source: the same two describe-instances captures.
ECS_TRUNK_ENI = {
    "NetworkInterfaceId": "eni-024fc05452887fd0a",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceId": "i-03fd3ec7a44e04e2f", "Status": "attached"},
    "Description": "arn:aws:ecs:ap-southeast-2:221843028483:attachment/c87bd27e-87e4-46aa-8e83-b5972adbb38e",
    "InterfaceType": "trunk",
    "PrivateIpAddresses": ips("10.0.0.165"),
    "Status": "in-use",
}

# The ECS host's own primary ENI: device 0, empty description, not requester-managed.
# Source: the same captures.
EC2_PRIMARY = {
    "NetworkInterfaceId": "eni-09a097a169155c402",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 0, "InstanceId": "i-03fd3ec7a44e04e2f", "Status": "attached"},
    "Description": "",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.37"),
    "Status": "in-use",
}

# VPC CNI secondary ENI: description "aws-K8S-" + instance ID, tagged with the node's instance ID
# and (when CLUSTER_NAME is set) the cluster name; secondary addresses are pod addresses.
# Source: github.com/aws/amazon-vpc-cni-k8s, pkg/awsutils/awsutils.go (eniDescriptionPrefix,
# eniNodeTagKey, eniClusterTagKey, eniOwnerTagKey).
VPC_CNI_ENI = {
    "NetworkInterfaceId": "eni-0cni00000000000001",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceId": NODE, "Status": "attached"},
    "Description": f"aws-K8S-{NODE}",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13"),
    "RequesterManaged": False,
    "Status": "in-use",
    "TagSet": [
        {"Key": "node.k8s.amazonaws.com/instance_id", "Value": NODE},
        {"Key": "node.k8s.amazonaws.com/createdAt", "Value": "2024-05-01T10:00:00Z"},
        {"Key": "cluster.k8s.amazonaws.com/name", "Value": "platform"},
        {"Key": "eks:eni:owner", "Value": "amazon-vpc-cni"},
    ],
}

# The same node's primary ENI in prefix mode: the VPC CNI puts /28 prefixes on it first.
EKS_NODE_PRIMARY = {
    "NetworkInterfaceId": "eni-0node0000000000001",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 0, "InstanceId": NODE, "Status": "attached"},
    "Description": "",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.171"),
    "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.1.0/28"}, {"Ipv4Prefix": "10.0.1.16/28"}],
    "RequesterManaged": False,
    "Status": "in-use",
}

# Security groups for pods: trunk "aws-k8s-trunk-eni" and branch "aws-k8s-branch-eni" ENIs made by
# the EKS VPC resource controller; the branch is "in-use" with no Attachment.
# Source: https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html (names) and
# a published describe-network-interfaces capture of both ENIs (eu-west-1, 2023).
EKS_TRUNK = {
    "NetworkInterfaceId": "eni-03e61f90252a662d1",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 2, "InstanceId": NODE, "InstanceOwnerId": "111111111111", "Status": "attached"},
    "Description": "aws-k8s-trunk-eni",
    "InterfaceType": "trunk",
    "PrivateIpAddresses": ips("10.0.0.247"),
    "RequesterId": "895095153028",
    "RequesterManaged": False,
    "Status": "in-use",
    "TagSet": [{"Key": "eks:eni:owner", "Value": "eks-vpc-resource-controller"}],
}
EKS_BRANCH = {
    "NetworkInterfaceId": "eni-047ff73e04f5b733c",
    "SubnetId": SUBNET,
    "Description": "aws-k8s-branch-eni",
    "InterfaceType": "branch",
    "PrivateIpAddresses": ips("10.0.0.178"),
    "RequesterId": "895095153028",
    "RequesterManaged": False,
    "Status": "in-use",
    "TagSet": [
        {"Key": "vpcresources.k8s.aws/trunk-eni-id", "Value": "eni-03e61f90252a662d1"},
        {"Key": "eks:eni:owner", "Value": "eks-vpc-resource-controller"},
    ],
}

# EKS control plane cross-account ENI: "Amazon EKS <cluster>", requester-managed by the EKS account.
# Source: github.com/mlewis7127/amazon-eks-guide-code, docs/3.eks-setup/auto-mode-overview.md
EKS_CONTROL_PLANE_ENI = {
    "NetworkInterfaceId": "eni-06ecbd3d5689071df",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceOwnerId": "339713109942", "Status": "attached"},
    "Description": "Amazon EKS eks-test-cluster",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.100"),
    "RequesterId": "339713109942",
    "RequesterManaged": True,
    "Status": "in-use",
    "TagSet": [],
}

# EKS Fargate pod ENI. NOT confirmed against a published capture: the description below is an
# assumption (one naming both EKS and Fargate); the rest follows the other requester-managed ENIs.
EKS_FARGATE_POD = {
    "NetworkInterfaceId": "eni-0fargate000000001",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceOwnerId": "amazon-aws", "Status": "attached"},
    "Description": "[EKS Fargate] pod eni",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.68"),
    "RequesterManaged": True,
    "Status": "in-use",
}

# Load balancers: "ELB app/<name>/<id>" (ALB, InterfaceType interface, RequesterId amazon-elb) and
# "ELB net/<name>/<id>" (NLB, InterfaceType network_load_balancer). Source: descriptions as shown
# in public ENI inventories found by code search; InterfaceType values from the EC2 API model
# (botocore ec2 service-2.json, NetworkInterfaceType).
ALB = {
    "NetworkInterfaceId": "eni-0alb1a12345678901",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceOwnerId": "amazon-elb", "Status": "attached"},
    "Description": "ELB app/production-alb/50dc6c495c0c9188",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.200"),
    "RequesterId": "amazon-elb",
    "RequesterManaged": True,
    "Status": "in-use",
}
NLB = {
    "NetworkInterfaceId": "eni-0nlb1a12345678901",
    "SubnetId": SUBNET,
    "Description": "ELB net/constructioncapacityapi-prod-nlb/e9184833c2c1b7fc",
    "InterfaceType": "network_load_balancer",
    "PrivateIpAddresses": ips("10.0.0.211"),
    "RequesterManaged": True,
    "Status": "in-use",
}

# Lambda Hyperplane ENI: "AWS Lambda VPC ENI-<function>-<uuid>", InterfaceType lambda.
LAMBDA_ENI = {
    "NetworkInterfaceId": "eni-0lambda00000000001",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceOwnerId": "amazon-aws", "Status": "attached"},
    "Description": "AWS Lambda VPC ENI-orders-api-1a2b3c4d-1111-2222-3333-aaaabbbbcccc",
    "InterfaceType": "lambda",
    "PrivateIpAddresses": ips("10.0.0.30"),
    "RequesterId": "123456789012:awslambda_orders-api",
    "RequesterManaged": True,
    "Status": "in-use",
}

# Interface VPC endpoint: "VPC Endpoint Interface vpce-...", InterfaceType vpc_endpoint or
# interface. Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html
VPC_ENDPOINT_ENI = {
    "NetworkInterfaceId": "eni-0vpce000000000001",
    "SubnetId": SUBNET,
    "Description": "VPC Endpoint Interface vpce-078221a1e27d1ea5b",
    "InterfaceType": "vpc_endpoint",
    "PrivateIpAddresses": ips("10.0.0.40"),
    "RequesterManaged": True,
    "Status": "in-use",
}
VPC_ENDPOINT_OLD_STYLE = {
    **VPC_ENDPOINT_ENI,
    "NetworkInterfaceId": "eni-0vpce000000000002",
    "Description": "VPC Endpoint Interface: vpce-0f00567fa8477a1e6",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.41"),
}

# NAT gateway: "Interface for NAT Gateway nat-...", InterfaceType nat_gateway.
# Source: github.com/binxio/ecs-dns-registrator, tests/test_task_event.py
NAT_ENI = {
    "NetworkInterfaceId": "eni-d56720fd",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceOwnerId": "amazon-aws", "Status": "attached"},
    "Description": "Interface for NAT Gateway nat-02d216882c09db8e6",
    "InterfaceType": "nat_gateway",
    "PrivateIpAddresses": ips("10.0.0.220"),
    "RequesterId": "128792236543",
    "RequesterManaged": True,
    "Status": "in-use",
    "TagSet": [],
}

# Other services: RDS ("RDSNetworkInterface", requester-managed), EFS mount target.
RDS_ENI = {
    "NetworkInterfaceId": "eni-009e33b4d80cff382",
    "SubnetId": SUBNET,
    "Description": "RDSNetworkInterface",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.213"),
    "RequesterId": "amazon-rds",
    "RequesterManaged": True,
    "Status": "in-use",
}
EFS_ENI = {
    "NetworkInterfaceId": "eni-0efs000000000001",
    "SubnetId": SUBNET,
    "Description": "EFS mount target for fs-0123456789abcdef0 (fsmt-0123456789abcdef0)",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.50"),
    "Status": "in-use",
}

# A VPC CNI ENI left behind by a terminated node: Status "available", nothing attached.
LEAKED_CNI_ENI = {
    **VPC_CNI_ENI,
    "NetworkInterfaceId": "eni-0leaked0000000001",
    "Attachment": None,
    "PrivateIpAddresses": ips("10.0.0.90", "10.0.0.91", "10.0.0.92"),
    "Status": "available",
}

# Something a person made and attached as a second interface: nobody we know.
UNKNOWN_ENI = {
    "NetworkInterfaceId": "eni-0mystery00000001",
    "SubnetId": SUBNET,
    "Attachment": {"DeviceIndex": 1, "InstanceId": "i-0bastion000000001", "Status": "attached"},
    "Description": "failover address for legacy app",
    "InterfaceType": "interface",
    "PrivateIpAddresses": ips("10.0.0.60"),
    "RequesterManaged": False,
    "Status": "in-use",
}


@pytest.mark.parametrize(
    ("eni", "expected"),
    [
        pytest.param(ECS_FARGATE_TASK, ECS_TASK, id="ecs-fargate-task"),
        pytest.param(ECS_EC2_TASK, ECS_TASK, id="ecs-ec2-task"),
        pytest.param(ECS_TRUNK_ENI, ECS_TRUNK, id="ecs-trunk"),
        pytest.param(EC2_PRIMARY, EC2_INSTANCE_PRIMARY, id="ec2-primary"),
        pytest.param(VPC_CNI_ENI, EKS_NODE_POD, id="vpc-cni-eni"),
        pytest.param(EKS_TRUNK, EKS_NODE_POD, id="eks-trunk"),
        pytest.param(EKS_BRANCH, EKS_NODE_POD, id="eks-branch"),
        pytest.param(EKS_CONTROL_PLANE_ENI, EKS_CONTROL_PLANE, id="eks-control-plane"),
        pytest.param(EKS_FARGATE_POD, EKS_FARGATE, id="eks-fargate"),
        pytest.param(ALB, LOAD_BALANCER, id="alb"),
        pytest.param(NLB, LOAD_BALANCER, id="nlb"),
        pytest.param(LAMBDA_ENI, LAMBDA, id="lambda"),
        pytest.param(VPC_ENDPOINT_ENI, VPC_ENDPOINT, id="vpc-endpoint"),
        pytest.param(VPC_ENDPOINT_OLD_STYLE, VPC_ENDPOINT, id="vpc-endpoint-interface-type"),
        pytest.param(NAT_ENI, NAT_GATEWAY, id="nat-gateway"),
        pytest.param(RDS_ENI, OTHER_AWS_SERVICE, id="rds"),
        pytest.param(EFS_ENI, OTHER_AWS_SERVICE, id="efs"),
        pytest.param(LEAKED_CNI_ENI, DETACHED, id="detached"),
        pytest.param(UNKNOWN_ENI, OTHER, id="unknown"),
    ],
)
def test_each_real_shape_lands_in_its_category(eni: dict[str, Any], expected: str) -> None:
    assert classify(eni) == (expected, expected)
    # ... and so does what the reader keeps of it, with the same addresses
    assert classify(slim_eni(eni)) == (expected, expected)
    assert eni_addresses(slim_eni(eni)) == eni_addresses(eni)


def test_what_the_reader_keeps_repeats_no_string_the_enis_share() -> None:
    # GIVEN two ENIs of one node, parsed apart as botocore parses each page: equal values, separate strings
    first, second = (json.loads(json.dumps(VPC_CNI_ENI | {"NetworkInterfaceId": eni})) for eni in ("eni-1", "eni-2"))
    assert first["SubnetId"] is not second["SubnetId"]

    # WHEN the reader keeps what it reads of them
    kept = [slim_eni(first), slim_eni(second)]

    # THEN the subnet, type, status and tags they share are one string each (at 10,000 subnets, some
    # 20 MB of a 256 MB function), and every value is the one read
    for key in ("SubnetId", "InterfaceType", "Status"):
        assert kept[0][key] is kept[1][key]
    tags = [k["TagSet"] for k in kept]
    assert all(a["Key"] is b["Key"] and a["Value"] is b["Value"] for a, b in zip(*tags, strict=True))
    assert kept[0] == slim_eni(VPC_CNI_ENI | {"NetworkInterfaceId": "eni-1"})


@pytest.mark.parametrize(
    "interface_type",
    [
        "transit_gateway",
        "quicksight",
        "global_accelerator_managed",
        "api_gateway_managed",
        "iot_rules_managed",
        "aws_codestar_connections_managed",
    ],
)
def test_other_aws_managed_interface_types(interface_type: str) -> None:
    eni = {"SubnetId": SUBNET, "InterfaceType": interface_type, "Status": "in-use", "Description": ""}
    assert classify(eni) == (OTHER_AWS_SERVICE, OTHER_AWS_SERVICE)


def test_interface_type_alone_is_enough() -> None:
    # Descriptions are not a contract; InterfaceType (API model enum) carries the same answer.
    assert classify({"InterfaceType": "gateway_load_balancer", "Status": "in-use"})[0] == LOAD_BALANCER
    assert classify({"InterfaceType": "gateway_load_balancer_endpoint", "Status": "in-use"})[0] == VPC_ENDPOINT
    assert classify({"InterfaceType": "natGateway", "Status": "in-use"})[0] == NAT_GATEWAY  # API model spelling
    assert classify({"InterfaceType": "lambda", "Status": "in-use"})[0] == LAMBDA


def test_ecs_attachment_arns_in_other_partitions() -> None:
    for partition in ("aws-cn", "aws-us-gov"):
        eni = {**ECS_FARGATE_TASK, "Description": f"arn:{partition}:ecs:cn-north-1:123456789012:attachment/abc"}
        assert classify(eni)[0] == ECS_TASK


def test_detached_wins_over_every_other_rule() -> None:
    # GIVEN ENIs of every kind, each now detached (Status "available")
    kinds = [ECS_FARGATE_TASK, ECS_TRUNK_ENI, EC2_PRIMARY, VPC_CNI_ENI, EKS_CONTROL_PLANE_ENI, ALB, NAT_ENI, RDS_ENI]
    for eni in kinds:
        # WHEN one is classified THEN all of its addresses are "detached"
        assert classify({**eni, "Status": "available"}) == (DETACHED, DETACHED)


def test_eks_node_primary_eni_splits_node_address_from_pod_addresses() -> None:
    # GIVEN a node in prefix mode: primary ENI with its own address and two /28 prefixes
    # WHEN it is read
    use = eni_addresses(EKS_NODE_PRIMARY)

    # THEN the node holds its primary address and pods hold the 32 prefix addresses
    assert (use.primary_category, use.secondary_category) == (EC2_INSTANCE_PRIMARY, EKS_NODE_POD)
    assert use.consumers() == {EC2_INSTANCE_PRIMARY: 1, EKS_NODE_POD: 32}
    assert use.prefixes == ("10.0.1.0/28", "10.0.1.16/28")


def test_secondary_addresses_on_a_known_cni_node_primary_eni_are_pods() -> None:
    # GIVEN a node in secondary-IP mode: its primary ENI carries pod addresses, no prefixes
    primary = {**EC2_PRIMARY, "Attachment": {"DeviceIndex": 0, "InstanceId": NODE}}
    primary["PrivateIpAddresses"] = ips("10.0.0.37", "10.0.0.38", "10.0.0.39")

    # WHEN the node is known to run the VPC CNI (it has a CNI ENI)
    nodes = vpc_cni_instances([VPC_CNI_ENI])
    assert nodes == {NODE}

    # THEN its secondaries count as pods; without that knowledge they stay with the instance
    assert eni_addresses(primary, cni_instances=nodes).consumers() == {EC2_INSTANCE_PRIMARY: 1, EKS_NODE_POD: 2}
    assert eni_addresses(primary).consumers() == {EC2_INSTANCE_PRIMARY: 3}


def test_counting_secondaries_and_prefixes() -> None:
    # GIVEN a subnet with a CNI ENI (1 + 3 secondaries), a prefix-mode node primary (1 + 2 × /28),
    # a Fargate task, a NAT gateway and a leaked CNI ENI (1 + 2 secondaries)
    enis = [VPC_CNI_ENI, EKS_NODE_PRIMARY, ECS_FARGATE_TASK, NAT_ENI, LEAKED_CNI_ENI]

    # WHEN consumers are counted
    consumers = consumers_by_subnet(enis)

    # THEN each primary and secondary counts 1, each /28 prefix 16, in table order
    assert consumers == {
        SUBNET: {
            ECS_TASK: 1,
            EC2_INSTANCE_PRIMARY: 1,
            EKS_NODE_POD: 4 + 32,
            NAT_GATEWAY: 1,
            DETACHED: 3,
        }
    }
    assert list(consumers[SUBNET]) == [c for c in CATEGORIES if c in consumers[SUBNET]]


def test_summary_feeds_fragmentation_from_the_same_pass() -> None:
    # GIVEN ENIs in two subnets
    other = {**RDS_ENI, "SubnetId": "subnet-0other", "PrivateIpAddresses": ips("10.0.9.5")}
    enis = [VPC_CNI_ENI, EKS_NODE_PRIMARY, other]

    # WHEN they are summarised
    summary = summarize_by_subnet(enis)

    # THEN each subnet has its consumers, addresses and prefixes
    assert set(summary) == {SUBNET, "subnet-0other"}
    main = summary[SUBNET]
    assert main.used_addresses == 4 + 1 + 32
    assert main.ips == ("10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13", "10.0.0.171")
    assert main.prefixes == ("10.0.1.0/28", "10.0.1.16/28")
    assert summary["subnet-0other"].consumers == {OTHER_AWS_SERVICE: 1}

    # AND addresses_in_use gives the same addresses, ready for prefix_space
    used_ips, used_prefixes = addresses_in_use([VPC_CNI_ENI, EKS_NODE_PRIMARY])
    assert (tuple(used_ips), tuple(used_prefixes)) == (main.ips, main.prefixes)
    space = prefix_space("10.0.0.0/23", used_ips, used_prefixes)
    # blocks 0 (reserved + .10-.13), 10 (.171), 16-17 (prefixes), 31 (broadcast) are taken
    assert space.free_blocks == 32 - 5


def test_enis_without_private_ip_list_fall_back_to_private_ip_address() -> None:
    eni = {"SubnetId": SUBNET, "PrivateIpAddress": "10.0.0.77", "Status": "in-use"}
    assert eni_addresses(eni).ips == ("10.0.0.77",)
    assert consumers_by_subnet([eni]) == {SUBNET: {OTHER: 1}}


def test_no_enis_no_subnets() -> None:
    assert consumers_by_subnet([]) == {}
    assert addresses_in_use([]) == ([], [])


_TEMPLATES = [
    ECS_FARGATE_TASK,
    ECS_TRUNK_ENI,
    EC2_PRIMARY,
    VPC_CNI_ENI,
    EKS_NODE_PRIMARY,
    EKS_BRANCH,
    EKS_CONTROL_PLANE_ENI,
    ALB,
    LAMBDA_ENI,
    VPC_ENDPOINT_ENI,
    NAT_ENI,
    RDS_ENI,
    LEAKED_CNI_ENI,
    UNKNOWN_ENI,
]


@given(
    picks=st.lists(
        st.tuples(st.sampled_from(_TEMPLATES), st.integers(0, 5), st.integers(0, 3)),
        max_size=20,
    )
)
def test_every_address_is_counted_exactly_once(picks: list[tuple[dict[str, Any], int, int]]) -> None:
    # GIVEN random ENIs of every kind, each with random secondaries and /28 prefixes
    enis = []
    for n, (template, secondaries, prefixes) in enumerate(picks):
        base = f"10.{n}"
        enis.append(
            {
                **template,
                "PrivateIpAddresses": ips(f"{base}.0.4", *(f"{base}.0.{10 + i}" for i in range(secondaries))),
                "Ipv4Prefixes": [{"Ipv4Prefix": f"{base}.1.{16 * i}/28"} for i in range(prefixes)],
            }
        )

    # WHEN they are counted
    summary = summarize_by_subnet(enis)

    # THEN the consumers add up to every address and 16 per prefix, and only known categories appear
    used_ips, used_prefixes = addresses_in_use(enis)
    total = sum(use.used_addresses for use in summary.values())
    assert total == len(used_ips) + 16 * len(used_prefixes)
    assert all(c in CATEGORIES and n > 0 for use in summary.values() for c, n in use.consumers.items())
