"""2,500 subnets measured, assessed and published in the minimum number of calls the API limits allow."""

from __future__ import annotations

import math

import pytest

from fixtures import moto_speedups
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.aws.cloudwatch import GET_METRIC_DATA_MAX_QUERIES, PUT_METRIC_DATA_MAX_DATUMS
from subnet_monitor.aws.ec2 import DESCRIBE_SUBNETS_PAGE_MAX
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.scan import run_scan
from tests.moto_estate import CallCounter, Vpc

SUBNETS = 2_500
# AvailableIPCount, IPUtilization and SubnetStatus (nothing to model: no headroom, no /28s, no history)
METRICS_PER_SUBNET = 2  # the default setting: AvailableIPCount and SubnetStatus (no modelled workload here)
# moto's default VPC: one default subnet per AZ of us-east-1.
DEFAULT_SUBNETS = 6


@pytest.fixture
def ec2_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto answers DescribeSubnets and DescribeNetworkInterfaces in one response whatever MaxResults
    says; page them as EC2 does (at most MaxResults items, then a NextToken), so that the calls counted
    are the calls a real scan makes."""
    for owner, name, paged in moto_speedups.paging():
        monkeypatch.setattr(owner, name, paged)


@pytest.mark.usefixtures("ec2_pages")
def test_2500_subnets_take_the_minimum_number_of_calls(vpc: Vpc, clients: AwsClients, counter: CallCounter) -> None:
    # GIVEN 2,500 subnets listed explicitly (the /16 holds 4,096 /28s), in a region of 2,506
    subnet_ids = tuple(vpc.subnet(prefix=28) for _ in range(SUBNETS))

    # WHEN scanned and published
    outcome = run_scan(clients, ScanConfig(subnet_ids=subnet_ids, discover_ecs=False, discover_eks=False), publish=True)

    # THEN every subnet is measured and published ...
    assert len(outcome.reports) == SUBNETS
    assert outcome.errors == []
    assert outcome.published is not None
    assert outcome.published.datums_sent == SUBNETS * METRICS_PER_SUBNET
    # ... reading the whole region, ceil(2,506 / 1,000) = 3 pages, rather than ceil(2,500 / 200 filter
    # values) = 13 calls by ID; their ENIs by VPC (the one VPC holds them all), one page as none are in
    # use; ceil(2,500 / 500 queries) = 5 GetMetricData calls for the history, ceil(5,000 datums / 1,000)
    # = 5 PutMetricData calls, and nothing else
    assert counter.calls == {
        "ec2.DescribeSubnets": math.ceil((SUBNETS + DEFAULT_SUBNETS) / DESCRIBE_SUBNETS_PAGE_MAX),
        "ec2.DescribeNetworkInterfaces": 1,
        "cloudwatch.GetMetricData": math.ceil(SUBNETS / GET_METRIC_DATA_MAX_QUERIES),
        "cloudwatch.PutMetricData": math.ceil(SUBNETS * METRICS_PER_SUBNET / PUT_METRIC_DATA_MAX_DATUMS),
    }
    assert list(counter.calls.values()) == [3, 1, 5, 5]
