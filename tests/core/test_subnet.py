"""Usable-address arithmetic, utilization and status. Pure: no AWS, no mocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.models import Role, Status, SubnetState, SubnetUse, Workload
from subnet_monitor.core.subnet import sort_for_people, usable_ips, utilization_percent
from subnet_monitor.core.verdict import build_report, judge


def status_of(utilization: float, available: int, config: ScanConfig) -> Status:
    """The verdict from the measured figures alone (no capacity model)."""
    return judge(utilization, available, None, config)[0]


# AWS reserves 5 addresses in every subnet, so usable = 2^(32 - prefix) - 5; the VPC user guide's
# example: "a subnet with CIDR block 10.0.0.0/24 ... 251 IP addresses available".
# https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
PUBLISHED_USABLE = {
    16: 65_531,
    17: 32_763,
    18: 16_379,
    19: 8_187,
    20: 4_091,
    21: 2_043,
    22: 1_019,
    23: 507,
    24: 251,
    25: 123,
    26: 59,
    27: 27,
    28: 11,
}


@pytest.mark.parametrize(("prefix", "usable"), sorted(PUBLISHED_USABLE.items()))
def test_usable_ips_per_prefix(prefix: int, usable: int) -> None:
    assert usable_ips(f"10.0.0.0/{prefix}") == usable


@pytest.mark.parametrize("cidr", ["10.0.0.0/15", "10.0.0.0/29", "10.0.0.0/32", "not-a-cidr", "2001:db8::/64"])
def test_usable_ips_refuses_what_cannot_be_a_subnet(cidr: str) -> None:
    with pytest.raises(ValueError, match=r"/16|does not appear|Expected|IPv4"):
        usable_ips(cidr)


@given(prefix=st.integers(16, 28), data=st.data())
def test_utilization_is_bounded_and_falls_as_addresses_free_up(prefix: int, data: st.DataObject) -> None:
    usable = usable_ips(f"10.0.0.0/{prefix}")
    available = data.draw(st.integers(0, usable - 1))
    assert utilization_percent(usable, usable) == 0.0
    assert utilization_percent(usable, 0) == 100.0
    assert 0.0 <= utilization_percent(usable, available + 1) <= utilization_percent(usable, available) <= 100.0
    exact = (usable - available) / usable * 100
    assert abs(utilization_percent(usable, available) - exact) <= 0.005


@given(
    warning=st.floats(1, 98),
    gap=st.floats(0.5, 50),
    utilization=st.floats(0, 100),
    available=st.integers(0, 70_000),
)
def test_status_is_monotonic_in_utilization(warning: float, gap: float, utilization: float, available: int) -> None:
    critical = min(warning + gap, 99.5)
    config = ScanConfig(warning_percent=warning, critical_percent=critical)
    status = status_of(utilization, available, config)
    expected = Status.CRITICAL if utilization >= critical else Status.WARNING if utilization >= warning else Status.OK
    assert status == expected


@pytest.mark.parametrize(
    ("utilization", "available", "min_free", "expected"),
    [
        (79.99, 100, None, Status.OK),
        (80.0, 100, None, Status.WARNING),
        (89.99, 100, None, Status.WARNING),
        (90.0, 100, None, Status.CRITICAL),
        (10.0, 9, 10, Status.CRITICAL),  # below the minimum free count
        (10.0, 10, 10, Status.OK),  # exactly the minimum is enough
    ],
)
def test_status_thresholds(utilization: float, available: int, min_free: int | None, expected: Status) -> None:
    assert status_of(utilization, available, ScanConfig(min_free_ips=min_free)) == expected


def test_build_report_measures_and_orders() -> None:
    # GIVEN a /26 with 5 addresses left, used by a service and a node group
    state = SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/26", available_ips=5)
    use = SubnetUse(
        roles={Role.EKS_NODE, Role.ECS_TASK},
        workloads={Workload("eks-nodegroup", "platform", "general"), Workload("ecs-service", "payments", "api")},
    )

    # WHEN a report is built
    report = build_report(state, use, ScanConfig())

    # THEN the figures follow the arithmetic and roles/workloads come in a stable order
    assert (report.usable_ips, report.available_ips, report.used_ips) == (59, 5, 54)
    assert report.utilization_percent == 91.53
    assert report.status == Status.CRITICAL
    assert report.roles == (Role.ECS_TASK, Role.EKS_NODE)
    assert [w.kind for w in report.workloads] == ["ecs-service", "eks-nodegroup"]


def test_available_above_usable_is_clamped() -> None:
    state = SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/28", available_ips=12)
    report = build_report(state, SubnetUse(), ScanConfig())
    assert (report.available_ips, report.used_ips, report.utilization_percent) == (11, 0, 0.0)


def test_sort_for_people_puts_the_fullest_first() -> None:
    config = ScanConfig()
    reports = [
        build_report(SubnetState(sid, "vpc", "az", cidr, available), SubnetUse(), config)
        for sid, cidr, available in [
            ("subnet-c", "10.0.0.0/24", 200),
            ("subnet-a", "10.0.1.0/28", 1),
            ("subnet-b", "10.0.2.0/24", 10),
        ]
    ]
    assert [r.subnet_id for r in sort_for_people(reports)] == ["subnet-b", "subnet-a", "subnet-c"]
