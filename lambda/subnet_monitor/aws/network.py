"""AWS reads the live design check needs beyond a scan: VPC CIDRs, which subnets are public, the
networks peered with the VPCs, and each EKS cluster's service CIDR. CLI only (the Lambda never
calls these), with the caller's credentials: ``ec2:DescribeVpcs``, ``ec2:DescribeRouteTables``,
``ec2:DescribeVpcPeeringConnections`` and ``eks:DescribeCluster``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from subnet_monitor.aws.batching import batched
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.ec2 import EC2_FILTER_VALUES_MAX, Ec2Reader
from subnet_monitor.core.models import ClusterDesign, ScanError, SubnetState

if TYPE_CHECKING:
    from botocore.client import BaseClient

# A route to an internet gateway makes a subnet public ("A public subnet has a direct route to an
# internet gateway"). https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html
INTERNET_GATEWAY_PREFIX = "igw-"
ACTIVE_PEERING = "active"
NEAR_SIDE = {"AccepterVpcInfo": "RequesterVpcInfo", "RequesterVpcInfo": "AccepterVpcInfo"}
ASSOCIATED = "associated"

NAME_TAG = "Name"


@dataclass(frozen=True)
class VpcInfo:
    cidrs: tuple[str, ...]
    name: str | None = None

    def label(self, vpc_id: str) -> str:
        return f"{self.name} ({vpc_id})" if self.name else vpc_id


class DesignReader:
    """Paginated, batched reads; a failed read becomes a :class:`ScanError` and the check goes on
    without what it would have given."""

    def __init__(self, ec2: BaseClient, eks: BaseClient) -> None:
        self._ec2 = ec2
        self._eks = eks
        self.errors: list[ScanError] = []

    def _attempt(self, target: str, read: Callable[[], Any], default: Any) -> Any:
        try:
            return read()
        except AWS_ERRORS as error:
            self.errors.append(ScanError("design", target, str(error)))
            return default

    def vpcs(self, vpc_ids: Iterable[str]) -> dict[str, VpcInfo]:
        """Each VPC's associated IPv4 CIDR blocks (the primary first) and Name tag."""

        def read() -> dict[str, VpcInfo]:
            found = {}
            paginator = self._ec2.get_paginator("describe_vpcs")
            for batch in batched(sorted(set(vpc_ids)), EC2_FILTER_VALUES_MAX):
                for page in paginator.paginate(Filters=[{"Name": "vpc-id", "Values": list(batch)}]):
                    for vpc in page["Vpcs"]:
                        secondary = [
                            a["CidrBlock"]
                            for a in vpc.get("CidrBlockAssociationSet", [])
                            if a.get("CidrBlockState", {}).get("State") == ASSOCIATED
                            and a["CidrBlock"] != vpc["CidrBlock"]
                        ]
                        name = next((t["Value"] for t in vpc.get("Tags", []) if t["Key"] == NAME_TAG), None)
                        found[vpc["VpcId"]] = VpcInfo((vpc["CidrBlock"], *secondary), name)
            return found

        return self._attempt("DescribeVpcs", read, {})

    def vpc_subnets(self, vpc_ids: Iterable[str]) -> dict[str, SubnetState]:
        """Every subnet of the VPCs (their CIDRs are taken, their Name tags name them)."""
        return self._attempt(
            "DescribeSubnets (subnets of the VPCs)",
            lambda: Ec2Reader(self._ec2).subnets_where("vpc-id", vpc_ids),
            {},
        )

    def public_subnets(self, subnet_vpcs: Mapping[str, str]) -> dict[str, bool]:
        """For ``{subnet_id: vpc_id}``: whether the subnet's route table (its own association, else
        its VPC's main table) routes to an internet gateway. Empty when the tables cannot be read."""

        def read() -> dict[str, bool]:
            explicit: dict[str, bool] = {}
            main: dict[str, bool] = {}
            paginator = self._ec2.get_paginator("describe_route_tables")
            for batch in batched(sorted(set(subnet_vpcs.values())), EC2_FILTER_VALUES_MAX):
                for page in paginator.paginate(Filters=[{"Name": "vpc-id", "Values": list(batch)}]):
                    for table in page["RouteTables"]:
                        to_igw = any(
                            str(route.get("GatewayId", "")).startswith(INTERNET_GATEWAY_PREFIX)
                            and route.get("State", "active") == "active"
                            for route in table.get("Routes", [])
                        )
                        for association in table.get("Associations", []):
                            if association.get("Main"):
                                main[table["VpcId"]] = to_igw
                            elif association.get("SubnetId"):
                                explicit[association["SubnetId"]] = to_igw
            return {
                subnet_id: explicit[subnet_id] if subnet_id in explicit else main.get(vpc_id, False)
                for subnet_id, vpc_id in subnet_vpcs.items()
            }

        return self._attempt("DescribeRouteTables", read, {})

    def peered_cidrs(self, vpc_ids: Iterable[str]) -> dict[str, str]:
        """The CIDR blocks on the far side of every active peering connection of the VPCs, named
        ``<pcx-id> <far VPC id>`` (a peer among ``vpc_ids`` is left out: it is checked as a VPC)."""
        wanted = set(vpc_ids)

        def read() -> dict[str, str]:
            found: dict[str, str] = {}
            paginator = self._ec2.get_paginator("describe_vpc_peering_connections")
            for side, far in (("requester", "AccepterVpcInfo"), ("accepter", "RequesterVpcInfo")):
                for batch in batched(sorted(wanted), EC2_FILTER_VALUES_MAX):
                    filters = [
                        {"Name": f"{side}-vpc-info.vpc-id", "Values": list(batch)},
                        {"Name": "status-code", "Values": [ACTIVE_PEERING]},
                    ]
                    for page in paginator.paginate(Filters=filters):
                        for connection in page["VpcPeeringConnections"]:
                            info = connection.get(far, {})
                            near = connection.get(NEAR_SIDE[far], {})
                            # A peer that is one of these VPCs is checked as a VPC, not as a peered network.
                            if near.get("VpcId") not in wanted or info.get("VpcId") in wanted:
                                continue
                            blocks = [b["CidrBlock"] for b in info.get("CidrBlockSet", [])] or [info.get("CidrBlock")]
                            for index, cidr in enumerate(b for b in blocks if b):
                                suffix = f" #{index + 1}" if index else ""
                                found[f"{connection['VpcPeeringConnectionId']} {info.get('VpcId', '')}{suffix}"] = cidr
            return found

        return self._attempt("DescribeVpcPeeringConnections", read, {})

    def clusters(self, names: Iterable[str]) -> list[ClusterDesign]:
        """Each EKS cluster's VPC, control-plane subnets and service CIDR (IPv4 clusters)."""
        found = []
        for name in sorted(set(names)):
            cluster = self._attempt(
                f"DescribeCluster {name}", lambda n=name: self._eks.describe_cluster(name=n)["cluster"], None
            )
            if cluster is None:
                continue
            vpc_config = cluster.get("resourcesVpcConfig", {})
            network = cluster.get("kubernetesNetworkConfig", {})
            found.append(
                ClusterDesign(
                    name=name,
                    vpc=vpc_config.get("vpcId", ""),
                    control_plane_subnets=tuple(vpc_config.get("subnetIds", [])),
                    service_ipv4_cidr=network.get("serviceIpv4Cidr"),
                )
            )
        return found
