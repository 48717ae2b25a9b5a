"""The ``Custom/VPC`` metric contract: names, units and the datums of one scan. Pure."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from subnet_monitor.core.models import Status, SubnetReport

# The Powertools service name: the ``service`` dimension of the monitor's own health metrics.
SERVICE = "subnet-monitor"
NAMESPACE = "Custom/VPC"
DIMENSION_SUBNET = "SubnetId"
AVAILABLE_IP_COUNT = "AvailableIPCount"
IP_UTILIZATION = "IPUtilization"
SCALE_HEADROOM = "ScaleHeadroom"
FREE_PREFIX_BLOCKS = "FreePrefixBlocks"
HOURS_TO_EXHAUSTION = "HoursToExhaustion"
# The verdict (core/verdict.py) as a number, so one pair of alarms carries every signal: 0 OK, 1 WARNING,
# 2 CRITICAL (docs/verdict.md).
SUBNET_STATUS = "SubnetStatus"
STATUS_LEVEL = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2}
# Per stack (Powertools EMF, ``service`` dimension): how many subnets the scan judged WARNING or worse, and
# CRITICAL. The two verdict alarms watch these, so their price does not grow with the subnets; the collector
# names the subnets in its own notification (subnet_monitor.alerts).
SUBNETS_AT_RISK = "SubnetsAtRisk"
SUBNETS_CRITICAL = "SubnetsCritical"
# Failures observed (ECS task stop, ASG launch, EKS health…) attributed to the subnet; every one counts.
IP_EXHAUSTION_FAILURES = "IPExhaustionFailures"
# Monitor health, published through Powertools EMF with the ``service`` dimension.
SUBNETS_SCANNED = "SubnetsScanned"
SCAN_ERRORS = "ScanErrors"
SCAN_DURATION = "ScanDuration"
# The failure function's health (EMF, ``service`` dimension): events it could not read or that named
# no subnet, and notifications it could not send.
UNPARSED_EVENTS = "UnparsedEvents"
NOTIFICATION_ERRORS = "NotificationErrors"


class MetricSet(enum.StrEnum):
    """The ``metrics`` setting: which per-subnet metrics a scan publishes (docs/metrics.md). Each custom metric
    costs $0.30 a month, so this is most of the monitor's price (docs/scale-and-cost.md)."""

    LEAN = "lean"
    DEFAULT = "default"
    DETAILED = "detailed"


# AvailableIPCount is the seed's series and the forecast's history: in every setting.
PUBLISHED = {
    MetricSet.LEAN: frozenset({AVAILABLE_IP_COUNT}),
    MetricSet.DEFAULT: frozenset({AVAILABLE_IP_COUNT, SUBNET_STATUS}),
    MetricSet.DETAILED: frozenset(
        {AVAILABLE_IP_COUNT, IP_UTILIZATION, SUBNET_STATUS, SCALE_HEADROOM, FREE_PREFIX_BLOCKS, HOURS_TO_EXHAUSTION}
    ),
}


def subnet_datums(reports: Iterable[SubnetReport], timestamp: datetime, metric_set: MetricSet) -> list[dict[str, Any]]:
    """PutMetricData datums for every report, all stamped with the scan's one timestamp.

    The metrics of ``metric_set`` (:data:`PUBLISHED`); of those, ScaleHeadroom, FreePrefixBlocks and
    HoursToExhaustion only where they apply (the capacity model found them), so a graph or an alarm never
    sees a made-up value.
    """
    published = PUBLISHED[metric_set]
    datums = []
    for report in reports:
        capacity = report.capacity
        values: list[tuple[str, float | None, str]] = [
            (AVAILABLE_IP_COUNT, report.available_ips, "Count"),
            (IP_UTILIZATION, report.utilization_percent, "Percent"),
            (SUBNET_STATUS, STATUS_LEVEL[report.status], "None"),
            (SCALE_HEADROOM, report.scale_headroom, "Count"),
            (FREE_PREFIX_BLOCKS, capacity.free_prefix_blocks if capacity else None, "Count"),
            (HOURS_TO_EXHAUSTION, capacity.hours_to_exhaustion if capacity else None, "None"),
        ]
        dimensions = [{"Name": DIMENSION_SUBNET, "Value": report.subnet_id}]
        datums.extend(
            {"MetricName": name, "Dimensions": dimensions, "Timestamp": timestamp, "Value": value, "Unit": unit}
            for name, value, unit in values
            if value is not None and name in published
        )
    return datums


def risk_counts(reports: Iterable[SubnetReport]) -> dict[str, int]:
    """:data:`SUBNETS_AT_RISK` (WARNING or CRITICAL) and :data:`SUBNETS_CRITICAL` for one scan's reports."""
    statuses = [report.status for report in reports]
    return {
        SUBNETS_AT_RISK: sum(status is not Status.OK for status in statuses),
        SUBNETS_CRITICAL: statuses.count(Status.CRITICAL),
    }
