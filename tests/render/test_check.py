"""check's text and JSON, rendered from the rules' Findings under the names check has always shown."""

from __future__ import annotations

import json

from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.design.builders import design_from_plan
from subnet_monitor.design.plan import load_plan
from subnet_monitor.design.rules import check_design
from subnet_monitor.render.check import to_json, to_text
from tests.design.test_plan import EXAMPLE


def test_a_failing_rule_is_a_finding_shown_as_rule_result_reason_fix_source() -> None:
    # GIVEN the example plan, whose node subnets are too small
    report = check_design(design_from_plan(load_plan(EXAMPLE), source="plan examples/plan.json"))
    [first, *_] = report.ordered()
    # THEN the worst result is an error Finding of the sizing rule, citing the capacity page
    assert isinstance(first, Finding)
    assert (first.code, first.severity, first.source) == ("subnet-sizing", Severity.ERROR, "docs/capacity.md")
    # AND the JSON shows it with check's keys, in check's order
    shown = json.loads(to_json(report))["results"][0]
    assert list(shown) == ["rule", "subject", "result", "reason", "fix", "source"]
    assert shown == {
        "rule": first.code,
        "subject": first.subject,
        "result": "fail",
        "reason": first.message,
        "fix": first.fix,
        "source": "docs/capacity.md",
    }
    # AND the text leads with it, FAIL first
    lines = to_text(report).splitlines()
    assert lines[1:4] == [f"FAIL  subnet-sizing  {first.subject}", f"      {first.message}", f"      fix: {first.fix}"]


def test_a_passing_rule_has_no_fix_key() -> None:
    report = check_design(design_from_plan(load_plan(EXAMPLE)))
    passed = [r for r in json.loads(to_json(report))["results"] if r["result"] == "pass"]
    assert passed and all(list(r) == ["rule", "subject", "result", "reason", "source"] for r in passed)
    assert sum(1 for r in report.results if r.severity is Severity.OK) == len(passed)
