"""A realistic ECS + EKS estate seeded into moto, for ``make demo`` and the integration tests.

Entry point::

    make_client = moto_client_factory("http://127.0.0.1:5000", region="eu-west-1")  # or (None) under mock_aws
    estate = seed_estate(make_client)
    hold_ecs_tasks_running()  # optional, see its docstring

``seed_estate`` takes a *client factory* ``make_client(service_name) -> botocore client`` rather than a
session, so the same code runs against a ``ThreadedMotoServer`` (clients built with ``endpoint_url``) and
in-process ``mock_aws`` (plain clients). It uses ``ec2``, ``autoscaling``, ``ecs`` and ``eks`` only, and takes
the region from the EC2 client. It must run against an empty moto account/region (names are fixed).

What it builds (one VPC 10.0.0.0/16 over the region's first three AZs; subnet names below are the keys of
``Estate.subnet_ids``; ``usable`` = 2^(32-prefix) - 5):

============================  ================  ===================  =======================================
subnet                        CIDR              expected roles       what eats it
============================  ================  ===================  =======================================
public-a                      10.0.0.0/26       none                 NAT gateway
ecs-instances-a/b/c           10.0.4-6.0/24     ecs-instance         capacity-provider ASG instances (near empty)
ecs-tasks-a / -b              10.0.8.0/26 ...   ecs-task             awsvpc EC2 services + a standalone task
ecs-fargate-a / -b            10.0.9.0/27 ...   ecs-task             FARGATE service (+ Lambda); -a > 90 %
eks-control-plane-a/b/c       10.0.16.x/28      eks-control-plane    "Amazon EKS platform" ENIs
eks-nodes-a                   10.0.20.0/22      eks-node             node group "general" + VPC CNI ENIs
eks-nodes-b                   10.0.24.0/24      eks-node             node group "general"; 80-90 %
eks-nodes-c                   10.0.25.0/24      eks-node             node group "batch"
eks-fargate-a / -b            10.0.26.x/26      eks-fargate          Fargate profile pods
eks-selfmanaged-c             10.0.27.0/26      eks-node             self-managed nodes (instance tag only)
shared-services-a             10.0.32.0/24      none                 interface VPC endpoints, Lambda
data-b                        10.0.40.0/25      none (tag team=data) Lambda, EC2; selectable by tag
============================  ================  ===================  =======================================

Exact figures are in ``Estate.expected_used`` and checked against moto's ``AvailableIpAddressCount`` at the
end of seeding (``EstateMismatchError`` if moto's accounting ever changes). See ``demo/MOTO_NOTES.md`` for
what moto does and does not model.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.client import BaseClient

from subnet_monitor.analysis import usable_ips
from subnet_monitor.models import (
    KIND_ECS_CAPACITY_PROVIDER,
    KIND_ECS_SERVICE,
    KIND_ECS_TASK,
    KIND_EKS_CLUSTER,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    KIND_EKS_SELF_MANAGED_NODES,
    Role,
    Workload,
)

ClientFactory = Callable[[str], BaseClient]

# Roles and workload kinds are the collector's own ("explicit" is never expected here: it comes from config).
ECS_INSTANCE = Role.ECS_INSTANCE
ECS_TASK = Role.ECS_TASK
EKS_CONTROL_PLANE = Role.EKS_CONTROL_PLANE
EKS_NODE = Role.EKS_NODE
EKS_FARGATE = Role.EKS_FARGATE
KIND_EKS_SELF_MANAGED = KIND_EKS_SELF_MANAGED_NODES

VPC_CIDR = "10.0.0.0/16"
ECS_CLUSTER = "payments"
EKS_CLUSTER = "platform"
ECS_ASG = "payments-ecs-asg"
ECS_CAPACITY_PROVIDER = "payments-ec2"
DATA_TAG = ("team", "data")
FAKE_AMI = "ami-0c2b8ca1dad447f8a"  # moto accepts any well-formed AMI id


@dataclass(frozen=True)
class SubnetSpec:
    name: str
    cidr: str
    az: int  # index into the region's first three AZs
    roles: frozenset[str] = frozenset()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def usable(self) -> int:
        return usable_ips(self.cidr)


_ELB = {"kubernetes.io/role/internal-elb": "1"}
SUBNETS: tuple[SubnetSpec, ...] = (
    SubnetSpec("public-a", "10.0.0.0/26", 0, tags={"kubernetes.io/role/elb": "1", "tier": "public"}),
    SubnetSpec("ecs-instances-a", "10.0.4.0/24", 0, frozenset({ECS_INSTANCE})),
    SubnetSpec("ecs-instances-b", "10.0.5.0/24", 1, frozenset({ECS_INSTANCE})),
    SubnetSpec("ecs-instances-c", "10.0.6.0/24", 2, frozenset({ECS_INSTANCE})),
    SubnetSpec("ecs-tasks-a", "10.0.8.0/26", 0, frozenset({ECS_TASK})),
    SubnetSpec("ecs-tasks-b", "10.0.8.64/26", 1, frozenset({ECS_TASK})),
    SubnetSpec("ecs-fargate-a", "10.0.9.0/27", 0, frozenset({ECS_TASK})),
    SubnetSpec("ecs-fargate-b", "10.0.9.32/27", 1, frozenset({ECS_TASK})),
    SubnetSpec("eks-control-plane-a", "10.0.16.0/28", 0, frozenset({EKS_CONTROL_PLANE})),
    SubnetSpec("eks-control-plane-b", "10.0.16.16/28", 1, frozenset({EKS_CONTROL_PLANE})),
    SubnetSpec("eks-control-plane-c", "10.0.16.32/28", 2, frozenset({EKS_CONTROL_PLANE})),
    SubnetSpec("eks-nodes-a", "10.0.20.0/22", 0, frozenset({EKS_NODE}), _ELB),
    SubnetSpec("eks-nodes-b", "10.0.24.0/24", 1, frozenset({EKS_NODE}), _ELB),
    SubnetSpec("eks-nodes-c", "10.0.25.0/24", 2, frozenset({EKS_NODE}), _ELB),
    SubnetSpec("eks-fargate-a", "10.0.26.0/26", 0, frozenset({EKS_FARGATE})),
    SubnetSpec("eks-fargate-b", "10.0.26.64/26", 1, frozenset({EKS_FARGATE})),
    SubnetSpec("eks-selfmanaged-c", "10.0.27.0/26", 2, frozenset({EKS_NODE})),
    SubnetSpec("shared-services-a", "10.0.32.0/24", 0),
    SubnetSpec("data-b", "10.0.40.0/25", 1, tags={DATA_TAG[0]: DATA_TAG[1], "data-classification": "internal"}),
)


@dataclass
class Estate:
    """What was seeded, for the demo to print and the tests to assert discovery against."""

    region: str
    account_id: str
    vpc_id: str
    availability_zones: tuple[str, ...]
    subnet_ids: dict[str, str]  # name -> subnet id
    cidrs: dict[str, str]  # name -> CIDR
    roles: dict[str, frozenset[str]]  # name -> expected roles; empty = used by no cluster
    workloads: dict[str, frozenset[Workload]]  # name -> expected workloads behind the subnet
    tags: dict[str, dict[str, str]]  # name -> tags set on the subnet (Name included)
    expected_used: dict[str, int]  # name -> usable - AvailableIpAddressCount, verified after seeding
    ecs_cluster: str = ECS_CLUSTER
    eks_cluster: str = EKS_CLUSTER
    ecs_services: tuple[str, ...] = ()
    ecs_standalone_task_arns: tuple[str, ...] = ()
    eks_nodegroups: tuple[str, ...] = ()
    eks_fargate_profiles: tuple[str, ...] = ()
    autoscaling_group: str = ECS_ASG
    capacity_provider: str = ECS_CAPACITY_PROVIDER
    tag_selector: tuple[str, str] = DATA_TAG  # (key, value) that selects exactly the "data-b" subnet
    seed_seconds: float = 0.0

    # --- conveniences for tests -------------------------------------------------------------------
    def subnet_id(self, name: str) -> str:
        return self.subnet_ids[name]

    def name_of(self, subnet_id: str) -> str:
        return {v: k for k, v in self.subnet_ids.items()}[subnet_id]

    def ids_with_role(self, role: str) -> set[str]:
        return {self.subnet_ids[n] for n, r in self.roles.items() if role in r}

    @property
    def used_subnet_ids(self) -> set[str]:
        """Subnets some cluster uses (what discovery must report without explicit/tag selection)."""
        return {self.subnet_ids[n] for n, r in self.roles.items() if r}

    @property
    def unused_subnet_ids(self) -> set[str]:
        return set(self.subnet_ids.values()) - self.used_subnet_ids

    def usable(self, name: str) -> int:
        return usable_ips(self.cidrs[name])

    def expected_available(self, name: str) -> int:
        return self.usable(name) - self.expected_used[name]

    def expected_utilization(self, name: str) -> float:
        return 100.0 * self.expected_used[name] / self.usable(name)


class EstateMismatchError(RuntimeError):
    """moto's AvailableIpAddressCount disagrees with what the seeding consumed."""


def moto_client_factory(endpoint_url: str | None, region: str = "us-east-1") -> ClientFactory:
    """Clients with fake credentials; ``endpoint_url=None`` for in-process ``mock_aws``."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    cache: dict[str, BaseClient] = {}

    def make_client(service_name: str) -> BaseClient:
        if service_name not in cache:
            cache[service_name] = session.client(service_name, endpoint_url=endpoint_url)
        return cache[service_name]

    return make_client


def hold_ecs_tasks_running(endpoint_url: str | None = None) -> None:
    """Stop moto from advancing ECS tasks on every DescribeTasks.

    moto registers ``ecs::task`` with ``{"progression": "manual", "times": 1}``: each DescribeTasks moves a
    task one state on (RUNNING -> DEACTIVATING -> STOPPING -> DEPROVISIONING -> STOPPED) while desiredStatus
    stays RUNNING. This pins them. It is process-global moto state: with ``endpoint_url=None`` it is set
    in-process (``mock_aws`` and a ``ThreadedMotoServer`` in this process); with a URL it is set over HTTP
    (a separate ``moto_server`` process). It outlives ``mock_aws``; undo it in tests with
    ``moto.moto_api.state_manager.unset_transition("ecs::task")``.
    """
    transition = {"progression": "manual", "times": 1_000_000_000}
    if endpoint_url is None:
        from moto.moto_api import state_manager  # noqa: PLC0415 - moto is a dev/demo dependency only

        state_manager.set_transition(model_name="ecs::task", transition=transition)
        return
    import urllib.request  # noqa: PLC0415

    body = json.dumps({"model_name": "ecs::task", "transition": transition}).encode()
    request = urllib.request.Request(
        f"{endpoint_url.rstrip('/')}/moto-api/state-manager/set-transition", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):  # loopback moto server
        pass


# ------------------------------------------------------------------------------------------------------
# Seeding
# ------------------------------------------------------------------------------------------------------


def seed_estate(make_client: ClientFactory) -> Estate:
    """Create the estate described in the module docstring and return what tests should expect."""
    started = time.perf_counter()
    seeder = _Seeder(make_client)
    seeder.network()
    seeder.ecs()
    seeder.eks()
    seeder.other_consumers()
    estate = seeder.estate()
    _verify(make_client("ec2"), estate)
    estate.seed_seconds = time.perf_counter() - started
    return estate


def _tags(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


class _AddressPool:
    """Hands out addresses from the top of a subnet downwards.

    moto gives instances addresses from the bottom (.4, .5, ...) and does not record the addresses we choose
    for ENIs, so taking ours from the top keeps every address inside the CIDR and unique.
    """

    def __init__(self, cidr: str) -> None:
        net = ipaddress.IPv4Network(cidr)
        self._low = int(net.network_address) + 4  # first address moto gives an instance
        self._next = int(net.broadcast_address) - 1

    def take(self, count: int) -> list[str]:
        if self._next - count + 1 < self._low:
            raise ValueError("address pool exhausted")
        addresses = [str(ipaddress.IPv4Address(self._next - i)) for i in range(count)]
        self._next -= count
        return addresses

    def take_one_per_block(self, block: int = 16) -> list[str]:
        """One address from the middle of every aligned ``block`` still wholly free: how secondary-IP
        mode scatters a node subnet. Holes are not tracked, so this is the pool's last use."""
        first = -(-self._low // block) * block
        return [
            str(ipaddress.IPv4Address(base + block // 2))
            for base in range(first, self._next - block + 2, block)
            if base + block - 1 <= self._next
        ]

    def reserve_bottom(self, count: int) -> None:
        """Instances about to be launched by moto take the next ``count`` addresses from the bottom."""
        if self._low + count - 1 > self._next:
            raise ValueError("address pool exhausted")
        self._low += count


class _Seeder:
    def __init__(self, make_client: ClientFactory) -> None:
        self.ec2 = make_client("ec2")
        self.autoscaling = make_client("autoscaling")
        self.ecs_client = make_client("ecs")
        self.eks_client = make_client("eks")
        self.region: str = self.ec2.meta.region_name
        self.account_id = ""
        self.vpc_id = ""
        self.azs: tuple[str, ...] = ()
        self.ids: dict[str, str] = {}
        self.subnet_tags: dict[str, dict[str, str]] = {}
        self.pools = {s.name: _AddressPool(s.cidr) for s in SUBNETS}
        self.used: Counter[str] = Counter()
        self.workloads: dict[str, set[Workload]] = {s.name: set() for s in SUBNETS}
        self.security_groups: dict[str, str] = {}
        self.services: list[str] = []
        self.task_arns: list[str] = []
        self.nodegroups: list[str] = []
        self.fargate_profiles: list[str] = []
        self.nodegroup_instances: dict[str, list[str]] = {}

    # --- building blocks --------------------------------------------------------------------------
    def eni(
        self,
        subnet: str,
        description: str,
        *,
        addresses: int = 1,
        ips: list[str] | None = None,
        tags: Mapping[str, str] | None = None,
        security_group: str | None = None,
        in_use: bool = True,
    ) -> str:
        """An ENI with ``addresses`` private IPv4 addresses (1 primary + secondaries), IPs inside the CIDR.

        Real task, Fargate, control-plane and Lambda ENIs are attached to hosts AWS manages, so they
        read ``in-use``; moto has no API for that without an instance of ours, so the status is set in
        moto's in-process backend (the demo's server and ``mock_aws`` both run in this process).
        ``in_use=False`` leaves an ENI ``available``: held by nothing, as a leaked one is."""
        ips = ips or self.pools[subnet].take(addresses)
        addresses = len(ips)
        kwargs: dict[str, Any] = {
            "SubnetId": self.ids[subnet],
            "Description": description,
            "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": i == 0} for i, ip in enumerate(ips)],
        }
        if tags:
            kwargs["TagSpecifications"] = _tags("network-interface", tags)
        if security_group:
            kwargs["Groups"] = [security_group]
        eni_id: str = self.ec2.create_network_interface(**kwargs)["NetworkInterface"]["NetworkInterfaceId"]
        self.used[subnet] += addresses
        if in_use:
            from moto.ec2.models import ec2_backends  # noqa: PLC0415 - moto is a demo/test dependency only

            ec2_backends[self.account_id][self.region].get_network_interface(eni_id).status = "in-use"
        return eni_id

    def instances(
        self,
        subnet: str,
        count: int,
        instance_type: str,
        tags: Mapping[str, str],
        launch_template_id: str | None = None,
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "MinCount": count,
            "MaxCount": count,
            "SubnetId": self.ids[subnet],
            "TagSpecifications": _tags("instance", tags),
        }
        if launch_template_id:
            kwargs["LaunchTemplate"] = {"LaunchTemplateId": launch_template_id, "Version": "$Latest"}
        else:
            kwargs.update(ImageId=FAKE_AMI, InstanceType=instance_type)
        self.pools[subnet].reserve_bottom(count)
        launched: list[dict[str, Any]] = self.ec2.run_instances(**kwargs)["Instances"]
        self.used[subnet] += count  # one primary ENI / address each
        return launched

    def secondary_ips(self, subnet: str, eni_id: str, count: int) -> None:
        self.ec2.assign_private_ip_addresses(
            NetworkInterfaceId=eni_id, PrivateIpAddresses=self.pools[subnet].take(count)
        )
        self.used[subnet] += count

    # --- network ----------------------------------------------------------------------------------
    def network(self) -> None:
        zones = self.ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])
        self.azs = tuple(sorted(z["ZoneName"] for z in zones["AvailabilityZones"])[:3])
        vpc = self.ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=_tags("vpc", {"Name": "prod"}))["Vpc"]
        self.vpc_id = vpc["VpcId"]
        # Real EKS needs DNS hostnames; moto's run_task fails without them (it names the task ENI from them).
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsHostnames={"Value": True})
        for spec in SUBNETS:
            tags = {"Name": f"prod-{spec.name}", **spec.tags}
            subnet = self.ec2.create_subnet(
                VpcId=self.vpc_id,
                CidrBlock=spec.cidr,
                AvailabilityZone=self.azs[spec.az],
                TagSpecifications=_tags("subnet", tags),
            )["Subnet"]
            self.ids[spec.name] = subnet["SubnetId"]
            self.subnet_tags[spec.name] = tags
        for name, description in (
            ("payments-tasks", "awsvpc tasks of the payments cluster"),
            ("eks-cluster-platform", "EKS created security group applied to ENI attached to EKS Control Plane"),
            ("eks-nodes-platform", "platform worker nodes"),
            ("vpc-endpoints", "interface endpoints"),
            ("lambda", "VPC Lambda functions"),
        ):
            self.security_groups[name] = self.ec2.create_security_group(
                GroupName=name, Description=description, VpcId=self.vpc_id
            )["GroupId"]

    # --- ECS --------------------------------------------------------------------------------------
    def ecs(self) -> None:
        self.ecs_capacity()
        self.ecs_services()
        self.ecs_standalone_task()

    def ecs_capacity(self) -> None:
        template = self.ec2.create_launch_template(
            LaunchTemplateName="payments-ecs",
            LaunchTemplateData={
                "ImageId": FAKE_AMI,
                "InstanceType": "m5.large",
                "TagSpecifications": _tags("instance", {"Name": "payments-ecs", "AmazonECSManaged": ""}),
            },
        )["LaunchTemplate"]
        subnets = ["ecs-instances-a", "ecs-instances-b", "ecs-instances-c"]
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=ECS_ASG,
            LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "$Latest"},
            MinSize=0,
            MaxSize=12,
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(self.ids[s] for s in subnets),
            Tags=[{"Key": "AmazonECSManaged", "Value": "", "PropagateAtLaunch": True}],
        )
        # moto's ASG puts every instance in the first subnet; launch one per AZ and attach them instead.
        launched = [
            self.instances(
                s, 1, "m5.large", {"Name": "payments-ecs", "AmazonECSManaged": ""}, template["LaunchTemplateId"]
            )[0]
            for s in subnets
        ]
        self.autoscaling.attach_instances(AutoScalingGroupName=ECS_ASG, InstanceIds=[i["InstanceId"] for i in launched])
        self.autoscaling.update_auto_scaling_group(AutoScalingGroupName=ECS_ASG, MinSize=3)
        asg_arn = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[ECS_ASG])["AutoScalingGroups"][
            0
        ]["AutoScalingGroupARN"]
        self.ecs_client.create_capacity_provider(
            name=ECS_CAPACITY_PROVIDER,
            autoScalingGroupProvider={
                "autoScalingGroupArn": asg_arn,
                "managedScaling": {"status": "ENABLED", "targetCapacity": 100},
                "managedTerminationProtection": "DISABLED",
            },
        )
        cluster = self.ecs_client.create_cluster(
            clusterName=ECS_CLUSTER,
            capacityProviders=[ECS_CAPACITY_PROVIDER, "FARGATE", "FARGATE_SPOT"],
            defaultCapacityProviderStrategy=[{"capacityProvider": ECS_CAPACITY_PROVIDER, "weight": 1, "base": 0}],
        )["cluster"]
        self.account_id = cluster["clusterArn"].split(":")[4]
        for instance in launched:
            self.ecs_client.register_container_instance(
                cluster=ECS_CLUSTER, instanceIdentityDocument=json.dumps(self.identity_document(instance))
            )
        for s in subnets:
            self.workloads[s].add(Workload(KIND_ECS_CAPACITY_PROVIDER, ECS_CLUSTER, ECS_CAPACITY_PROVIDER))

    def identity_document(self, instance: Mapping[str, Any]) -> dict[str, Any]:
        """Same shape as moto.ec2.utils.generate_instance_identity_document, built from DescribeInstances data
        (that helper wants moto's model object, which a client of a separate moto server does not have)."""
        return {
            "devpayProductCodes": None,
            "availabilityZone": instance["Placement"]["AvailabilityZone"],
            "privateIp": instance["PrivateIpAddress"],
            "version": "2017-09-30",
            "region": self.region,
            "instanceId": instance["InstanceId"],
            "billingProducts": None,
            "instanceType": instance["InstanceType"],
            "accountId": self.account_id,
            "pendingTime": "2026-01-05T08:00:00Z",
            "imageId": instance["ImageId"],
            "kernelId": None,
            "ramdiskId": None,
            "architecture": "x86_64",
        }

    def ecs_task_eni(self, subnet: str, service: str | None) -> str:
        """A task ENI as ECS creates it: the attachment ARN as description, ECS managed tags."""
        tags = {"aws:ecs:clusterName": ECS_CLUSTER}
        if service:
            tags["aws:ecs:serviceName"] = service
        description = f"arn:aws:ecs:{self.region}:{self.account_id}:attachment/{uuid.uuid4()}"
        return self.eni(subnet, description, tags=tags, security_group=self.security_groups["payments-tasks"])

    def ecs_services(self) -> None:
        sg = self.security_groups["payments-tasks"]
        for family, compat, cpu, memory in (
            ("ledger-api", "EC2", "512", "1024"),
            ("payouts-worker", "EC2", "256", "512"),
            ("checkout-web", "FARGATE", "512", "1024"),
            ("settlement-batch", "FARGATE", "1024", "2048"),
        ):
            self.ecs_client.register_task_definition(
                family=family,
                networkMode="awsvpc",
                requiresCompatibilities=[compat],
                cpu=cpu,
                memory=memory,
                # moto's RunTask sums container-level cpu/memory (500 without them), so set both.
                containerDefinitions=[
                    {
                        "name": family,
                        "image": f"payments/{family}:1.42.0",
                        "cpu": int(cpu),
                        "memory": int(memory),
                        "essential": True,
                    }
                ],
            )
        # (service, launch type, desired count, {subnet: tasks running there})
        plan = (
            ("ledger-api", "EC2", 24, {"ecs-tasks-a": 12, "ecs-tasks-b": 12}),
            ("payouts-worker", "EC2", 24, {"ecs-tasks-a": 24}),
            ("checkout-web", "FARGATE", 36, {"ecs-fargate-a": 22, "ecs-fargate-b": 14}),
        )
        for service, launch_type, desired, spread in plan:
            self.ecs_client.create_service(
                cluster=ECS_CLUSTER,
                serviceName=service,
                taskDefinition=service,
                desiredCount=desired,
                launchType=launch_type,
                enableECSManagedTags=True,
                propagateTags="SERVICE",
                networkConfiguration={
                    "awsvpcConfiguration": {"subnets": [self.ids[s] for s in spread], "securityGroups": [sg]}
                },
            )
            self.services.append(service)
            # moto's services never start tasks, so their ENIs are created here as ECS would.
            for subnet, count in spread.items():
                for _ in range(count):
                    self.ecs_task_eni(subnet, service)
                self.workloads[subnet].add(Workload(KIND_ECS_SERVICE, ECS_CLUSTER, service))

    def ecs_standalone_task(self) -> None:
        """A scheduled job via RunTask: moto creates its ENI (one address, in the first listed subnet)."""
        tasks = self.ecs_client.run_task(
            cluster=ECS_CLUSTER,
            taskDefinition="settlement-batch",
            launchType="FARGATE",
            count=2,
            startedBy="events-rule/nightly-settlement",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": [self.ids["ecs-tasks-a"], self.ids["ecs-tasks-b"]],
                    "securityGroups": [self.security_groups["payments-tasks"]],
                }
            },
        )["tasks"]
        for task in tasks:
            self.task_arns.append(task["taskArn"])
            attachment = task["attachments"][0]
            details = {d["name"]: d["value"] for d in attachment["details"]}
            # moto describes the ENI as "moto ECS"; give it the real shape (attachment ARN, managed tags).
            self.ec2.modify_network_interface_attribute(
                NetworkInterfaceId=details["networkInterfaceId"],
                Description={"Value": f"arn:aws:ecs:{self.region}:{self.account_id}:attachment/{attachment['id']}"},
            )
            self.ec2.create_tags(
                Resources=[details["networkInterfaceId"]], Tags=[{"Key": "aws:ecs:clusterName", "Value": ECS_CLUSTER}]
            )
            self.used["ecs-tasks-a"] += 1
        self.workloads["ecs-tasks-a"].add(Workload(KIND_ECS_TASK, ECS_CLUSTER, "settlement-batch"))

    # --- EKS --------------------------------------------------------------------------------------
    def eks(self) -> None:
        role = f"arn:aws:iam::{self.account_id}:role"
        control_plane = ["eks-control-plane-a", "eks-control-plane-b", "eks-control-plane-c"]
        self.eks_client.create_cluster(
            name=EKS_CLUSTER,
            version="1.31",
            roleArn=f"{role}/platform-eks-cluster",
            resourcesVpcConfig={
                "subnetIds": [self.ids[s] for s in control_plane],
                "securityGroupIds": [self.security_groups["eks-cluster-platform"]],
                "endpointPrivateAccess": True,
                "endpointPublicAccess": False,
            },
        )
        # Cross-account control-plane ENIs: EKS keeps 2-4 of them, described "Amazon EKS <cluster>".
        for subnet, count in (("eks-control-plane-a", 2), ("eks-control-plane-b", 2)):
            for _ in range(count):
                self.eni(
                    subnet, f"Amazon EKS {EKS_CLUSTER}", security_group=self.security_groups["eks-cluster-platform"]
                )
        for subnet in control_plane:
            self.workloads[subnet].add(Workload(KIND_EKS_CLUSTER, EKS_CLUSTER, EKS_CLUSTER))

        # (node group, subnets, instance types, capacity type, scaling, {subnet: [per node: addresses per ENI]})
        # An ENI's address count = its primary + the VPC CNI's secondary IPs (m5.xlarge: 4 ENIs x 15 IPv4).
        general_node = [15, 15, 13]  # primary ENI (node IP + 14 pod IPs), two aws-K8S ENIs
        plan = (
            (
                "general",
                ["eks-nodes-a", "eks-nodes-b"],
                ["m5.xlarge"],
                "ON_DEMAND",
                (3, 12, 8),
                {"eks-nodes-a": [[15, 15, 10]] * 3, "eks-nodes-b": [general_node] * 5},
            ),
            (
                "batch",
                ["eks-nodes-c"],
                ["c5.2xlarge", "c5a.2xlarge"],
                "SPOT",
                (0, 20, 2),
                {"eks-nodes-c": [[15, 15]] * 2},
            ),
        )
        for nodegroup, subnets, types, capacity, (lo, hi, desired), nodes in plan:
            created = self.eks_client.create_nodegroup(
                clusterName=EKS_CLUSTER,
                nodegroupName=nodegroup,
                subnets=[self.ids[s] for s in subnets],
                nodeRole=f"{role}/platform-eks-node",
                scalingConfig={"minSize": lo, "maxSize": hi, "desiredSize": desired},
                instanceTypes=types,
                capacityType=capacity,
                labels={"workload": nodegroup},
            )["nodegroup"]
            self.nodegroups.append(nodegroup)
            asg_names = [a["name"] for a in created.get("resources", {}).get("autoScalingGroups", [])]
            tags = {
                "Name": f"{EKS_CLUSTER}-{nodegroup}",
                "eks:cluster-name": EKS_CLUSTER,
                "eks:nodegroup-name": nodegroup,
                f"kubernetes.io/cluster/{EKS_CLUSTER}": "owned",
                f"k8s.io/cluster-autoscaler/{EKS_CLUSTER}": "owned",
            }
            if asg_names:
                tags["aws:autoscaling:groupName"] = asg_names[0]
            for subnet, enis_per_node in nodes.items():
                self.eks_nodes(subnet, types[0], tags, enis_per_node)
                self.workloads[subnet].add(Workload(KIND_EKS_NODEGROUP, EKS_CLUSTER, nodegroup))

        # Self-managed GPU nodes: no node group; found only through the kubernetes.io/cluster tag.
        self_managed_tags = {
            "Name": f"{EKS_CLUSTER}-gpu-selfmanaged",
            f"kubernetes.io/cluster/{EKS_CLUSTER}": "owned",
            "aws:autoscaling:groupName": f"{EKS_CLUSTER}-gpu-selfmanaged",
        }
        self.eks_nodes("eks-selfmanaged-c", "g5.xlarge", self_managed_tags, [[10, 5]] * 2)
        self.workloads["eks-selfmanaged-c"].add(Workload(KIND_EKS_SELF_MANAGED, EKS_CLUSTER, "gpu-selfmanaged"))

        fargate = {"eks-fargate-a": 31, "eks-fargate-b": 9}
        self.eks_client.create_fargate_profile(
            clusterName=EKS_CLUSTER,
            fargateProfileName="serverless",
            podExecutionRoleArn=f"{role}/platform-fargate-pod-execution",
            subnets=[self.ids[s] for s in fargate],
            selectors=[{"namespace": "serverless"}, {"namespace": "jobs", "labels": {"compute": "fargate"}}],
        )
        self.fargate_profiles.append("serverless")
        for subnet, pods in fargate.items():
            for _ in range(pods):
                # One ENI per Fargate pod. The real description of these ENIs is not verified: left blank.
                self.eni(subnet, "", security_group=self.security_groups["eks-cluster-platform"])
            self.workloads[subnet].add(Workload(KIND_EKS_FARGATE_PROFILE, EKS_CLUSTER, "serverless"))

    def eks_nodes(self, subnet: str, instance_type: str, tags: Mapping[str, str], nodes: Iterable[list[int]]) -> None:
        """Worker nodes with VPC CNI (secondary-IP mode) addresses: ``nodes`` gives, per node, the address count
        of each ENI (first = the instance's primary ENI, the rest = aws-K8S-<instance> ENIs)."""
        nodes = list(nodes)
        launched = self.instances(subnet, len(nodes), instance_type, tags)
        self.nodegroup_instances.setdefault(subnet, []).extend(i["InstanceId"] for i in launched)
        created_at = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for instance, enis in zip(launched, nodes, strict=True):
            instance_id = instance["InstanceId"]
            primary = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
            if enis[0] > 1:
                self.secondary_ips(subnet, primary, enis[0] - 1)
            for device_index, addresses in enumerate(enis[1:], start=1):
                eni_id = self.eni(
                    subnet,
                    f"aws-K8S-{instance_id}",
                    addresses=addresses,
                    tags={
                        "node.k8s.amazonaws.com/instance_id": instance_id,
                        "node.k8s.amazonaws.com/createdAt": created_at,
                        "cluster.k8s.amazonaws.com/name": EKS_CLUSTER,
                    },
                    security_group=self.security_groups["eks-nodes-platform"],
                )
                self.ec2.attach_network_interface(
                    NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=device_index
                )

    # --- consumers that are not clusters ----------------------------------------------------------
    def lambda_enis(self, subnet: str, function: str, count: int) -> None:
        for _ in range(count):
            self.eni(
                subnet, f"AWS Lambda VPC ENI-{function}-{uuid.uuid4()}", security_group=self.security_groups["lambda"]
            )

    def other_consumers(self) -> None:
        allocation = self.ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = self.ec2.create_nat_gateway(
            SubnetId=self.ids["public-a"],
            AllocationId=allocation,
            TagSpecifications=_tags("natgateway", {"Name": "prod-nat-a"}),
        )["NatGateway"]
        self.used["public-a"] += 1
        # moto leaves the NAT gateway's ENI undescribed (and picks its IP outside the CIDR); describe it as AWS does.
        self.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=nat["NatGatewayAddresses"][0]["NetworkInterfaceId"],
            Description={"Value": f"Interface for NAT Gateway {nat['NatGatewayId']}"},
        )
        for service in ("ecr.api", "ecr.dkr", "logs", "sts", "ssm"):
            endpoint = self.ec2.create_vpc_endpoint(
                VpcId=self.vpc_id,
                ServiceName=f"com.amazonaws.{self.region}.{service}",
                VpcEndpointType="Interface",
                SubnetIds=[self.ids["shared-services-a"]],
                SecurityGroupIds=[self.security_groups["vpc-endpoints"]],
                PrivateDnsEnabled=True,
            )["VpcEndpoint"]
            for eni_id in endpoint["NetworkInterfaceIds"]:
                self.ec2.modify_network_interface_attribute(
                    NetworkInterfaceId=eni_id,
                    Description={"Value": f"VPC Endpoint Interface {endpoint['VpcEndpointId']}"},
                )
                self.used["shared-services-a"] += 1
        # Leaked task ENIs: a task that stopped while ECS could not delete its interface leaves it
        # "available", holding an address nothing uses (the consumers table calls them detached).
        for _ in range(8):
            description = f"arn:aws:ecs:{self.region}:{self.account_id}:attachment/{uuid.uuid4()}"
            self.eni("ecs-tasks-b", description, in_use=False)
        self.lambda_enis("shared-services-a", "platform-notifier", 2)
        self.lambda_enis("ecs-fargate-a", "fraud-score", 3)  # a neighbour eating a task subnet
        self.lambda_enis("data-b", "orders-etl", 4)
        # The "general" node group ran in secondary-IP mode: its pods' addresses are scattered, so
        # after the switch to prefix delegation eks-nodes-b has free addresses but no free /28.
        node = self.nodegroup_instances["eks-nodes-b"][0]
        self.eni(
            "eks-nodes-b",
            f"aws-K8S-{node}",
            ips=self.pools["eks-nodes-b"].take_one_per_block(),
            tags={"node.k8s.amazonaws.com/instance_id": node, "cluster.k8s.amazonaws.com/name": EKS_CLUSTER},
        )
        self.instances("data-b", 3, "r6i.large", {"Name": "data-airflow-worker", "team": "data"})

    def estate(self) -> Estate:
        return Estate(
            region=self.region,
            account_id=self.account_id,
            vpc_id=self.vpc_id,
            availability_zones=self.azs,
            subnet_ids=dict(self.ids),
            cidrs={s.name: s.cidr for s in SUBNETS},
            roles={s.name: s.roles for s in SUBNETS},
            workloads={name: frozenset(w) for name, w in self.workloads.items()},
            tags={name: dict(t) for name, t in self.subnet_tags.items()},
            expected_used={s.name: self.used[s.name] for s in SUBNETS},
            ecs_services=tuple(self.services),
            ecs_standalone_task_arns=tuple(self.task_arns),
            eks_nodegroups=tuple(self.nodegroups),
            eks_fargate_profiles=tuple(self.fargate_profiles),
        )


def _verify(ec2: BaseClient, estate: Estate) -> None:
    found = ec2.describe_subnets(SubnetIds=list(estate.subnet_ids.values()))["Subnets"]
    available = {s["SubnetId"]: s["AvailableIpAddressCount"] for s in found}
    wrong = {
        name: (available[sid], estate.expected_available(name))
        for name, sid in estate.subnet_ids.items()
        if available[sid] != estate.expected_available(name)
    }
    if wrong:
        raise EstateMismatchError(f"AvailableIpAddressCount (moto, expected) differs: {wrong}")
