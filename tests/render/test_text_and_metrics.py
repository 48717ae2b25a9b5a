"""Datums for PutMetricData, batching, and the table and JSON renderings. Pure."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.aws.batching import batched
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.metrics import MetricSet, risk_counts, subnet_datums
from subnet_monitor.core.models import Role, SubnetCapacity, SubnetReport, SubnetState, SubnetUse, Workload
from subnet_monitor.core.verdict import build_report
from subnet_monitor.render.text import findings_text, reasons_text, to_json, to_table

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def report(
    subnet_id: str = "subnet-0a", available: int = 5, cidr: str = "10.0.0.0/26", workloads: int = 1
) -> SubnetReport:
    use = SubnetUse(
        roles={Role.ECS_TASK},
        workloads={Workload("ecs-service", "payments", f"svc-{i}") for i in range(workloads)},
    )
    return build_report(SubnetState(subnet_id, "vpc-1", "eu-west-1a", cidr, available), use, ScanConfig())


def test_detailed_datums_carry_the_contracts_names_units_and_one_timestamp() -> None:
    datums = subnet_datums([report("subnet-0a"), report("subnet-0b", available=59)], NOW, MetricSet.DETAILED)
    assert [(d["MetricName"], d["Dimensions"], d["Value"], d["Unit"]) for d in datums] == [
        ("AvailableIPCount", [{"Name": "SubnetId", "Value": "subnet-0a"}], 5, "Count"),
        ("IPUtilization", [{"Name": "SubnetId", "Value": "subnet-0a"}], 91.53, "Percent"),
        # the verdict as a number: 2 CRITICAL (91.53 % used), 0 OK
        ("SubnetStatus", [{"Name": "SubnetId", "Value": "subnet-0a"}], 2, "None"),
        ("AvailableIPCount", [{"Name": "SubnetId", "Value": "subnet-0b"}], 59, "Count"),
        ("IPUtilization", [{"Name": "SubnetId", "Value": "subnet-0b"}], 0.0, "Percent"),
        ("SubnetStatus", [{"Name": "SubnetId", "Value": "subnet-0b"}], 0, "None"),
    ]
    assert {d["Timestamp"] for d in datums} == {NOW}


def test_the_metrics_setting_decides_the_series_and_available_ip_count_is_in_every_one() -> None:
    reports = [report("subnet-0a"), report("subnet-0b", available=59)]

    def names(metric_set: MetricSet) -> list[tuple[str, str]]:
        return [(d["Dimensions"][0]["Value"], d["MetricName"]) for d in subnet_datums(reports, NOW, metric_set)]

    assert names(MetricSet.LEAN) == [("subnet-0a", "AvailableIPCount"), ("subnet-0b", "AvailableIPCount")]
    assert names(MetricSet.DEFAULT) == [
        ("subnet-0a", "AvailableIPCount"),
        ("subnet-0a", "SubnetStatus"),
        ("subnet-0b", "AvailableIPCount"),
        ("subnet-0b", "SubnetStatus"),
    ]
    assert set(names(MetricSet.LEAN)) < set(names(MetricSet.DEFAULT)) < set(names(MetricSet.DETAILED))


def test_risk_counts_count_warning_or_worse_and_critical() -> None:
    critical, ok = report("subnet-0a"), report("subnet-0b", available=59)
    warning = report("subnet-0c", available=10)  # 10 of 59 free: 83 % used
    assert (critical.status, warning.status, ok.status) == ("CRITICAL", "WARNING", "OK")
    assert risk_counts([critical, warning, ok, ok]) == {"SubnetsAtRisk": 2, "SubnetsCritical": 1}
    assert risk_counts([]) == {"SubnetsAtRisk": 0, "SubnetsCritical": 0}


@given(items=st.lists(st.integers(), max_size=3000), size=st.integers(1, 1000))
def test_batched_keeps_order_and_fills_batches(items: list[int], size: int) -> None:
    batches = list(batched(items, size))
    assert [x for batch in batches for x in batch] == items
    assert all(len(batch) == size for batch in batches[:-1])
    assert len(batches) == -(-len(items) // size)


def test_json_is_one_object_per_subnet() -> None:
    assert json.loads(to_json([report()])) == [
        {
            "subnet_id": "subnet-0a",
            "vpc_id": "vpc-1",
            "availability_zone": "eu-west-1a",
            "cidr": "10.0.0.0/26",
            "usable_ips": 59,
            "available_ips": 5,
            "used_ips": 54,
            "utilization_percent": 91.53,
            "roles": ["ecs-task"],
            "workloads": [{"kind": "ecs-service", "cluster": "payments", "name": "svc-0"}],
            "status": "CRITICAL",
            "status_reasons": [
                {
                    "code": "utilization.critical",
                    "status": "CRITICAL",
                    "reason": "91.53% used, at or above criticalPercent (90%)",
                }
            ],
        }
    ]


def test_json_carries_each_finding_as_a_sentence_and_structured_in_the_same_order() -> None:
    # GIVEN a subnet with a finding that has a fix and a source, and one that has neither
    short = Finding(
        "headroom.short-at-max", Severity.ERROR, "subnet-0a", "subnet subnet-0a: short by 3.", "add a subnet"
    )
    filling = Finding(
        "forecast.fills-within-horizon", Severity.WARNING, "subnet-0a", "subnet subnet-0a fills up in about 9 h"
    )
    full = replace(report(), capacity=SubnetCapacity(findings=(short, filling)))

    # WHEN rendered as JSON
    [item] = json.loads(to_json([full]))

    # THEN the sentences are as before, and finding_details holds the same findings field by field
    assert item["findings"] == [
        "subnet subnet-0a: short by 3. Fix: add a subnet",
        "subnet subnet-0a fills up in about 9 h",
    ]
    assert item["finding_details"] == [
        {
            "code": "headroom.short-at-max",
            "severity": "error",
            "subject": "subnet-0a",
            "message": "subnet subnet-0a: short by 3.",
            "fix": "add a subnet",
            "source": None,
        },
        {
            "code": "forecast.fills-within-horizon",
            "severity": "warning",
            "subject": "subnet-0a",
            "message": "subnet subnet-0a fills up in about 9 h",
            "fix": None,
            "source": None,
        },
    ]
    # AND the text list prints the same sentences; a subnet without a capacity model has neither key
    assert findings_text([full]).splitlines() == ["findings (2):", *(f"- {s}" for s in item["findings"])]
    assert {"findings", "finding_details"}.isdisjoint(json.loads(to_json([report()]))[0])


def test_reasons_text_says_why_each_subnet_is_not_ok_and_nothing_when_all_are() -> None:
    # GIVEN a full subnet, and a roomy one whose service cannot reach its maximum
    short = build_report(
        SubnetState("subnet-0b", "vpc-1", "eu-west-1a", "10.0.0.0/24", 200),
        SubnetUse(),
        ScanConfig(),
        SubnetCapacity(ips_needed_at_max=230),
    )
    # THEN one line a reason, in the order given, naming subnet, status, reason and code
    assert reasons_text([report(), short]).splitlines() == [
        "why (status reasons):",
        "- subnet-0a CRITICAL: 91.53% used, at or above criticalPercent (90%) (utilization.critical)",
        "- subnet-0b WARNING: short by 30 addresses at maximum (230 more needed, 200 free) (headroom.short-at-max)",
    ]
    assert reasons_text([report(available=59)]) == ""


def test_table_abbreviates_long_workload_lists_and_says_when_empty() -> None:
    lines = to_table([report(workloads=5)]).splitlines()
    assert lines[1].endswith("payments/svc-0, payments/svc-1, payments/svc-2 +2")
    assert "no subnets in use" in to_table([])
