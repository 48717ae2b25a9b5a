"""Publishing datums to CloudWatch in as few PutMetricData calls as the API allows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from subnet_monitor.aws.batching import BULK_READ_WORKERS, batched, concurrently
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.core.forecast import Series
from subnet_monitor.core.metrics import DIMENSION_SUBNET, NAMESPACE
from subnet_monitor.core.models import ScanError

if TYPE_CHECKING:
    from botocore.client import BaseClient

# "Each request is also limited to no more than 1000 different metrics" (and 1 MB; 1000 of our
# datums are far below that).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
PUT_METRIC_DATA_MAX_DATUMS = 1000


@dataclass
class PublishResult:
    datums_sent: int = 0
    datums_failed: int = 0
    calls: int = 0
    errors: list[ScanError] = field(default_factory=list)


class MetricPublisher:
    """Sends datums in batches; a failed batch is recorded and the next one is still sent."""

    def __init__(self, client: BaseClient, namespace: str = NAMESPACE) -> None:
        self._client = client
        self._namespace = namespace

    def publish(self, datums: list[dict[str, Any]]) -> PublishResult:
        """Every datum, 1,000 a call: the first call alone, then the others side by side (one at a
        time when the first failed); failures recorded in batch order."""
        result = PublishResult()
        sent = concurrently(
            lambda batch: self._client.put_metric_data(Namespace=self._namespace, MetricData=list(batch)),
            batched(datums, PUT_METRIC_DATA_MAX_DATUMS),
            catch=AWS_ERRORS,
            first_alone=True,  # the scan's one write: a refused first batch sends the rest one at a time
        )
        for index, done in enumerate(sent):
            result.calls += 1
            batch, error = done.item, done.error
            if error is not None:
                result.datums_failed += len(batch)
                first, last = batch[0]["Dimensions"][0]["Value"], batch[-1]["Dimensions"][0]["Value"]
                target = f"PutMetricData batch {index + 1} ({len(batch)} datums, {first}..{last})"
                result.errors.append(ScanError(source="cloudwatch", target=target, message=str(error)))
            else:
                result.datums_sent += len(batch)
        return result


# "You can include up to 500 MetricDataQuery structures in one GetMetricData request."
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
GET_METRIC_DATA_MAX_QUERIES = 500


class MetricHistory:
    """Reads back what earlier scans published: one query per subnet, 500 queries a call."""

    def __init__(self, client: BaseClient, namespace: str = NAMESPACE) -> None:
        self._client = client
        self._namespace = namespace

    def series(
        self, metric: str, subnet_ids: list[str], start: datetime, end: datetime, period_seconds: int
    ) -> dict[str, Series]:
        """``(epoch seconds, value)`` points of ``metric`` per subnet, oldest first (the minimum in
        each period: the fullest moment). The batches are read side by side; the first error, in
        batch order, is raised as a loop's would be."""
        paginator = self._client.get_paginator("get_metric_data")

        def read(batch: list[str]) -> dict[str, Series]:
            queries = [
                {
                    "Id": f"s{index}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": self._namespace,
                            "MetricName": metric,
                            "Dimensions": [{"Name": DIMENSION_SUBNET, "Value": subnet_id}],
                        },
                        "Period": period_seconds,
                        "Stat": "Minimum",
                    },
                    "ReturnData": True,
                }
                for index, subnet_id in enumerate(batch)
            ]
            pages = paginator.paginate(
                MetricDataQueries=queries, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
            )
            times: dict[str, list[float]] = {subnet_id: [] for subnet_id in batch}
            values: dict[str, list[float]] = {subnet_id: [] for subnet_id in batch}
            for page in pages:
                for result in page["MetricDataResults"]:
                    subnet_id = batch[int(result["Id"][1:])]
                    times[subnet_id].extend(timestamp.timestamp() for timestamp in result["Timestamps"])
                    values[subnet_id].extend(result["Values"])
            # Into compact arrays as soon as the batch is read.
            return {subnet_id: Series(times[subnet_id], values[subnet_id]) for subnet_id in batch}

        batches = [
            subnet_ids[offset : offset + GET_METRIC_DATA_MAX_QUERIES]
            for offset in range(0, len(subnet_ids), GET_METRIC_DATA_MAX_QUERIES)
        ]
        history: dict[str, Series] = {}
        for done in concurrently(read, batches, catch=AWS_ERRORS, workers=BULK_READ_WORKERS):
            if done.error is not None:
                raise done.error
            history.update(done.value or {})
        return history
