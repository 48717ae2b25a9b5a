"""What the failure path's tests read back: the event handler's result and log, and IPExhaustionFailures
as CloudWatch returns it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3


@dataclass
class Invocation:
    summary: dict[str, Any]
    records: list[dict[str, Any]]

    def logged(self, message: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("message") == message]

    def emf(self) -> dict[str, Any]:
        return next(r for r in self.records if "_aws" in r)


def failures_counted(aws: boto3.Session, subnet_id: str) -> float | None:
    """Sum of IPExhaustionFailures{SubnetId} over the last hour, as CloudWatch returns it."""
    now = datetime.now(UTC)
    [result] = aws.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "f",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Custom/VPC",
                        "MetricName": "IPExhaustionFailures",
                        "Dimensions": [{"Name": "SubnetId", "Value": subnet_id}],
                    },
                    "Period": 3600,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
    )["MetricDataResults"]
    return sum(result["Values"]) if result["Values"] else None
