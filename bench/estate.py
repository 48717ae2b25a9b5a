"""The benchmark's estate: N subnets with about 5 ENIs each, and the ECS and EKS clusters that use them.

Layout (per VPC of at most :data:`SUBNETS_PER_VPC` subnets, AWS's default quota, over 3 AZs):

- half the subnets go to one ECS cluster: a capacity-provider Auto Scaling group over 6 of them and
  awsvpc services over the rest, 16 subnets a service (the most ``awsvpcConfiguration`` takes);
- the other half to one EKS cluster: 3 control-plane subnets, managed node groups over 32 subnets each,
  Fargate profiles over 16 subnets each (a quarter of the rest).

So clusters grow with subnets (one ECS and one EKS cluster per 200 subnets), and every subnet is found
by discovery, not listed. Each subnet holds 3 to 7 ENIs (5 on average) shaped like the real ones of its
role (ECS task attachments, VPC CNI node ENIs with secondary addresses, EKS control plane, Fargate pods,
Lambda), and 6 hours of ``AvailableIPCount`` history every 5 minutes, as a monitor that has been running
leaves behind (flat with noise, 2 % of subnets filling).

Subnets, ENIs and history are written straight into moto's backends of this process: over HTTP that
would be about 60,000 calls at 10,000 subnets, minutes spent measuring moto's request handling while
nothing of the monitor runs. Clusters, services, Auto Scaling groups, node groups and Fargate profiles
(a few hundred calls) go through the API like any client's.
"""

from __future__ import annotations

import ipaddress
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import MetricDatum, cloudwatch_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ec2.models import ec2_backends

from subnet_monitor.analysis import usable_ips
from subnet_monitor.metrics import AVAILABLE_IP_COUNT, DIMENSION_SUBNET, NAMESPACE

ACCOUNT = DEFAULT_ACCOUNT_ID
REGION = "us-east-1"
AZS = ("us-east-1a", "us-east-1b", "us-east-1c")
# "Subnets per VPC": 200 by default (Amazon VPC quotas).
SUBNETS_PER_VPC = 200
ASG_SUBNETS = 6
# "subnets: ... You can specify up to 16 subnets per awsvpcConfiguration" (ECS API reference).
SERVICE_SUBNETS = 16
NODEGROUP_SUBNETS = 32
FARGATE_PROFILE_SUBNETS = 16
CONTROL_PLANE_SUBNETS = 3
ENIS_PER_SUBNET = (3, 7)  # uniform: 5 on average
NODE_INSTANCE_TYPE = "m5.large"
HISTORY_HOURS = 6
HISTORY_PERIOD_SECONDS = 300
FILLING_SHARE = 0.02
FILLING_PER_HOUR = 2
FAKE_AMI = "ami-12c6146b"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/bench"

ClientFactory = Callable[[str], Any]


@dataclass
class VpcLayout:
    """The subnets of one VPC by what uses them."""

    vpc_id: str
    ecs_cluster: str
    eks_cluster: str
    asg: list[str]
    services: list[list[str]]
    control_plane: list[str]
    nodegroups: list[list[str]]
    fargate_profiles: list[list[str]]


@dataclass
class Estate:
    size: int
    subnet_ids: list[str] = field(default_factory=list)
    layouts: list[VpcLayout] = field(default_factory=list)
    enis: int = 0
    addresses: int = 0
    region_subnets: int = 0
    region_enis: int = 0
    history_points: int = 0
    seed_seconds: float = 0.0

    @property
    def ecs_clusters(self) -> int:
        return sum(1 for layout in self.layouts if layout.services or layout.asg)

    @property
    def eks_clusters(self) -> int:
        return sum(1 for layout in self.layouts if layout.control_plane)

    def counts(self) -> dict[str, int]:
        return {
            "subnets": self.size,
            "vpcs": len(self.layouts),
            "enis": self.enis,
            "addresses_in_use": self.addresses,
            "region_subnets": self.region_subnets,
            "region_enis": self.region_enis,
            "ecs_clusters": self.ecs_clusters,
            "ecs_services": sum(len(layout.services) for layout in self.layouts),
            "ecs_capacity_providers": sum(1 for layout in self.layouts if layout.asg),
            "eks_clusters": self.eks_clusters,
            "eks_nodegroups": sum(len(layout.nodegroups) for layout in self.layouts),
            "eks_fargate_profiles": sum(len(layout.fargate_profiles) for layout in self.layouts),
            "history_points": self.history_points,
        }


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def plan_vpc(vpc_id: str, index: int, subnets: Sequence[str]) -> VpcLayout:
    """Split one VPC's subnets between its ECS and EKS cluster (see the module docstring)."""
    ecs, eks = list(subnets[: len(subnets) // 2]), list(subnets[len(subnets) // 2 :])
    control_plane, rest = eks[:CONTROL_PLANE_SUBNETS], eks[CONTROL_PLANE_SUBNETS:]
    fargate = rest[: len(rest) // 4]
    nodes = rest[len(rest) // 4 :]
    return VpcLayout(
        vpc_id=vpc_id,
        ecs_cluster=f"ecs-{index:03d}",
        eks_cluster=f"eks-{index:03d}",
        asg=ecs[:ASG_SUBNETS],
        services=list(_chunks(ecs[ASG_SUBNETS:], SERVICE_SUBNETS)),
        control_plane=control_plane,
        nodegroups=list(_chunks(nodes, NODEGROUP_SUBNETS)),
        fargate_profiles=list(_chunks(fargate, FARGATE_PROFILE_SUBNETS)),
    )


def seed(make_client: ClientFactory, size: int, *, rng_seed: int = 6) -> Estate:
    """Build the estate for ``size`` subnets in the (empty) moto account/region of this process."""
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    estate = Estate(size=size)
    ec2 = ec2_backends[ACCOUNT][REGION]
    for index in range(math.ceil(size / SUBNETS_PER_VPC)):
        count = min(SUBNETS_PER_VPC, size - index * SUBNETS_PER_VPC)
        vpc_id, subnets = _vpc_with_subnets(ec2, index, count)
        estate.subnet_ids.extend(subnets)
        estate.layouts.append(plan_vpc(vpc_id, index, subnets))
    by_subnet: dict[str, int] = {}
    for layout in estate.layouts:
        by_subnet |= _enis(ec2, layout, rng)
    estate.enis = len(ec2.enis)
    estate.addresses = sum(by_subnet.values())
    _clusters(make_client, estate.layouts)
    estate.history_points = _history(estate.subnet_ids, by_subnet, rng)
    estate.region_subnets = sum(len(subnets) for subnets in ec2.subnets.values())
    estate.region_enis = len(ec2.enis)
    estate.seed_seconds = time.perf_counter() - started
    return estate


def _vpc_with_subnets(ec2: Any, index: int, count: int) -> tuple[str, list[str]]:
    """One /16 VPC with ``count`` /24 subnets over the 3 AZs.

    moto's ``create_subnet`` lists every subnet of the region to check the new CIDR for overlaps
    (O(subnets) a call, minutes for 10,000); the CIDRs here are disjoint by construction, so the
    overlap check is given this VPC's own subnets only, through a ``describe_subnets`` that answers
    the one query it makes (``vpc-id``) from a local list.
    """
    vpc = ec2.create_vpc(cidr_block=f"10.{index}.0.0/16")
    created: list[Any] = []
    original = ec2.describe_subnets

    def describe_subnets(subnet_ids: Any = None, filters: Any = None) -> list[Any]:
        if not subnet_ids and filters and set(filters) == {"vpc-id"} and filters["vpc-id"] == [vpc.id]:
            return list(created)
        return original(subnet_ids, filters)

    ec2.describe_subnets = describe_subnets
    try:
        for position in range(count):
            subnet = ec2.create_subnet(
                vpc_id=vpc.id,
                cidr_block=f"10.{index}.{position}.0/24",
                availability_zone=AZS[position % len(AZS)],
                tags={"subnet": {"Name": f"bench-{index:03d}-{position:03d}", "tier": "private"}},
            )
            created.append(subnet)
    finally:
        del ec2.describe_subnets
    return vpc.id, [subnet.id for subnet in created]


def _enis(ec2: Any, layout: VpcLayout, rng: random.Random) -> dict[str, int]:
    """3 to 7 ENIs in every subnet of the VPC, shaped by the subnet's role; addresses used per subnet."""
    shapes: dict[str, Callable[[], tuple[str, dict[str, str], int]]] = {}
    region = REGION

    def ecs_task(cluster: str, service: str) -> Callable[[], tuple[str, dict[str, str], int]]:
        return lambda: (
            f"arn:aws:ecs:{region}:{ACCOUNT}:attachment/{uuid.UUID(int=rng.getrandbits(128))}",
            {"aws:ecs:clusterName": cluster, "aws:ecs:serviceName": service},
            0,
        )

    def node(cluster: str) -> Callable[[], tuple[str, dict[str, str], int]]:
        def make() -> tuple[str, dict[str, str], int]:
            instance = f"i-{rng.getrandbits(68):017x}"
            return (
                f"aws-K8S-{instance}",
                {"node.k8s.amazonaws.com/instance_id": instance, "cluster.k8s.amazonaws.com/name": cluster},
                rng.randint(4, 9),
            )

        return make

    for subnet_id in layout.asg:
        shapes[subnet_id] = lambda: ("", {"aws:autoscaling:groupName": "asg"}, 0)
    for number, service in enumerate(layout.services):
        for subnet_id in service:
            shapes[subnet_id] = ecs_task(layout.ecs_cluster, f"svc-{number:02d}")
    for subnet_id in layout.control_plane:
        shapes[subnet_id] = lambda: (f"Amazon EKS {layout.eks_cluster}", {}, 0)
    for group in layout.nodegroups:
        for subnet_id in group:
            shapes[subnet_id] = node(layout.eks_cluster)
    for profile in layout.fargate_profiles:
        for subnet_id in profile:
            shapes[subnet_id] = lambda: ("", {"eks:cluster-name": layout.eks_cluster}, 0)
    used: dict[str, int] = {}
    for subnet_id, shape in shapes.items():
        subnet = ec2.get_subnet(subnet_id)
        top = int(subnet.cidr.broadcast_address) - 1
        taken = 0
        for number in range(rng.randint(*ENIS_PER_SUBNET)):
            description, tags, secondaries = shape()
            if number == 0 and rng.random() < 0.3:
                description, tags, secondaries = (f"AWS Lambda VPC ENI-fn-{number}-{uuid.uuid4()}", {}, 0)
            addresses = [str(ipaddress.IPv4Address(top - taken - k)) for k in range(1 + secondaries)]
            taken += len(addresses)
            eni = ec2.create_network_interface(
                subnet,
                private_ip_address=addresses[0],
                private_ip_addresses=[
                    {"Primary": k == 0, "PrivateIpAddress": address} for k, address in enumerate(addresses)
                ],
                description=description,
                tags=tags,
            )
            eni.status = "in-use"
        used[subnet_id] = taken
    return used


def _clusters(make_client: ClientFactory, layouts: list[VpcLayout]) -> None:
    """ECS clusters (capacity provider + services) and EKS clusters (node groups, Fargate profiles)."""
    ec2, ecs, eks, autoscaling = (make_client(s) for s in ("ec2", "ecs", "eks", "autoscaling"))
    template = ec2.create_launch_template(
        LaunchTemplateName="bench-ecs", LaunchTemplateData={"ImageId": FAKE_AMI, "InstanceType": "m5.large"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    for layout in layouts:
        group = ec2.create_security_group(GroupName=f"bench-{layout.vpc_id}", Description="bench", VpcId=layout.vpc_id)
        security_group = group["GroupId"]
        capacity_providers = []
        if layout.asg:
            asg_name = f"{layout.ecs_cluster}-asg"
            autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=asg_name,
                LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
                MinSize=0,
                MaxSize=12,
                DesiredCapacity=0,
                VPCZoneIdentifier=",".join(layout.asg),
            )
            asg_arn = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[asg_name])["AutoScalingGroups"][
                0
            ]["AutoScalingGroupARN"]
            ecs.create_capacity_provider(
                name=f"{layout.ecs_cluster}-cp",
                autoScalingGroupProvider={"autoScalingGroupArn": asg_arn, "managedTerminationProtection": "DISABLED"},
            )
            capacity_providers.append(f"{layout.ecs_cluster}-cp")
        ecs.create_cluster(clusterName=layout.ecs_cluster, capacityProviders=[*capacity_providers, "FARGATE"])
        ecs.register_task_definition(
            family=f"{layout.ecs_cluster}-app",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": "app:1", "cpu": 256, "memory": 512}],
        )
        for number, subnets in enumerate(layout.services):
            ecs.create_service(
                cluster=layout.ecs_cluster,
                serviceName=f"svc-{number:02d}",
                taskDefinition=f"{layout.ecs_cluster}-app",
                desiredCount=4,
                launchType="FARGATE",
                networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [security_group]}},
            )
        if not layout.control_plane:
            continue
        eks.create_cluster(
            name=layout.eks_cluster,
            roleArn=ROLE_ARN,
            resourcesVpcConfig={"subnetIds": layout.control_plane, "securityGroupIds": [security_group]},
        )
        for number, subnets in enumerate(layout.nodegroups):
            eks.create_nodegroup(
                clusterName=layout.eks_cluster,
                nodegroupName=f"ng-{number:02d}",
                subnets=subnets,
                nodeRole=ROLE_ARN,
                scalingConfig={"minSize": 1, "maxSize": 20, "desiredSize": 3},
                instanceTypes=[NODE_INSTANCE_TYPE],
            )
        for number, subnets in enumerate(layout.fargate_profiles):
            eks.create_fargate_profile(
                clusterName=layout.eks_cluster,
                fargateProfileName=f"fp-{number:02d}",
                podExecutionRoleArn=ROLE_ARN,
                subnets=subnets,
                selectors=[{"namespace": f"ns-{number:02d}"}],
            )


def _history(subnet_ids: list[str], used: dict[str, int], rng: random.Random) -> int:
    """``AvailableIPCount`` every 5 minutes for the last 6 hours, as earlier scans published it."""
    backend = cloudwatch_backends[ACCOUNT][REGION]
    now = datetime.now(UTC).replace(microsecond=0)
    steps = HISTORY_HOURS * 3600 // HISTORY_PERIOD_SECONDS
    usable = usable_ips("10.0.0.0/24")
    points = 0
    for subnet_id in subnet_ids:
        filling = rng.random() < FILLING_SHARE
        dimensions = [{"Name": DIMENSION_SUBNET, "Value": subnet_id}]
        for step in range(steps, 0, -1):
            earlier = FILLING_PER_HOUR * step * HISTORY_PERIOD_SECONDS / 3600 if filling else 0
            value = usable - used[subnet_id] + round(earlier) + rng.randint(-2, 2)
            timestamp = now - timedelta(seconds=HISTORY_PERIOD_SECONDS * step)
            backend.metric_data.append(
                MetricDatum(NAMESPACE, AVAILABLE_IP_COUNT, float(max(0, value)), dimensions, timestamp, "Count")
            )
            points += 1
    return points
