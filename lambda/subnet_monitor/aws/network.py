"""AWS reads the live design check and ``fix`` need beyond a scan: VPC CIDRs, which subnets are
public, the networks peered with the VPCs, each EKS cluster's service CIDR, and for ``fix`` the
region's other VPCs, the route destinations of the VPCs and of the transit gateway route tables,
and what prefix-delegation subnets hold. CLI only (the Lambda never calls these), with the caller's
credentials: ``ec2:DescribeVpcs``, ``ec2:DescribeRouteTables``, ``ec2:DescribeVpcPeeringConnections``,
``eks:DescribeCluster``, ``ec2:DescribeTransitGatewayRouteTables``, ``ec2:SearchTransitGatewayRoutes``,
``ec2:DescribeNetworkInterfaces`` and ``ec2:GetSubnetCidrReservations``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from subnet_monitor.aws.batching import batched
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.ec2 import EC2_FILTER_VALUES_MAX, Ec2Reader
from subnet_monitor.core.consumers import addresses_in_use
from subnet_monitor.core.models import ClusterDesign, ScanError, SubnetState
from subnet_monitor.core.space import PrefixUsage

if TYPE_CHECKING:
    from botocore.client import BaseClient

# A route to an internet gateway makes a subnet public ("A public subnet has a direct route to an
# internet gateway"). https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html
INTERNET_GATEWAY_PREFIX = "igw-"
ACTIVE_PEERING = "active"
NEAR_SIDE = {"AccepterVpcInfo": "RequesterVpcInfo", "RequesterVpcInfo": "AccepterVpcInfo"}
ASSOCIATED = "associated"
LOCAL_GATEWAY = "local"
# Transit gateway routes that steer traffic somewhere: a secondary CIDR overlapping one would clash.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html ("state")
TGW_ROUTE_STATES = ["active", "blackhole"]

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

    def region_vpcs(self) -> dict[str, tuple[str, ...]]:
        """Every VPC of the region and its associated IPv4 CIDR blocks (a secondary CIDR should
        overlap none of them: they may be peered, attached to a transit gateway, or become so)."""

        def read() -> dict[str, tuple[str, ...]]:
            found = {}
            for page in self._ec2.get_paginator("describe_vpcs").paginate():
                for vpc in page["Vpcs"]:
                    associated = [
                        a["CidrBlock"]
                        for a in vpc.get("CidrBlockAssociationSet", [])
                        if a.get("CidrBlockState", {}).get("State") == ASSOCIATED
                    ]
                    found[vpc["VpcId"]] = tuple(associated or [vpc["CidrBlock"]])
            return found

        return self._attempt("DescribeVpcs (the region's VPCs)", read, {})

    def route_destinations(self, vpc_ids: Iterable[str]) -> dict[str, str]:
        """The non-local IPv4 route destinations of the VPCs' route tables, named ``<rtb-id>
        <target>``: a new VPC CIDR "must not be the same or larger than a destination CIDR range in a
        route in any of the VPC route tables" (vpc-cidr-blocks.html)."""

        def read() -> dict[str, str]:
            found: dict[str, str] = {}
            paginator = self._ec2.get_paginator("describe_route_tables")
            for batch in batched(sorted(set(vpc_ids)), EC2_FILTER_VALUES_MAX):
                for page in paginator.paginate(Filters=[{"Name": "vpc-id", "Values": list(batch)}]):
                    for table in page["RouteTables"]:
                        for route in table.get("Routes", []):
                            cidr = route.get("DestinationCidrBlock")
                            if not cidr or route.get("GatewayId") == LOCAL_GATEWAY or cidr == "0.0.0.0/0":
                                continue
                            target = next((str(v) for k, v in route.items() if k.endswith("Id") and v), "")
                            found[f"{table['RouteTableId']} {target}".strip()] = cidr
            return found

        return self._attempt("DescribeRouteTables (route destinations)", read, {})

    def transit_gateway_routes(self) -> dict[str, str]:
        """The routes of every transit gateway route table this account can read, named
        ``<tgw-rtb-id> <destination>``. A table whose routes cannot be read is recorded and skipped."""
        tables = self._attempt(
            "DescribeTransitGatewayRouteTables",
            lambda: [
                t["TransitGatewayRouteTableId"]
                for page in self._ec2.get_paginator("describe_transit_gateway_route_tables").paginate()
                for t in page["TransitGatewayRouteTables"]
            ],
            [],
        )
        found: dict[str, str] = {}
        for table in tables:

            def read(table: str = table) -> list[str]:
                pages = self._ec2.get_paginator("search_transit_gateway_routes").paginate(
                    TransitGatewayRouteTableId=table, Filters=[{"Name": "state", "Values": TGW_ROUTE_STATES}]
                )
                return [
                    r["DestinationCidrBlock"] for page in pages for r in page["Routes"] if r.get("DestinationCidrBlock")
                ]

            for cidr in self._attempt(f"SearchTransitGatewayRoutes {table}", read, []):
                found[f"{table} {cidr}"] = cidr
        return found

    def prefix_usage(self, subnet_ids: Iterable[str]) -> dict[str, PrefixUsage]:
        """For each subnet: the addresses and prefixes its network interfaces hold, and its CIDR
        reservations. A subnet whose interfaces or reservations cannot be read is left out."""
        wanted = sorted(set(subnet_ids))
        if not wanted:
            return {}
        reader = Ec2Reader(self._ec2)
        unread: set[str] = set()

        def failed(batch: Any, error: Exception) -> None:
            unread.update(batch)
            self.errors.append(ScanError("fix", "DescribeNetworkInterfaces", str(error)))

        enis = reader.network_interfaces(wanted, on_error=failed)
        found = {}
        for subnet_id in wanted:
            if subnet_id in unread:
                continue
            reservations = self._attempt(
                f"GetSubnetCidrReservations {subnet_id}", lambda s=subnet_id: reader.cidr_reservations(s), None
            )
            if reservations is None:
                continue
            ips, prefixes = addresses_in_use(e for e in enis if e.get("SubnetId") == subnet_id)
            found[subnet_id] = PrefixUsage(tuple(ips), tuple(prefixes), tuple(r["Cidr"] for r in reservations))
        return found
