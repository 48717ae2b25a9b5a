"""Who holds the addresses of a subnet: classify every ENI address by consumer. Pure: no AWS, no I/O.

Input is ``ec2:DescribeNetworkInterfaces`` items exactly as boto3 returns them. One pass gives,
per subnet, the addresses each consumer holds (``consumers`` in the report) and the addresses and
prefixes in use (what :mod:`subnet_monitor.core.fragmentation` needs).

Counting: every ENI's primary address counts 1, every secondary address 1, every delegated IPv4
prefix its size (16 for a /28). IPv6 is not counted: subnets run out of IPv4.

Classification, first rule that matches wins. The shapes come from AWS documentation, the VPC CNI
source, and describe-network-interfaces captures published on GitHub (cited per rule):

1. ``Status == "available"`` → ``detached``: the ENI is attached to nothing, yet keeps its
   addresses. Wins over everything else, since it is what to clean up.
2. The instance's primary ENI (``Attachment.DeviceIndex == 0`` on an instance, not requester
   managed) → ``ec2_instance_primary`` for its primary address. Its secondary addresses and
   prefixes are pod addresses (``eks_node_pod``) when the instance is a VPC CNI node — the VPC CNI
   hands out the primary ENI's secondary addresses and prefixes first — otherwise they stay with
   the instance.
3. ``InterfaceType == "trunk"``: description ``aws-k8s-trunk-eni`` is the EKS VPC resource
   controller's trunk (security groups for pods) → ``eks_node_pod``; otherwise the ECS trunk
   (``awsvpcTrunking``, whose description is an ECS attachment ARN) → ``ecs_trunk``.
4. VPC CNI ENIs (description ``aws-K8S-<instance-id>``, tag ``node.k8s.amazonaws.com/instance_id``,
   or the branch ENIs ``aws-k8s-branch-eni``) → ``eks_node_pod``.
5. Description ``arn:aws:ecs:<region>:<account>:attachment/<uuid>`` → ``ecs_task`` (awsvpc tasks,
   EC2 or Fargate).
6. EKS Fargate pods → ``eks_fargate``; the EKS control plane's cross-account ENIs (description
   ``Amazon EKS <cluster>``) → ``eks_control_plane``.
7. Load balancers, Lambda, interface VPC endpoints, NAT gateways by ``InterfaceType`` or
   description → their own category.
8. Anything else an AWS service manages (``RequesterManaged``, an AWS-managed ``InterfaceType``,
   or a known service description such as ``RDSNetworkInterface``) → ``other_aws_service``.
9. Everything left → ``other``.

Longer than ~400 lines because the classification rules above and their per-rule sources are one
table a reader checks against AWS captures; the code after them is short.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Consumer categories: stable snake_case keys of the report's ``consumers`` object.
ECS_TASK = "ecs_task"
ECS_TRUNK = "ecs_trunk"
EC2_INSTANCE_PRIMARY = "ec2_instance_primary"
EKS_NODE_POD = "eks_node_pod"
EKS_CONTROL_PLANE = "eks_control_plane"
EKS_FARGATE = "eks_fargate"
LOAD_BALANCER = "load_balancer"
LAMBDA = "lambda"
VPC_ENDPOINT = "vpc_endpoint"
NAT_GATEWAY = "nat_gateway"
OTHER_AWS_SERVICE = "other_aws_service"
DETACHED = "detached"
OTHER = "other"
# Not an ENI category: the addresses in use that no ENI the scan read explains (core/gaps.py).
UNATTRIBUTED = "unattributed"

# In the order a person reads them in a table.
CATEGORIES = (
    ECS_TASK,
    ECS_TRUNK,
    EC2_INSTANCE_PRIMARY,
    EKS_NODE_POD,
    EKS_CONTROL_PLANE,
    EKS_FARGATE,
    LOAD_BALANCER,
    LAMBDA,
    VPC_ENDPOINT,
    NAT_GATEWAY,
    OTHER_AWS_SERVICE,
    DETACHED,
    OTHER,
)
# What a report's ``consumers`` can hold: the ENI categories, then what they leave unexplained.
REPORT_CATEGORIES = (*CATEGORIES, UNATTRIBUTED)

# ENI Status values (EC2 API NetworkInterfaceStatus: available | associated | attaching | in-use |
# detaching). "available" means attached to nothing.
STATUS_AVAILABLE = "available"

# The primary network interface of an instance is device index 0.
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-eni.html
PRIMARY_DEVICE_INDEX = 0

# VPC CNI (amazon-vpc-cni-k8s, pkg/awsutils/awsutils.go): eniDescriptionPrefix = "aws-K8S-" (the
# description is the prefix + instance ID), eniNodeTagKey = "node.k8s.amazonaws.com/instance_id",
# eniClusterTagKey = "cluster.k8s.amazonaws.com/name".
VPC_CNI_DESCRIPTION_PREFIX = "aws-K8S-"
VPC_CNI_NODE_TAG = "node.k8s.amazonaws.com/instance_id"
VPC_CNI_CLUSTER_TAG = "cluster.k8s.amazonaws.com/name"
# Security groups for pods: "The VPC resource controller creates and attaches one special network
# interface called a trunk network interface with the description aws-k8s-trunk-eni" and branch
# interfaces "aws-k8s-branch-eni". https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html
EKS_TRUNK_DESCRIPTION = "aws-k8s-trunk-eni"
EKS_BRANCH_DESCRIPTION = "aws-k8s-branch-eni"

# ECS awsvpc task ENIs (and the ECS trunk ENI) carry the ECS attachment ARN as description,
# e.g. "arn:aws:ecs:eu-central-1:123456789012:attachment/f6d9fc22-dbaf-4bff-b501-a41b41f27826".
# Partitions: aws, aws-cn, aws-us-gov, ...
_ECS_ATTACHMENT = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]*:\d*:attachment/")

# "Amazon EKS creates cross-account elastic network interfaces in these subnets to allow
# communication between your nodes and the Kubernetes control plane" (EKS API, VpcConfigRequest,
# https://docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html). Their description
# is "Amazon EKS <cluster>", RequesterManaged true, attached to an EKS-owned instance at device 1
# (capture: github.com/mlewis7127/amazon-eks-guide-code, docs/3.eks-setup/auto-mode-overview.md).
EKS_CONTROL_PLANE_DESCRIPTION_PREFIX = "Amazon EKS "
# EKS Fargate pods: not confirmed against a published capture; matched on a description naming
# both EKS and Fargate so that the rule cannot swallow ECS Fargate task ENIs (rule 5 runs first).
_EKS_FARGATE = re.compile(r"\beks\b.*\bfargate\b|\bfargate\b.*\beks\b", re.IGNORECASE)

# Load balancers: description "ELB app/<name>/<id>" (ALB), "ELB net/<name>/<id>" (NLB),
# "ELB gwy/<name>/<id>" (GWLB), "ELB <name>" (Classic).
ELB_DESCRIPTION_PREFIX = "ELB "
LAMBDA_DESCRIPTION_PREFIX = "AWS Lambda VPC ENI"
VPC_ENDPOINT_DESCRIPTION_PREFIX = "VPC Endpoint Interface"
NAT_GATEWAY_DESCRIPTION_PREFIX = "Interface for NAT Gateway"

# EC2 API NetworkInterfaceType values, grouped by consumer. The API model spells the NAT gateway
# type "natGateway"; describe-network-interfaces returns "nat_gateway". Accept both.
_LOAD_BALANCER_TYPES = frozenset({"load_balancer", "network_load_balancer", "gateway_load_balancer"})
_VPC_ENDPOINT_TYPES = frozenset({"vpc_endpoint", "gateway_load_balancer_endpoint"})
_NAT_GATEWAY_TYPES = frozenset({"nat_gateway", "natGateway"})
_LAMBDA_TYPES = frozenset({"lambda"})
_OTHER_SERVICE_TYPES = frozenset(
    {
        "transit_gateway",
        "quicksight",
        "global_accelerator_managed",
        "api_gateway_managed",
        "iot_rules_managed",
        "aws_codestar_connections_managed",
    }
)
# Interface types an instance can carry as its own ENI.
_INSTANCE_TYPES = frozenset({"interface", "efa", "efa-only"})
# Descriptions of other AWS services' ENIs, matched as prefixes. RequesterManaged catches most of
# them anyway; these catch the ones that are not flagged. "Resource Gateway Interface rgw-..." is
# from the EC2 guide's requester-managed example output; "RDSNetworkInterface" and "EFS mount
# target for fs-... (fsmt-...)" are the descriptions RDS and EFS give their ENIs.
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html
_OTHER_SERVICE_DESCRIPTIONS = ("RDSNetworkInterface", "EFS mount target", "Resource Gateway Interface")


@dataclass(frozen=True)
class EniAddresses:
    """One ENI's IPv4 addresses in use and who holds them.

    ``primary_category`` is the consumer of the primary address; ``secondary_category`` of the
    secondary addresses and delegated prefixes (they differ only on a VPC CNI node's primary
    ENI, where the node holds the primary address and pods the rest).
    """

    network_interface_id: str
    subnet_id: str
    primary_category: str
    secondary_category: str
    primary_ip: str | None
    secondary_ips: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def ips(self) -> tuple[str, ...]:
        """Primary and secondary addresses."""
        return ((self.primary_ip,) if self.primary_ip else ()) + self.secondary_ips

    def consumers(self) -> Counter[str]:
        """Addresses held, by category."""
        held: Counter[str] = Counter()
        if self.primary_ip:
            held[self.primary_category] += 1
        held[self.secondary_category] += len(self.secondary_ips) + sum(map(_prefix_size, self.prefixes))
        return +held  # drop zero counts


@dataclass(frozen=True)
class SubnetAddressUse:
    """Everything one pass over a subnet's ENIs learns: consumers, addresses and prefixes."""

    subnet_id: str
    consumers: Mapping[str, int] = field(default_factory=dict)
    ips: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def used_addresses(self) -> int:
        return sum(self.consumers.values())


# The parts of a DescribeNetworkInterfaces item that classification, address counting and the
# headroom model read. A page of 1,000 items is ~3.5 MB as botocore parses it (security groups, MAC,
# DNS names, owner and VPC IDs, IPv6...); kept whole, the 50,000 ENIs of 10,000 subnets would take
# most of a 256 MB function, so the reader keeps only these.
ENI_FIELDS = (
    "NetworkInterfaceId",
    "SubnetId",
    "Description",
    "InterfaceType",
    "Status",
    "RequesterManaged",
    "PrivateIpAddress",
    "TagSet",
    "Ipv4Prefixes",
)
ATTACHMENT_FIELDS = ("InstanceId", "DeviceIndex")
# The ENI_FIELDS whose values repeat from one ENI to the next (see slim_eni).
SHARED_FIELDS = ("SubnetId", "InterfaceType", "Status")


def slim_eni(eni: Mapping[str, Any]) -> dict[str, Any]:
    """The item with only what this module (and the headroom model) reads: same keys, same shapes.

    >>> slim = slim_eni({"SubnetId": "subnet-1", "MacAddress": "02:00", "Attachment": {"InstanceId": "i-1"},
    ...     "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5", "Primary": True, "PrivateDnsName": "ip"}]})
    >>> slim["SubnetId"], slim["Attachment"], slim["PrivateIpAddresses"], "MacAddress" in slim
    ('subnet-1', {'InstanceId': 'i-1'}, [{'PrivateIpAddress': '10.0.0.5', 'Primary': True}], False)
    """
    slim = {key: eni[key] for key in ENI_FIELDS if key in eni}
    # The parser makes a new string of every value; these repeat across thousands of ENIs (one
    # subnet's, one type, one status, a cluster's tags), so they are kept once each: some 20 MB of
    # the 50,000 ENIs of 10,000 subnets. Interned strings are freed with their last reference.
    for key in SHARED_FIELDS:
        if key in slim:
            slim[key] = _shared(slim[key])
    if slim.get("TagSet"):
        slim["TagSet"] = [{key: _shared(value) for key, value in tag.items()} for tag in slim["TagSet"]]
    if attachment := eni.get("Attachment"):
        slim["Attachment"] = {key: attachment[key] for key in ATTACHMENT_FIELDS if key in attachment}
    if "PrivateIpAddresses" in eni:
        slim["PrivateIpAddresses"] = [
            {key: entry[key] for key in ("PrivateIpAddress", "Primary") if key in entry}
            for entry in eni["PrivateIpAddresses"] or ()
        ]
    return slim


def _shared(value: Any) -> Any:
    return sys.intern(value) if isinstance(value, str) else value


def _prefix_size(prefix: str) -> int:
    return ipaddress.IPv4Network(prefix, strict=False).num_addresses


def _tags(eni: Mapping[str, Any]) -> dict[str, str]:
    return {tag.get("Key", ""): tag.get("Value", "") for tag in eni.get("TagSet") or ()}


def _attachment(eni: Mapping[str, Any]) -> Mapping[str, Any]:
    return eni.get("Attachment") or {}


def _is_vpc_cni_eni(description: str, tags: Mapping[str, str]) -> bool:
    return (
        description.startswith(VPC_CNI_DESCRIPTION_PREFIX)
        or description in (EKS_TRUNK_DESCRIPTION, EKS_BRANCH_DESCRIPTION)
        or VPC_CNI_NODE_TAG in tags
        or VPC_CNI_CLUSTER_TAG in tags
    )


def vpc_cni_instances(enis: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Instance IDs that the VPC CNI (or the EKS VPC resource controller) manages ENIs for.

    Read from the CNI's own ENIs: the ``node.k8s.amazonaws.com/instance_id`` tag, the instance ID
    in an ``aws-K8S-<instance-id>`` description, and the instance such an ENI is attached to.
    """
    instances: set[str] = set()
    for eni in enis:
        description = eni.get("Description") or ""
        tags = _tags(eni)
        if not _is_vpc_cni_eni(description, tags):
            continue
        if tags.get(VPC_CNI_NODE_TAG):
            instances.add(tags[VPC_CNI_NODE_TAG])
        if description.startswith(VPC_CNI_DESCRIPTION_PREFIX + "i-"):
            instances.add(description.removeprefix(VPC_CNI_DESCRIPTION_PREFIX))
        if _attachment(eni).get("InstanceId"):
            instances.add(_attachment(eni)["InstanceId"])
    return frozenset(instances)


def _service_category(eni: Mapping[str, Any], description: str) -> str | None:
    """Rules 6-8: the AWS service that owns the ENI, or None."""
    interface_type = eni.get("InterfaceType") or ""
    if _EKS_FARGATE.search(description):
        return EKS_FARGATE
    if description.startswith(EKS_CONTROL_PLANE_DESCRIPTION_PREFIX):
        return EKS_CONTROL_PLANE
    if interface_type in _LOAD_BALANCER_TYPES or description.startswith(ELB_DESCRIPTION_PREFIX):
        return LOAD_BALANCER
    if interface_type in _LAMBDA_TYPES or description.startswith(LAMBDA_DESCRIPTION_PREFIX):
        return LAMBDA
    if interface_type in _VPC_ENDPOINT_TYPES or description.startswith(VPC_ENDPOINT_DESCRIPTION_PREFIX):
        return VPC_ENDPOINT
    if interface_type in _NAT_GATEWAY_TYPES or description.startswith(NAT_GATEWAY_DESCRIPTION_PREFIX):
        return NAT_GATEWAY
    if (
        eni.get("RequesterManaged")
        or interface_type in _OTHER_SERVICE_TYPES
        or description.startswith(_OTHER_SERVICE_DESCRIPTIONS)
    ):
        return OTHER_AWS_SERVICE
    return None


def classify(eni: Mapping[str, Any], *, cni_instances: Collection[str] = ()) -> tuple[str, str]:
    """The consumers of one ENI's (primary address, secondary addresses and prefixes).

    Parameters
    ----------
    eni
        One ``DescribeNetworkInterfaces`` item.
    cni_instances
        Instance IDs known to be VPC CNI nodes (see :func:`vpc_cni_instances`); decides who holds
        the secondary addresses of an instance's primary ENI.
    """
    description = eni.get("Description") or ""
    tags = _tags(eni)
    attachment = _attachment(eni)
    interface_type = eni.get("InterfaceType") or "interface"

    if eni.get("Status") == STATUS_AVAILABLE:
        return DETACHED, DETACHED
    if (
        attachment.get("InstanceId")
        and attachment.get("DeviceIndex") == PRIMARY_DEVICE_INDEX
        and not eni.get("RequesterManaged")
        and interface_type in _INSTANCE_TYPES
    ):
        # Prefixes on a primary ENI are the VPC CNI's prefix mode: it fills the primary ENI first.
        pods = attachment["InstanceId"] in cni_instances or bool(eni.get("Ipv4Prefixes")) or VPC_CNI_NODE_TAG in tags
        return EC2_INSTANCE_PRIMARY, EKS_NODE_POD if pods else EC2_INSTANCE_PRIMARY
    if interface_type == "trunk":
        category = EKS_NODE_POD if description == EKS_TRUNK_DESCRIPTION else ECS_TRUNK
        return category, category
    if _is_vpc_cni_eni(description, tags):
        return EKS_NODE_POD, EKS_NODE_POD
    if _ECS_ATTACHMENT.match(description):
        return ECS_TASK, ECS_TASK
    category = _service_category(eni, description) or OTHER
    return category, category


def _private_ips(eni: Mapping[str, Any]) -> tuple[str | None, tuple[str, ...]]:
    """(primary, secondaries) from ``PrivateIpAddresses``, falling back to ``PrivateIpAddress``."""
    primary: str | None = None
    secondaries: list[str] = []
    for entry in eni.get("PrivateIpAddresses") or ():
        address = entry.get("PrivateIpAddress")
        if not address:
            continue
        if entry.get("Primary") and primary is None:
            primary = address
        else:
            secondaries.append(address)
    if primary is None and not secondaries:
        primary = eni.get("PrivateIpAddress") or None
    return primary, tuple(secondaries)


def eni_addresses(eni: Mapping[str, Any], *, cni_instances: Collection[str] = ()) -> EniAddresses:
    """One ENI's addresses in use, with their consumers (see :func:`classify`)."""
    primary_category, secondary_category = classify(eni, cni_instances=cni_instances)
    primary, secondaries = _private_ips(eni)
    prefixes = tuple(p["Ipv4Prefix"] for p in eni.get("Ipv4Prefixes") or () if p.get("Ipv4Prefix"))
    return EniAddresses(
        network_interface_id=eni.get("NetworkInterfaceId", ""),
        subnet_id=eni.get("SubnetId", ""),
        primary_category=primary_category,
        secondary_category=secondary_category,
        primary_ip=primary,
        secondary_ips=secondaries,
        prefixes=prefixes,
    )


def addresses_in_use(enis: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Every IPv4 address and every IPv4 prefix the ENIs hold: ``(ips, prefixes)``.

    This is the input :func:`subnet_monitor.core.fragmentation.prefix_space` needs.
    """
    ips: list[str] = []
    prefixes: list[str] = []
    for eni in enis:
        primary, secondaries = _private_ips(eni)
        ips.extend(((primary,) if primary else ()) + secondaries)
        prefixes.extend(p["Ipv4Prefix"] for p in eni.get("Ipv4Prefixes") or () if p.get("Ipv4Prefix"))
    return ips, prefixes


def addresses_by_instance(enis: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Addresses the ENIs attached to each instance hold: every private address 1, every delegated
    prefix its size (16 for a /28).

    >>> addresses_by_instance([{"Attachment": {"InstanceId": "i-1"}, "PrivateIpAddress": "10.0.0.5",
    ...     "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.0.16/28"}]}, {"PrivateIpAddress": "10.0.0.6"}])
    {'i-1': 17}
    """
    held: Counter[str] = Counter()
    for eni in enis:
        instance_id = _attachment(eni).get("InstanceId")
        if instance_id:
            primary, secondaries = _private_ips(eni)
            prefixes = (p["Ipv4Prefix"] for p in eni.get("Ipv4Prefixes") or () if p.get("Ipv4Prefix"))
            held[instance_id] += (primary is not None) + len(secondaries) + sum(map(_prefix_size, prefixes))
    return dict(held)


def _ordered(held: Counter[str]) -> dict[str, int]:
    """Known categories in table order, then any other key alphabetically; zeros dropped."""
    known = [c for c in CATEGORIES if held.get(c)]
    unknown = sorted(c for c in held if c not in CATEGORIES and held[c])
    return {c: held[c] for c in known + unknown}


def summarize_by_subnet(
    enis: Iterable[Mapping[str, Any]], *, cni_instances: Collection[str] | None = None
) -> dict[str, SubnetAddressUse]:
    """Consumers, addresses and prefixes per subnet, in one pass over the ENIs.

    Parameters
    ----------
    enis
        ``DescribeNetworkInterfaces`` items, any number of subnets.
    cni_instances
        VPC CNI node instance IDs. Default: derived from the same ENIs with
        :func:`vpc_cni_instances` (a node's CNI ENIs sit in the node's subnet unless custom
        networking moves them; pass the IDs explicitly when reading subnets separately).

    Returns
    -------
    dict
        ``{subnet_id: SubnetAddressUse}``; ``consumers`` holds only categories with addresses.
    """
    enis = list(enis)
    nodes = vpc_cni_instances(enis) if cni_instances is None else cni_instances
    held: dict[str, Counter[str]] = {}
    ips: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for eni in enis:
        use = eni_addresses(eni, cni_instances=nodes)
        held.setdefault(use.subnet_id, Counter()).update(use.consumers())
        ips.setdefault(use.subnet_id, []).extend(use.ips)
        prefixes.setdefault(use.subnet_id, []).extend(use.prefixes)
    return {
        subnet_id: SubnetAddressUse(
            subnet_id=subnet_id,
            consumers=_ordered(held[subnet_id]),
            ips=tuple(ips[subnet_id]),
            prefixes=tuple(prefixes[subnet_id]),
        )
        for subnet_id in held
    }


def consumers_by_subnet(
    enis: Iterable[Mapping[str, Any]], *, cni_instances: Collection[str] | None = None
) -> dict[str, dict[str, int]]:
    """``{subnet_id: {category: addresses}}`` — the report's ``consumers`` per subnet."""
    return {
        subnet_id: dict(use.consumers)
        for subnet_id, use in summarize_by_subnet(enis, cni_instances=cni_instances).items()
    }
