"""EC2 reads: subnet state and the instances behind container instances and nodes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from subnet_monitor.batching import batched
from subnet_monitor.config import TagSelector
from subnet_monitor.models import SubnetState

if TYPE_CHECKING:
    from botocore.client import BaseClient

# EC2 refuses a call with more than 200 filter values in all (FilterLimitExceeded:
# "The maximum number of filter values specified on a single call is 200").
EC2_FILTER_VALUES_MAX = 200
# DescribeSubnets and DescribeInstances return at most 1000 items a page.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html
DESCRIBE_SUBNETS_PAGE_MAX = 1000
DESCRIBE_INSTANCES_PAGE_MAX = 1000
DESCRIBE_NETWORK_INTERFACES_PAGE_MAX = 1000
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html
DESCRIBE_INSTANCE_TYPES_MAX = 100
LIVE_INSTANCE_STATES = ("pending", "running")

# Told the filter values of a DescribeSubnets call that failed, and the error.
OnError = Callable[[Sequence[str], Exception], None]


class Ec2Reader:
    """Reads subnets and instances with paginated, batched filters — never one call per item."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def subnets(self, subnet_ids: Iterable[str], on_error: OnError | None = None) -> dict[str, SubnetState]:
        """State of the given subnets, 200 IDs a call. IDs EC2 does not know are simply absent
        (a ``subnet-id`` filter, unlike the ``SubnetIds`` parameter, does not fail the whole call
        on one unknown ID)."""
        return self.subnets_where("subnet-id", subnet_ids, on_error)

    def subnets_where(
        self, filter_name: str, values: Iterable[str], on_error: OnError | None = None
    ) -> dict[str, SubnetState]:
        """Subnets whose ``filter_name`` matches any of ``values``, 200 values a call.

        With ``on_error``, a failed call is reported there and the other batches still read;
        without, the error is raised.
        """
        states: dict[str, SubnetState] = {}
        for batch in batched(sorted(set(values)), EC2_FILTER_VALUES_MAX):
            try:
                states.update(self._describe_subnets([{"Name": filter_name, "Values": list(batch)}]))
            except (ClientError, BotoCoreError) as error:
                if on_error is None:
                    raise
                on_error(batch, error)
        return states

    def subnets_matching(self, selectors: tuple[TagSelector, ...]) -> dict[str, SubnetState]:
        """Subnets that carry every selected tag (any of a key's values; any value for ``*``)."""
        filters = [
            {"Name": f"tag:{s.key}", "Values": list(s.values)} if s.values else {"Name": "tag-key", "Values": [s.key]}
            for s in selectors
        ]
        return self._describe_subnets(filters)

    def all_subnets(self) -> dict[str, SubnetState]:
        """Every subnet in the region, 1000 a page."""
        return self._describe_subnets([])

    def network_interfaces(self, subnet_ids: Iterable[str], on_error: OnError | None = None) -> list[dict[str, Any]]:
        """Every ENI in the given subnets, 200 subnet IDs a call, 1000 ENIs a page."""
        enis: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("describe_network_interfaces")
        for batch in batched(sorted(set(subnet_ids)), EC2_FILTER_VALUES_MAX):
            try:
                pages = paginator.paginate(
                    Filters=[{"Name": "subnet-id", "Values": list(batch)}],
                    PaginationConfig={"PageSize": DESCRIBE_NETWORK_INTERFACES_PAGE_MAX},
                )
                enis.extend(eni for page in pages for eni in page["NetworkInterfaces"])
            except (ClientError, BotoCoreError) as error:
                if on_error is None:
                    raise
                on_error(batch, error)
        return enis

    def instance_types(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``DescribeInstanceTypes`` entries by name, 100 names a call."""
        found: dict[str, dict[str, Any]] = {}
        paginator = self._client.get_paginator("describe_instance_types")
        for batch in batched(sorted(set(names)), DESCRIBE_INSTANCE_TYPES_MAX):
            for page in paginator.paginate(InstanceTypes=list(batch)):
                found.update({entry["InstanceType"]: entry for entry in page["InstanceTypes"]})
        return found

    def cidr_reservations(self, subnet_id: str) -> list[dict[str, Any]]:
        """The subnet's IPv4 CIDR reservations (prefix and explicit). The API takes one subnet a
        call and botocore has no paginator for it, hence the nextToken loop."""
        reservations: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"SubnetId": subnet_id}
        while True:
            page = self._client.get_subnet_cidr_reservations(**kwargs)
            reservations.extend(page.get("SubnetIpv4CidrReservations", []))
            if not page.get("NextToken"):
                return reservations
            kwargs["NextToken"] = page["NextToken"]

    def instance_subnets(self, instance_ids: Iterable[str]) -> dict[str, str]:
        """Subnet of each live instance, 200 IDs a call."""
        subnets: dict[str, str] = {}
        for batch in batched(sorted(set(instance_ids)), EC2_FILTER_VALUES_MAX - len(LIVE_INSTANCE_STATES)):
            filters = [
                {"Name": "instance-id", "Values": list(batch)},
                {"Name": "instance-state-name", "Values": list(LIVE_INSTANCE_STATES)},
            ]
            for instance in self._instances(filters):
                if instance.get("SubnetId"):
                    subnets[instance["InstanceId"]] = instance["SubnetId"]
        return subnets

    def instances_with_tag_keys(self, tag_keys: list[str]) -> Iterator[dict[str, Any]]:
        """Live instances that carry any of ``tag_keys``."""
        for batch in batched(tag_keys, EC2_FILTER_VALUES_MAX - len(LIVE_INSTANCE_STATES)):
            filters = [
                {"Name": "tag-key", "Values": list(batch)},
                {"Name": "instance-state-name", "Values": list(LIVE_INSTANCE_STATES)},
            ]
            yield from self._instances(filters)

    def _describe_subnets(self, filters: list[dict[str, Any]]) -> dict[str, SubnetState]:
        paginator = self._client.get_paginator("describe_subnets")
        states = {}
        pages = paginator.paginate(Filters=filters, PaginationConfig={"PageSize": DESCRIBE_SUBNETS_PAGE_MAX})
        for page in pages:
            for subnet in page["Subnets"]:
                # IPv6-only subnets have no IPv4 block and no IPv4 addresses to run out of.
                if subnet.get("CidrBlock"):
                    states[subnet["SubnetId"]] = SubnetState(
                        subnet_id=subnet["SubnetId"],
                        vpc_id=subnet["VpcId"],
                        availability_zone=subnet["AvailabilityZone"],
                        cidr=subnet["CidrBlock"],
                        available_ips=subnet["AvailableIpAddressCount"],
                        tags={t["Key"]: t["Value"] for t in subnet.get("Tags", [])},
                    )
        return states

    def _instances(self, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("describe_instances")
        pages = paginator.paginate(Filters=filters, PaginationConfig={"PageSize": DESCRIBE_INSTANCES_PAGE_MAX})
        for page in pages:
            for reservation in page["Reservations"]:
                yield from reservation["Instances"]
