"""One verdict per subnet: the worst of every signal, with its reasons (docs/verdict.md). Pure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.capacity import eks_control_plane_shortfall
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.gaps import partial_finding
from subnet_monitor.core.models import (
    NODEGROUP_INSUFFICIENT_FREE_ADDRESSES,
    Gap,
    Status,
    SubnetCapacity,
    SubnetState,
    SubnetUse,
)
from subnet_monitor.core.verdict import build_report, judge

RANK = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2}
# A /24 with 200 of its 251 addresses free: 20.32 % used, far below every utilization threshold.
ROOMY = SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/24", available_ips=200)


def report_of(capacity: SubnetCapacity | None, config: ScanConfig | None = None, state: SubnetState = ROOMY):
    return build_report(state, SubnetUse(), config or ScanConfig(), capacity)


def codes(report) -> list[tuple[str, Status]]:
    return [(reason.code, reason.status) for reason in report.status_reasons]


def test_a_roomy_subnet_short_at_max_is_a_warning_not_ok():
    # GIVEN a subnet 20 % used whose node group needs 2,209 more addresses at maxSize, 200 free (the demo's case)
    report = report_of(SubnetCapacity(ips_needed_at_max=2209))
    # THEN it is no longer a green OK: WARNING, and the reason says by how much it is short
    assert report.status == Status.WARNING
    assert codes(report) == [("headroom.short-at-max", Status.WARNING)]
    assert "short by 2009 addresses at maximum" in report.status_reasons[0].reason
    # AND the JSON report carries the reason (status keeps its three values)
    assert report.to_dict()["status_reasons"] == [
        {"code": "headroom.short-at-max", "status": "WARNING", "reason": report.status_reasons[0].reason}
    ]


def test_exactly_enough_at_max_is_ok():
    report = report_of(SubnetCapacity(ips_needed_at_max=200))
    assert (report.status, report.status_reasons) == (Status.OK, ())
    assert report.to_dict()["status_reasons"] == []


@pytest.mark.parametrize(
    ("capacity", "config", "expected"),
    [
        # a prefix subnet with no free aligned /28: a node cannot add a prefix now
        (SubnetCapacity(free_prefix_blocks=0), ScanConfig(), [("fragmentation.no-free-prefix", Status.CRITICAL)]),
        # ...even with the minimum set to 0 (that turns off the "few", not the "none")
        (
            SubnetCapacity(free_prefix_blocks=0),
            ScanConfig(min_free_prefix_blocks=0),
            [("fragmentation.no-free-prefix", Status.CRITICAL)],
        ),
        (
            SubnetCapacity(free_prefix_blocks=3),
            ScanConfig(min_free_prefix_blocks=4),
            [("fragmentation.few-free-prefixes", Status.WARNING)],
        ),
        (SubnetCapacity(free_prefix_blocks=4), ScanConfig(min_free_prefix_blocks=4), []),
        # the forecast within the horizon is a warning; at the horizon it is not
        (
            SubnetCapacity(hours_to_exhaustion=47.9),
            ScanConfig(exhaustion_horizon_hours=48),
            [("forecast.fills-within-horizon", Status.WARNING)],
        ),
        (SubnetCapacity(hours_to_exhaustion=48.0), ScanConfig(exhaustion_horizon_hours=48), []),
    ],
)
def test_each_capacity_signal_gives_its_status(capacity, config, expected):
    assert codes(report_of(capacity, config)) == expected


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        (4, [("eks-control-plane.below-update-minimum", Status.CRITICAL)]),
        (5, [("eks-control-plane.below-required", Status.WARNING)]),
        # a /28 cluster subnet (11 usable) can never have the 16 EKS recommends: a finding, not a status
        (15, []),
        (16, []),
    ],
)
def test_an_eks_cluster_subnet_below_what_eks_asks_for(available, expected):
    # GIVEN a cluster subnet with few addresses free
    state = SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/16", available_ips=available)
    finding = eks_control_plane_shortfall("platform", "subnet-0a", available)
    capacity = SubnetCapacity(findings=(finding,) if finding else ())
    # THEN the control plane's own minimums decide: an update can fail below 5 (CRITICAL), EKS requires 6
    report = report_of(capacity, ScanConfig(), state)
    assert [c for c in codes(report) if c[0].startswith("eks-control-plane")] == expected


def test_eks_reporting_insufficient_free_addresses_is_critical():
    finding = Finding(
        NODEGROUP_INSUFFICIENT_FREE_ADDRESSES, Severity.ERROR, "subnet-0a", "EKS reports platform/general unhealthy."
    )
    report = report_of(SubnetCapacity(findings=(finding,)))
    assert codes(report) == [(NODEGROUP_INSUFFICIENT_FREE_ADDRESSES, Status.CRITICAL)]
    assert report.status_reasons[0].reason == "EKS reports platform/general unhealthy."


def test_what_the_scan_could_not_see_marks_the_subnet_but_does_not_raise_it():
    # GIVEN a subnet whose ENIs could not be read: its headroom and /28 figures are absent
    gap = Gap("ec2:DescribeNetworkInterfaces", "AccessDenied", ("free_prefix_blocks", "ips_needed_at_max"))
    capacity = SubnetCapacity(gaps=(gap,), findings=(partial_finding("subnet-0a", (gap,)),))
    report = report_of(capacity)
    # THEN the status is what was seen (OK here), marked partial, with no reason made up from the unknown
    assert (report.status, report.partial, report.status_reasons) == (Status.OK, True, ())


def test_findings_that_say_what_to_look_at_do_not_raise_the_status():
    detached = Finding("consumers.detached-enis", Severity.WARNING, "subnet-0a", "3 addresses held by detached ENIs.")
    assert report_of(SubnetCapacity(findings=(detached,))).status == Status.OK


def test_reasons_come_worst_first_and_the_status_is_the_worst():
    # GIVEN a subnet 95 % used, short at max, with no free /28 and filling within the horizon
    state = SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/24", available_ips=12)
    capacity = SubnetCapacity(ips_needed_at_max=40, free_prefix_blocks=0, hours_to_exhaustion=3.0)
    report = report_of(capacity, ScanConfig(min_free_ips=20), state)
    assert report.status == Status.CRITICAL
    assert codes(report) == [
        ("utilization.critical", Status.CRITICAL),
        ("free.below-minimum", Status.CRITICAL),
        ("fragmentation.no-free-prefix", Status.CRITICAL),
        ("headroom.short-at-max", Status.WARNING),
        ("forecast.fills-within-horizon", Status.WARNING),
    ]


signals = st.builds(
    SubnetCapacity,
    ips_needed_at_max=st.none() | st.integers(0, 70_000),
    free_prefix_blocks=st.none() | st.integers(0, 4_000),
    hours_to_exhaustion=st.none() | st.floats(0, 10_000),
)


@given(
    utilization=st.floats(0, 100),
    available=st.integers(0, 65_531),
    capacity=signals,
    min_free=st.none() | st.integers(0, 65_536),
)
def test_the_status_is_the_worst_reason_and_never_below_utilization_alone(utilization, available, capacity, min_free):
    config = ScanConfig(min_free_ips=min_free, min_free_prefix_blocks=2)
    status, reasons = judge(utilization, available, capacity, config)
    assert RANK[status] == max((RANK[r.status] for r in reasons), default=0)
    # more signals never make a subnet look better than its measured figures alone
    alone, _ = judge(utilization, available, None, config)
    assert RANK[status] >= RANK[alone]
    # and OK means nothing to say
    assert (status == Status.OK) == (reasons == ())
