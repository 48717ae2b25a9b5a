"""EC2 reads: subnet state and the instances behind container instances and nodes."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from subnet_monitor.aws.batching import ENI_STREAMS, Progress, batched, concurrently
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.core.config import TagSelector
from subnet_monitor.core.consumers import slim_eni
from subnet_monitor.core.models import SubnetState
from subnet_monitor.core.subnet import usable_ips

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
# DescribeInstanceTypes fails the whole call on one name the region does not know, naming them all:
# "InvalidInstanceType: The following supplied instance types do not exist: [i8ge.xlarge]"
# (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html, InvalidInstanceType;
# the message as EC2 returns it, quoted in github.com/scylladb/scylla-cluster-tests/issues/12419).
INVALID_INSTANCE_TYPE = "InvalidInstanceType"
_UNKNOWN_TYPES_LIST = re.compile(r"do not exist: \[([^\]]*)\]")
LIVE_INSTANCE_STATES = ("pending", "running")
# ENIs are read by VPC (one paginated stream) rather than by 200 subnet IDs a call when the selected
# subnets hold at least this share of the addresses in use in their VPCs: the stream then reads at
# most ~11 % more ENIs than the selection holds, while 200-ID batches each end on a part-filled page.
VPC_READ_MIN_SHARE = 0.9

# A launch template version as DescribeNodegroup gives it: (ID, name, version); ID or name may be "".
TemplateVersion = tuple[str, str, str]
# Told the filter values of a DescribeSubnets call that failed, and the error.
OnError = Callable[[Sequence[str], Exception], None]


class Ec2Reader:
    """Reads subnets and instances with paginated, batched filters — never one call per item."""

    def __init__(self, client: BaseClient, progress: Progress | None = None) -> None:
        self._client = client
        self._progress = progress
        # Every subnet of the region (its VPC and addresses in use), when one read has seen them all.
        self._region: dict[str, tuple[str, int]] | None = None

    def subnets(self, subnet_ids: Iterable[str], on_error: OnError | None = None) -> dict[str, SubnetState]:
        """State of the given subnets in the fewest calls: IDs EC2 does not know are simply absent (a
        ``subnet-id`` filter, unlike the ``SubnetIds`` parameter, does not fail the whole call on one
        unknown ID).

        By ID that is ``ceil(n / 200)`` calls; the whole region is ``ceil(subnets in region / 1,000)``
        pages, not known in advance. So when there is more than one batch of IDs, the region is read
        first, at most ``batches - 1`` pages (fewer calls than the batches whenever it ends there), and
        only the IDs still missing after that are read by ID: never more than ``2 × batches - 1`` calls,
        the fewest the limits allow when the region holds up to 1,000 subnets per batch of selected
        ones. A failed region page is not an error: its subnets are read by ID instead.
        """
        wanted = sorted(set(subnet_ids))
        page_budget = math.ceil(len(wanted) / EC2_FILTER_VALUES_MAX) - 1
        if page_budget < 1:
            return self.subnets_where("subnet-id", wanted, on_error)
        region, complete = self._region_pages(page_budget)
        found = {subnet_id: region[subnet_id] for subnet_id in wanted if subnet_id in region}
        if not complete:
            found.update(self.subnets_where("subnet-id", [s for s in wanted if s not in found], on_error))
        return found

    def _region_pages(
        self, max_pages: int | None, *, raise_errors: bool = False
    ) -> tuple[dict[str, SubnetState], bool]:
        """Subnets of the region, at most ``max_pages`` pages (``None``: all); ``(states, True)`` when
        that was all of them."""
        states: dict[str, SubnetState] = {}
        addresses: dict[str, tuple[str, int]] = {}
        paginator = self._client.get_paginator("describe_subnets")
        pages = paginator.paginate(PaginationConfig={"PageSize": DESCRIBE_SUBNETS_PAGE_MAX})
        try:
            for number, page in enumerate(pages, start=1):
                for subnet in page["Subnets"]:
                    state = _subnet_state(subnet)
                    if state is not None:
                        states[state.subnet_id] = state
                        addresses[state.subnet_id] = (state.vpc_id, usable_ips(state.cidr) - state.available_ips)
                if number == max_pages and page.get("NextToken"):
                    return states, False
        except AWS_ERRORS:
            if raise_errors:
                raise
            return states, False
        self._region = addresses
        return states, True

    def subnets_where(
        self, filter_name: str, values: Iterable[str], on_error: OnError | None = None
    ) -> dict[str, SubnetState]:
        """Subnets whose ``filter_name`` matches any of ``values``, 200 values a call.

        With ``on_error``, a failed call is reported there and the other batches still read;
        without, the error is raised.
        """
        # One batch after another: by ID they are few (:meth:`subnets` reads the region first), and a
        # failed region read falls back to them in order.
        states: dict[str, SubnetState] = {}
        for batch in batched(sorted(set(values)), EC2_FILTER_VALUES_MAX):
            try:
                states.update(self._describe_subnets([{"Name": filter_name, "Values": list(batch)}]))
            except AWS_ERRORS as error:
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
        states, _ = self._region_pages(None, raise_errors=True)
        return states

    def network_interfaces(self, subnet_ids: Iterable[str], on_error: OnError | None = None) -> list[dict[str, Any]]:
        """Every ENI in the given subnets, 1,000 a page: by VPC when the subnets hold most of their
        VPCs' addresses (:data:`ENI_STREAMS` streams, one part-filled page at most each), else 200
        subnet IDs a call. A
        failed read is reported with the subnets it covered, and none of its ENIs are kept."""
        wanted = sorted(set(subnet_ids))
        vpcs = self._vpcs_worth_reading(wanted)
        if vpcs is None:
            batches = list(batched(wanted, EC2_FILTER_VALUES_MAX))
            return self._enis_where("subnet-id", batches, lambda batch: batch, on_error)
        region = self._region or {}
        keep = set(wanted)

        def covered(batch: Sequence[str]) -> list[str]:
            return [subnet_id for subnet_id in wanted if region[subnet_id][0] in batch]

        in_use: dict[str, int] = {}
        for vpc, used in region.values():
            in_use[vpc] = in_use.get(vpc, 0) + used
        enis = self._enis_where("vpc-id", _streams(vpcs, in_use), covered, on_error)
        return [eni for eni in enis if eni.get("SubnetId") in keep]

    def _vpcs_worth_reading(self, wanted: Sequence[str]) -> list[str] | None:
        """The VPCs to read ENIs from, or ``None`` to read by subnet ID (see :data:`VPC_READ_MIN_SHARE`).

        Only after a complete region read (which knows every subnet's VPC and addresses in use), and
        only for more than one batch of subnets: one batch is already the fewest calls.
        """
        region = self._region
        if region is None or len(wanted) <= EC2_FILTER_VALUES_MAX or any(s not in region for s in wanted):
            return None
        vpcs = {region[subnet_id][0] for subnet_id in wanted}
        in_vpcs = sum(used for vpc, used in region.values() if vpc in vpcs)
        selected = sum(region[subnet_id][1] for subnet_id in wanted)
        return sorted(vpcs) if selected >= VPC_READ_MIN_SHARE * in_vpcs else None

    def _enis_where(
        self,
        filter_name: str,
        batches: Sequence[Sequence[str]],
        subnets_of: Callable[[Sequence[str]], Sequence[str]],
        on_error: OnError | None,
    ) -> list[dict[str, Any]]:
        """The ENIs matching each batch of filter values: one paginated stream a batch, the streams
        side by side, their ENIs and failures taken in batch order."""
        paginator = self._client.get_paginator("describe_network_interfaces")

        def read(batch: Sequence[str]) -> list[dict[str, Any]]:
            pages = paginator.paginate(
                Filters=[{"Name": filter_name, "Values": list(batch)}],
                PaginationConfig={"PageSize": DESCRIBE_NETWORK_INTERFACES_PAGE_MAX},
            )
            return [slim_eni(eni) for page in pages for eni in page["NetworkInterfaces"]]

        enis: list[dict[str, Any]] = []
        reads = concurrently(
            read, batches, catch=AWS_ERRORS, workers=ENI_STREAMS, progress=self._progress, label="ENI reads"
        )
        for done in reads:
            if done.error is None:
                enis.extend(done.value or ())
            elif on_error is None:
                raise done.error
            else:
                on_error(subnets_of(done.item), done.error)
        return enis

    def instance_types(self, names: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``DescribeInstanceTypes`` entries by name, 100 names a call. Names EC2 does not know are
        absent, and only they: the others keep their entries (see :meth:`_known_instance_types`)."""
        found: dict[str, dict[str, Any]] = {}
        for batch in batched(sorted(set(names)), DESCRIBE_INSTANCE_TYPES_MAX):
            found.update(self._known_instance_types(list(batch)))
        return found

    def _known_instance_types(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Entries of ``names``, leaving out those EC2 does not know.

        One unknown name fails the whole call (``InvalidInstanceType``). The names the error lists
        are dropped and the rest asked again (two calls when it lists them all, as EC2 does); if it
        lists none of ours, the batch is split in halves, down to single names. Every call drops at
        least one name or halves the batch, so a batch of n takes fewer than 2n calls, and
        2 × unknown × log2(n) + 1 when the message cannot be read. Other errors are raised.
        """
        try:
            pages = self._client.get_paginator("describe_instance_types").paginate(InstanceTypes=names)
            return {entry["InstanceType"]: entry for page in pages for entry in page["InstanceTypes"]}
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != INVALID_INSTANCE_TYPE:
                raise
            listed = _listed_unknown_types(error) & set(names)
        if listed:
            rest = [name for name in names if name not in listed]
            return self._known_instance_types(rest) if rest else {}
        if len(names) == 1:
            return {}
        half = len(names) // 2
        return {**self._known_instance_types(names[:half]), **self._known_instance_types(names[half:])}

    def launch_template_versions(
        self, versions: Iterable[TemplateVersion], on_error: Callable[[TemplateVersion, Exception], None]
    ) -> dict[TemplateVersion, dict[str, Any]]:
        """``LaunchTemplateData`` of each ``(id, name, version)``, one paginated call per template with
        all its versions: the API takes one template a call, by ID or name, and a list of versions
        (numbers, ``$Latest``, ``$Default``; API_DescribeLaunchTemplateVersions.html). The ID is used
        when known. A failed call is told to ``on_error`` once per version asked of it, which is then
        absent."""
        by_template: dict[tuple[str, str], set[TemplateVersion]] = {}
        for ref in versions:
            template_id, name, _ = ref
            key = ("LaunchTemplateId", template_id) if template_id else ("LaunchTemplateName", name)
            by_template.setdefault(key, set()).add(ref)
        found: dict[TemplateVersion, dict[str, Any]] = {}
        paginator = self._client.get_paginator("describe_launch_template_versions")
        for (parameter, template), refs in sorted(by_template.items()):
            try:
                pages = paginator.paginate(**{parameter: template}, Versions=sorted({ref[2] for ref in refs}))
                read = [entry for page in pages for entry in page["LaunchTemplateVersions"]]
            except AWS_ERRORS as error:
                for ref in sorted(refs):
                    on_error(ref, error)
                continue
            for ref in refs:
                entry = _template_version(read, ref[2])
                if entry is not None:
                    found[ref] = entry.get("LaunchTemplateData", {})
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
                state = _subnet_state(subnet)
                if state is not None:
                    states[state.subnet_id] = state
        return states

    def _instances(self, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("describe_instances")
        pages = paginator.paginate(Filters=filters, PaginationConfig={"PageSize": DESCRIBE_INSTANCES_PAGE_MAX})
        for page in pages:
            for reservation in page["Reservations"]:
                yield from reservation["Instances"]


def _streams(vpcs: Sequence[str], in_use: Mapping[str, int]) -> list[list[str]]:
    """``vpcs`` (sorted) cut into at most :data:`ENI_STREAMS` runs of about equal addresses in use,
    each at most 200 IDs: one ENI stream a run, read side by side. One stream for every VPC would be
    the fewest calls but as many round trips in a row as pages (51 at 10,000 subnets); a run ends on a
    part-filled page, so this costs at most one call per extra run."""
    runs = max(1, min(ENI_STREAMS, len(vpcs)), math.ceil(len(vpcs) / EC2_FILTER_VALUES_MAX))
    total = sum(in_use.get(vpc, 0) for vpc in vpcs) or 1
    streams: list[list[str]] = [[]]
    taken = 0
    for vpc in vpcs:
        # Start a new run once this one holds its share (and never past 200 filter values).
        share = total * len(streams) / runs
        if streams[-1] and (taken >= share or len(streams[-1]) == EC2_FILTER_VALUES_MAX):
            streams.append([])
        streams[-1].append(vpc)
        taken += in_use.get(vpc, 0)
    return streams


def _subnet_state(subnet: dict[str, Any]) -> SubnetState | None:
    # IPv6-only subnets have no IPv4 block and no IPv4 addresses to run out of.
    if not subnet.get("CidrBlock"):
        return None
    return SubnetState(
        subnet_id=subnet["SubnetId"],
        vpc_id=subnet["VpcId"],
        availability_zone=subnet["AvailabilityZone"],
        cidr=subnet["CidrBlock"],
        available_ips=subnet["AvailableIpAddressCount"],
        tags={t["Key"]: t["Value"] for t in subnet.get("Tags", [])},
    )


def _listed_unknown_types(error: ClientError) -> set[str]:
    """The instance types an ``InvalidInstanceType`` message lists; none when it is worded otherwise."""
    match = _UNKNOWN_TYPES_LIST.search(str(error.response.get("Error", {}).get("Message", "")))
    return {name.strip() for name in match.group(1).split(",") if name.strip()} if match else set()


def _template_version(read: Sequence[dict[str, Any]], version: str) -> dict[str, Any] | None:
    """The entry a requested version resolved to: its number, the default (``DefaultVersion``), or the
    latest (the highest number: ``$Latest`` returns the latest, which no other version exceeds)."""
    if version == "$Default":
        return next((entry for entry in read if entry.get("DefaultVersion")), None)
    if version == "$Latest":
        return max(read, key=lambda entry: entry["VersionNumber"], default=None)
    return next((entry for entry in read if str(entry.get("VersionNumber")) == version), None)
