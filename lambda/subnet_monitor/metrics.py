"""The ``Custom/VPC`` metric contract: names, units and the datums of one scan. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from subnet_monitor.models import SubnetReport

NAMESPACE = "Custom/VPC"
DIMENSION_SUBNET = "SubnetId"
AVAILABLE_IP_COUNT = "AvailableIPCount"
IP_UTILIZATION = "IPUtilization"
# Monitor health, published through Powertools EMF with the ``service`` dimension.
SUBNETS_SCANNED = "SubnetsScanned"
SCAN_ERRORS = "ScanErrors"
SCAN_DURATION = "ScanDuration"


def subnet_datums(reports: Iterable[SubnetReport], timestamp: datetime) -> list[dict[str, Any]]:
    """PutMetricData datums for every report, all stamped with the scan's one timestamp."""
    datums = []
    for report in reports:
        dimensions = [{"Name": DIMENSION_SUBNET, "Value": report.subnet_id}]
        datums.append(
            {
                "MetricName": AVAILABLE_IP_COUNT,
                "Dimensions": dimensions,
                "Timestamp": timestamp,
                "Value": report.available_ips,
                "Unit": "Count",
            }
        )
        datums.append(
            {
                "MetricName": IP_UTILIZATION,
                "Dimensions": dimensions,
                "Timestamp": timestamp,
                "Value": report.utilization_percent,
                "Unit": "Percent",
            }
        )
    return datums
