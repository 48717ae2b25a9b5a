"""The HTML page from plain values: well formed, self-contained, escaped, one chart per number."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import Gap, Role, Status, StatusReason, SubnetCapacity, SubnetReport, Workload
from subnet_monitor.design.builders import design_from_plan
from subnet_monitor.design.plan import load_plan
from subnet_monitor.design.rules import check_design
from subnet_monitor.render.charts import BAR_WIDTH, usage_bar
from subnet_monitor.render.html import CHECK_SCRIPT, CHECK_SCRIPT_HASH, ReportPage, render_html
from tests.design.test_plan import EXAMPLE
from tests.support_html import parse_page

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def subnet(subnet_id: str, zone: str, used: int, *, status: Status = Status.OK, **capacity: object) -> SubnetReport:
    return SubnetReport(
        subnet_id=subnet_id,
        vpc_id="vpc-1",
        availability_zone=zone,
        cidr="10.0.0.0/24",
        usable_ips=251,
        available_ips=251 - used,
        used_ips=used,
        utilization_percent=round(used / 251 * 100, 2),
        roles=(Role.ECS_TASK,),
        workloads=(Workload("ecs-service", "shop", "web"),),
        status=status,
        capacity=SubnetCapacity(**capacity) if capacity else None,  # type: ignore[arg-type]
    )


def test_page_is_well_formed_self_contained_and_names_every_subnet() -> None:
    # GIVEN two zones, a full subnet with findings and a forecast, a subnet without a capacity model
    reports = [
        subnet(
            "subnet-0aaa",
            "az-a",
            240,
            status=Status.CRITICAL,
            ips_needed_at_max=30,
            consumers={"ecs_task": 230, "lambda": 10},
            hours_to_exhaustion=5.5,
            findings=(
                Finding(
                    "headroom.short-at-max",
                    Severity.ERROR,
                    "subnet-0aaa",
                    "subnet subnet-0aaa: short by 19.",
                    "add a subnet",
                    "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html",
                ),
            ),
        ),
        subnet("subnet-0bbb", "az-b", 10),
    ]
    page = ReportPage(
        title="Subnet IP report",
        source="eu-west-1",
        generated_at=NOW,
        reports=reports,
        names={"subnet-0aaa": "tasks-<a>"},
        vpcs={"vpc-1": ["10.0.0.0/16"]},
    )

    # WHEN rendered
    text = render_html(page)
    parsed = parse_page(text)

    # THEN it parses with every tag closed, each subnet has its row, and nothing is loaded from anywhere
    assert parsed.problems == []
    assert {"subnet-0aaa", "subnet-0bbb"} <= parsed.ids
    assert parsed.urls == []
    assert "default-src 'none'" in parsed.meta["Content-Security-Policy"]
    # AND two charts per subnet (utilization, consumers)
    assert parsed.charts == 4
    # AND names are escaped, findings show their fix, the forecast is flagged
    assert "tasks-&lt;a&gt;" in text and "tasks-<a>" not in text
    body = " ".join(parsed.text)
    assert "Fix: add a subnet" in body
    # AND each finding shows its source (as text: the page links nowhere), severity and code
    assert "Source: https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html" in body
    assert '<div class="finding error">' in text
    assert "headroom.short-at-max" in body
    assert "≈5.5 h" in body
    assert "VPC vpc-1 · 10.0.0.0/16" in body


def test_the_only_script_is_allowed_by_its_hash() -> None:
    text = render_html(ReportPage(title="t", source="s", generated_at=NOW))
    assert re.findall(r"<script>(.*?)</script>", text) == [CHECK_SCRIPT]
    assert f"script-src 'sha256-{CHECK_SCRIPT_HASH}'" in text


def test_usage_bar_scales_to_the_larger_of_subnet_and_need() -> None:
    # GIVEN 100 of 200 used and 300 more needed: the bar spans 400, the subnet ends halfway
    bar = usage_bar(200, 100, 300, "#000")
    widths = [float(w) for w in re.findall(r'<rect x="[^"]+" y="3" width="([^"]+)"', bar)]
    # free space (200), used (100), needed inside the subnet (100), needed beyond it (200)
    assert widths == [BAR_WIDTH / 2, BAR_WIDTH / 4, BAR_WIDTH / 4, BAR_WIDTH / 2]
    assert 'fill="url(#over)"' in bar


def test_a_plan_check_shows_its_planned_subnets_at_maximum_scale() -> None:
    check = check_design(design_from_plan(load_plan(EXAMPLE), source="plan examples/plan.json"))
    text = render_html(ReportPage(title="Subnet design check", source=check.source, generated_at=NOW, checks=(check,)))
    parsed = parse_page(text)
    assert parsed.problems == []
    # every planned subnet that holds workloads has its sizing row and bar, with the advice for the failing ones
    assert {f"plan-{row.key}" for row in check.sizing} <= parsed.ids
    assert parsed.charts == len(check.sizing)
    assert "/22" in " ".join(parsed.text)
    assert "3 fail · 3 warn" in " ".join(parsed.text)


def test_a_subnet_the_scan_could_not_fully_see_is_badged_and_its_unknown_breakdown_says_so() -> None:
    # GIVEN a subnet whose ENIs could not be read (consumers unknown) beside one seen in full
    unseen = subnet(
        "subnet-0aaa",
        "az-a",
        40,
        consumers=None,
        gaps=(Gap("ec2:DescribeNetworkInterfaces", "AccessDenied", ("consumers",)),),
    )
    seen = subnet("subnet-0bbb", "az-a", 10, consumers={"ecs_task": 10})
    # WHEN the page is rendered
    page = render_html(ReportPage(title="t", source="s", generated_at=NOW, reports=[unseen, seen]))
    # THEN only the unseen subnet carries the badge naming the failed read, and no empty consumer bar
    assert page.count('class="badge partial"') == 1
    assert 'title="not fully seen: ec2:DescribeNetworkInterfaces"' in page
    assert "not known (ENIs not read)" in page


def test_a_subnet_that_is_not_ok_says_why_under_its_status() -> None:
    # GIVEN a roomy subnet that cannot reach its maximum (the verdict's reason) beside an OK one
    short = replace(
        subnet("subnet-0aaa", "az-a", 40, status=Status.WARNING, ips_needed_at_max=250),
        status_reasons=(StatusReason("headroom.short-at-max", Status.WARNING, "short by 39 addresses at maximum <b>"),),
    )
    page = render_html(
        ReportPage(title="t", source="s", generated_at=NOW, reports=[short, subnet("subnet-0bbb", "az-a", 10)])
    )
    # THEN the reason is under the WARNING badge, escaped, with its code on hover; the OK subnet has none
    assert parse_page(page).problems == []
    assert page.count('class="why"') == 1
    assert '<small class="why" title="headroom.short-at-max">short by 39 addresses at maximum &lt;b&gt;</small>' in page
