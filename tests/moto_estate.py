"""Builders for the integration tests: resources in moto, and an API call counter."""

from __future__ import annotations

import ipaddress
import threading
from collections import Counter
from dataclasses import dataclass, field

import boto3

from subnet_monitor.aws.clients import AwsClients

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/test"


class CallCounter:
    """Counts API calls by ``service.Operation`` through botocore's event hooks (retries of one
    call count once). The scan reads side by side: the count is taken under a lock."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def watch(self, clients: AwsClients) -> CallCounter:
        for client in vars(clients).values():
            client.meta.events.register("before-call.*.*", self._count)
        return self

    def _count(self, event_name: str, **_: object) -> None:
        # "before-call.ecs.ListClusters" -> "ecs.ListClusters"
        with self._lock:
            self.calls[event_name.split(".", 1)[1]] += 1


@dataclass
class Vpc:
    """A VPC in moto with helpers to add subnets, consume addresses and run ECS/EKS on them."""

    session: boto3.Session
    vpc_id: str = ""
    security_group: str = ""
    _next_address: int = field(init=False)

    def __post_init__(self) -> None:
        self.ec2 = self.session.client("ec2")
        self.ecs = self.session.client("ecs")
        self.eks = self.session.client("eks")
        self.autoscaling = self.session.client("autoscaling")
        self.vpc_id = self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        # moto names task ENIs from the VPC's DNS hostnames (and real EKS requires them).
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsHostnames={"Value": True})
        self.security_group = self.ec2.create_security_group(GroupName="test", Description="test", VpcId=self.vpc_id)[
            "GroupId"
        ]
        self._next_address = int(ipaddress.IPv4Address("10.0.0.0"))

    def subnet(self, *, prefix: int = 24, az: str = "us-east-1a", tags: dict[str, str] | None = None) -> str:
        size = 2 ** (32 - prefix)
        start = -(-self._next_address // size) * size  # aligned to the block size
        self._next_address = start + size
        cidr = ipaddress.IPv4Network((start, prefix))
        kwargs = {}
        if tags:
            kwargs["TagSpecifications"] = [
                {"ResourceType": "subnet", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ]
        return self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=str(cidr), AvailabilityZone=az, **kwargs)["Subnet"][
            "SubnetId"
        ]

    def consume(self, subnet_id: str, addresses: int) -> None:
        """Take ``addresses`` addresses with one ENI (a primary and secondaries)."""
        self.ec2.create_network_interface(SubnetId=subnet_id, SecondaryPrivateIpAddressCount=addresses - 1)

    def instance(self, subnet_id: str, tags: dict[str, str] | None = None) -> str:
        kwargs = {}
        if tags:
            kwargs["TagSpecifications"] = [
                {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            ]
        return self.ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.large", SubnetId=subnet_id, **kwargs
        )["Instances"][0]["InstanceId"]

    def ecs_cluster(self, name: str) -> None:
        self.ecs.create_cluster(clusterName=name)
        self.ecs.register_task_definition(
            family=f"{name}-app",
            networkMode="awsvpc",
            containerDefinitions=[{"name": "app", "image": "nginx", "memory": 128}],
        )

    def ecs_service(self, cluster: str, name: str, subnets: list[str], launch_type: str = "FARGATE") -> None:
        self.ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=f"{cluster}-app",
            desiredCount=1,
            launchType=launch_type,
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [self.security_group]}},
        )

    def eks_cluster(self, name: str, subnets: list[str]) -> None:
        self.eks.create_cluster(name=name, roleArn=ROLE_ARN, resourcesVpcConfig={"subnetIds": subnets})
