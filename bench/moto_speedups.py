"""What the benchmark changes in moto 5.2.5, in the benchmark's own process only (where the server runs).

moto is a stand-in for AWS here; the figures are about the monitor. Five of moto's behaviours would
either misstate what a real API does or make the server, not the monitor, the thing measured at
10,000 subnets. Each patch below keeps moto's answers (same items, same values) and says why it exists.

1. **Paging.** moto ignores ``MaxResults``/``NextToken`` on ``DescribeSubnets`` and
   ``DescribeNetworkInterfaces`` and answers with everything in one response (``demo/MOTO_NOTES.md``).
   EC2 returns at most ``MaxResults`` (≤ 1,000) items a call. Without paging the call counts would
   understate what a real scan makes, and one response would carry 50,000 ENIs, which no real page
   does. The patch slices moto's answer into pages of ``MaxResults`` with a ``NextToken``; a request
   without ``MaxResults`` gets everything, as before.
2. **Available addresses.** ``Subnet.available_ip_address_count`` walks every ENI of the region for
   every subnet it renders (O(subnets × ENIs): 10,000 × 50,000 per region-wide read). The patch
   counts the same addresses from an index of ENIs by subnet, rebuilt whenever the number of ENIs
   changes (the benchmark creates all ENIs before it scans and changes none after).
3. **Filters.** moto matches every filter value against every item with ``fnmatch`` (a
   ``vpc-id`` filter of 50 values over 50,000 ENIs is 2.5 million ``fnmatch`` calls). A value without
   a wildcard character matches exactly what plain equality matches, so the patch tests those with
   ``in`` and leaves wildcard values to ``fnmatch``.
4. **GetMetricData.** moto rescans every stored datapoint for every query and every period
   (O(queries × periods × datapoints): with 6 hours of history for 10,000 subnets, 500 × 73 × 720,000
   a call). The patch answers ``MetricStat`` queries from an index of datapoints by metric, with moto's
   own statistics; any other query goes to moto unchanged.

5. **Tags.** Every tagged EC2 resource reads its own tags by scanning the tags of every resource in the
   region with a regular expression per tag (O(resources × tags) per response). The patch reads the
   resource's own entry of the same tag table.

Seeding has its own shortcut (``bench/estate.py``): moto's ``create_subnet`` lists every subnet of
the region to check the new CIDR for overlaps, which makes seeding 10,000 subnets take minutes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend, MetricDatum, Statistics
from moto.core.responses import ActionResult
from moto.ec2 import utils as ec2_utils
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.subnets import Subnet
from moto.ec2.responses.elastic_network_interfaces import ElasticNetworkInterfaces
from moto.ec2.responses.subnets import Subnets
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

_WILDCARDS = frozenset("*?[")
_installed = False


def install() -> None:
    """Apply the five patches (idempotent)."""
    global _installed  # noqa: PLW0603 - a process-wide, one-time switch
    if _installed:
        return
    _installed = True
    Subnet.available_ip_address_count = property(_available_ip_address_count)  # type: ignore[method-assign]
    for owner, name, paged in paging():
        setattr(owner, name, paged)
    original_matching = ec2_utils.is_filter_matching

    last: list[Any] = [None, False]  # the last filter's values and whether they are all exact

    def is_filter_matching(obj: Any, filter_name: str, filter_value: Any) -> bool:
        if last[0] is not filter_value:
            exact = isinstance(filter_value, list) and not any(_WILDCARDS & set(str(v)) for v in filter_value)
            last[:] = [filter_value, exact]
        if last[1]:
            value = obj.get_filter_value(filter_name)
            if isinstance(value, str):
                return value in filter_value
        return original_matching(obj, filter_name, filter_value)

    ec2_utils.is_filter_matching = is_filter_matching
    original_get_metric_data = CloudWatchBackend.get_metric_data

    def get_metric_data(self: CloudWatchBackend, queries: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        if queries and all("MetricStat" in q and not q["MetricStat"].get("Unit") for q in queries):
            return _indexed_metric_data(self, queries, *args, **kwargs)
        return original_get_metric_data(self, queries, *args, **kwargs)

    CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
    TaggedEC2Resource.get_tags = _own_tags  # type: ignore[method-assign]


def forget() -> None:
    """Drop the indexes (after a reset of moto's backends, or a new estate)."""
    _address_index.clear()
    _datapoint_index.clear()


# --- 1. paging ----------------------------------------------------------------------------------


def paging() -> list[tuple[type, str, Any]]:
    """Patch 1 alone, as ``(class, method name, replacement)``: tests apply it with ``monkeypatch``
    to count the calls a real scan makes (``tests/integration/test_scale.py``)."""
    return [
        (Subnets, "describe_subnets", _paged(Subnets.describe_subnets, "Subnets")),
        (
            ElasticNetworkInterfaces,
            "describe_network_interfaces",
            _paged(ElasticNetworkInterfaces.describe_network_interfaces, "NetworkInterfaces"),
        ),
    ]


def _paged(describe: Any, key: str) -> Any:
    def paged(self: Any) -> ActionResult:
        max_results = self._get_param("MaxResults")
        result = describe(self)
        if not max_results:
            return result
        items = result.result[key]
        start = int(self._get_param("NextToken") or 0)
        end = start + int(max_results)
        page: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            page["NextToken"] = str(end)
        return ActionResult(page)

    return paged


# --- 2. available addresses ---------------------------------------------------------------------

_address_index: dict[int, tuple[int, dict[str, int]]] = {}


def _available_ip_address_count(self: Subnet) -> int:
    backend = self.ec2_backend
    enis = backend.enis
    cached = _address_index.get(id(backend))
    if cached is None or cached[0] != len(enis):
        taken: dict[str, int] = defaultdict(int)
        for eni in enis.values():
            if eni.private_ip_addresses:
                taken[eni.subnet.id] += len(eni.private_ip_addresses)
        cached = (len(enis), dict(taken))
        _address_index[id(backend)] = cached
    return self._available_ip_addresses - cached[1].get(self.id, 0)


# --- 5. tags ------------------------------------------------------------------------------------


def _own_tags(self: Any) -> list[dict[str, str]]:
    """What ``describe_tags(filters={"resource-id": [self.id]})`` answers, from the resource's own entry."""
    if not self.id:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    return [
        {"resource_id": self.id, "key": key, "value": value, "resource_type": resource_type}
        for key, value in self.ec2_backend.tags.get(self.id, {}).items()
    ]


# --- 4. GetMetricData ---------------------------------------------------------------------------

_datapoint_index: dict[int, tuple[int, dict[tuple[str, str, tuple[Any, ...]], list[MetricDatum]]]] = {}


def _by_metric(backend: CloudWatchBackend) -> dict[tuple[str, str, tuple[Any, ...]], list[MetricDatum]]:
    data = backend.metric_data
    cached = _datapoint_index.get(id(backend))
    if cached is None or cached[0] != len(data):
        index: dict[tuple[str, str, tuple[Any, ...]], list[MetricDatum]] = defaultdict(list)
        for datum in data:
            index[(datum.namespace, datum.name, tuple(sorted((d.name, d.value) for d in datum.dimensions)))].append(
                datum
            )
        for datums in index.values():
            datums.sort(key=lambda d: _naive_utc(d.timestamp))
        cached = (len(data), dict(index))
        _datapoint_index[id(backend)] = cached
    return cached[1]


def _naive_utc(moment: datetime) -> datetime:
    # moto keeps the timestamps of put_metric_data as given: naive UTC or aware.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _indexed_metric_data(
    backend: CloudWatchBackend,
    queries: list[dict[str, Any]],
    start_time: datetime,
    end_time: datetime,
    scan_by: str = "TimestampAscending",
) -> list[dict[str, Any]]:
    """moto's ``get_metric_data`` for ``MetricStat`` queries, the same periods and statistics."""
    start_time = _naive_utc(start_time).replace(microsecond=0)
    end_time = _naive_utc(end_time).replace(microsecond=0)
    index = _by_metric(backend)
    results = []
    for query in queries:
        stat_query = query["MetricStat"]
        metric = stat_query["Metric"]
        dimensions = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
        delta = timedelta(seconds=int(stat_query["Period"]))
        buckets: dict[int, list[MetricDatum]] = defaultdict(list)
        for datum in index.get((metric["Namespace"], metric["MetricName"], dimensions), ()):
            timestamp = _naive_utc(datum.timestamp)
            if start_time <= timestamp < end_time:
                buckets[(timestamp - start_time) // delta].append(datum)
        timestamps, values = [], []
        for bucket in sorted(buckets):
            period_start = start_time + bucket * delta
            if period_start > end_time:
                break
            stats = Statistics([stat_query["Stat"]], period_start)
            stats.metric_data = buckets[bucket]
            values.append(stats.get_statistics_for_type(stat_query["Stat"]))
            timestamps.append(stats.timestamp)
        if scan_by == "TimestampDescending":
            timestamps.reverse()
            values.reverse()
        if query.get("ReturnData", True):
            results.append(
                {
                    "id": query["Id"],
                    "label": query.get("Label") or f"{metric['MetricName']} {stat_query['Stat']}",
                    "values": values,
                    "timestamps": timestamps,
                    "status_code": "Complete",
                }
            )
    return results
