"""The forecast's history kept in the collector's table (core/history.py): CloudWatch is read only for what
the table does not hold, and the forecast is the same either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from fixtures.estate import moto_client_factory
from fixtures.failure_stack import LocalFailureStack
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.aws.risk import HistoryRecords
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.failures.patterns import DEFAULT_PATTERNS
from subnet_monitor.scan import run_scan
from tests.moto_estate import REGION, CallCounter, Vpc


@pytest.fixture
def kept(aws: boto3.Session) -> HistoryRecords:
    stack = LocalFailureStack.create(moto_client_factory(None, region=REGION), DEFAULT_PATTERNS)
    return HistoryRecords(aws.client("dynamodb"), stack.table_name)


def rising_history(aws: boto3.Session, subnet: str, start: float) -> None:
    """3 hours of earlier scans of a /24 rising 10 addresses an hour to ``start`` free now."""
    now = datetime.now(UTC)
    aws.client("cloudwatch").put_metric_data(
        Namespace="Custom/VPC",
        MetricData=[
            {
                "MetricName": "AvailableIPCount",
                "Dimensions": [{"Name": "SubnetId", "Value": subnet}],
                "Timestamp": now - timedelta(minutes=5 * step),
                "Value": start + 10 * 5 * step / 60,
                "Unit": "Count",
            }
            for step in range(36, 0, -1)
        ],
    )


def test_the_second_scan_reads_no_history_from_cloudwatch_and_forecasts_the_same(
    aws: boto3.Session, clients: AwsClients, vpc: Vpc, counter: CallCounter, kept: HistoryRecords
) -> None:
    # GIVEN a subnet filling 10 addresses an hour, as earlier scans published it, and a flat one
    rising, flat = vpc.subnet(), vpc.subnet()
    vpc.consume(rising, 100)
    vpc.consume(flat, 100)
    rising_history(aws, rising, 151)
    config = ScanConfig(subnet_ids=(rising, flat), exhaustion_horizon_hours=24)

    # WHEN the collector scans with its table, twice
    first = run_scan(clients, config, publish=True, kept=kept)
    read_first = counter.calls["cloudwatch.GetMetricData"]
    second = run_scan(clients, config, publish=True, kept=kept)

    # THEN the first scan read the history from CloudWatch (the table held none), the second read none
    assert (first.errors, second.errors) == ([], [])
    assert read_first == 1
    assert counter.calls["cloudwatch.GetMetricData"] == 1
    # AND both forecast the rising subnet to run out in about 151 / 10 = 15 hours, the flat one never
    hours = [
        next(r for r in scan.reports if r.subnet_id == rising).capacity.hours_to_exhaustion for scan in (first, second)
    ]
    assert all(abs(h - 15.1) < 0.6 for h in hours), hours
    assert all(
        next(r for r in scan.reports if r.subnet_id == flat).capacity.hours_to_exhaustion is None
        for scan in (first, second)
    )
    # AND the table holds each subnet's 6 hours, with this scan's free addresses last
    stored = kept.load(datetime.now(UTC).timestamp())
    assert set(stored) == {rising, flat}
    assert stored[rising][-1][1] == 151.0
    assert 30 <= len(stored[rising]) <= 38


def test_a_subnet_the_table_does_not_hold_is_read_from_cloudwatch_alone(
    aws: boto3.Session, clients: AwsClients, vpc: Vpc, counter: CallCounter, kept: HistoryRecords
) -> None:
    # GIVEN a scan that kept one subnet's history
    known = vpc.subnet()
    run_scan(clients, ScanConfig(subnet_ids=(known,)), publish=True, kept=kept)
    queries: list[int] = []
    clients.cloudwatch.meta.events.register(
        "before-parameter-build.cloudwatch.GetMetricData",
        lambda params, **_: queries.append(len(params["MetricDataQueries"])),
    )
    # WHEN a new subnet is monitored too
    new = vpc.subnet()
    outcome = run_scan(clients, ScanConfig(subnet_ids=(known, new)), publish=True, kept=kept)
    # THEN CloudWatch is asked for the new one's history only, and both are kept from now on
    assert outcome.errors == []
    assert queries == [1]
    assert set(kept.load(datetime.now(UTC).timestamp())) == {known, new}


def test_without_the_table_the_scan_reads_cloudwatch_and_says_what_it_could_not_keep(
    aws: boto3.Session, clients: AwsClients, vpc: Vpc, kept: HistoryRecords
) -> None:
    # GIVEN the table is gone
    subnet = vpc.subnet()
    aws.client("dynamodb").delete_table(TableName=kept._table)
    # WHEN scanned THEN the history comes from CloudWatch, the report is whole, and both failures are said
    outcome = run_scan(clients, ScanConfig(subnet_ids=(subnet,)), publish=True, kept=kept)
    assert [r.subnet_id for r in outcome.reports] == [subnet]
    assert [(e.source, e.target) for e in outcome.errors] == [
        ("dynamodb", "read the forecast's history"),
        ("dynamodb", "keep the forecast's history"),
    ]
    assert outcome.published is not None and outcome.published.datums_failed == 0
