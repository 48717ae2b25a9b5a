"""The ``Custom/VPC`` metric contract: names, units and the datums of one scan. Pure."""

from __future__ import annotations

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


def subnet_datums(reports: Iterable[SubnetReport], timestamp: datetime) -> list[dict[str, Any]]:
    """PutMetricData datums for every report, all stamped with the scan's one timestamp.

    AvailableIPCount, IPUtilization and SubnetStatus always; ScaleHeadroom, FreePrefixBlocks and HoursToExhaustion
    only where they apply (the capacity model found them), so an alarm never sees a made-up value.
    """
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
            if value is not None
        )
    return datums
