"""The design check as ``check`` prints it: text for people, JSON for pipelines. Pure: no AWS, no I/O.

Both work from the rules' :class:`~subnet_monitor.core.findings.Finding` s, shown under the names
``check`` has always used: ``rule`` (the code), ``result`` (pass / warn / fail for the severity) and
``reason`` (the message).
"""

from __future__ import annotations

import json
from typing import Any

from subnet_monitor.core.findings import Finding
from subnet_monitor.design.model import CheckReport, Result, SubnetSizing, result_of
from subnet_monitor.render.terminal import one_line


def to_text(report: CheckReport) -> str:
    """Every rule, failures first, each with its reason and fix."""
    counts = report.counts()
    lines = [
        f"design check of {report.source} (safety margin {report.margin_percent:g} %): "
        f"{counts['fail']} fail, {counts['warn']} warn, {counts['pass']} pass"
    ]
    for item in report.ordered():
        lines.append(f"{result_of(item).upper():4}  {item.code}  {one_line(item.subject)}")
        lines.append(f"      {one_line(item.message)}")
        if item.fix:
            lines.append(f"      fix: {one_line(item.fix)}")
    lines.append(
        f"(exit code {report.exit_code}: {'every rule passed' if report.worst is Result.PASS else report.worst})"
    )
    return "\n".join(lines)


def to_json(report: CheckReport) -> str:
    document = {
        "source": report.source,
        "planned": report.planned,
        "safety_margin_percent": report.margin_percent,
        "worst": str(report.worst),
        "exit_code": report.exit_code,
        "counts": report.counts(),
        "results": [_result(r) for r in report.ordered()],
        "subnets": [_sizing(s) for s in report.sizing],
    }
    return json.dumps(document, indent=2)


def _result(finding: Finding) -> dict[str, Any]:
    item: dict[str, Any] = {
        "rule": finding.code,
        "subject": finding.subject,
        "result": str(result_of(finding)),
        "reason": finding.message,
    }
    if finding.fix:
        item["fix"] = finding.fix
    item["source"] = finding.source
    return item


def _sizing(row: SubnetSizing) -> dict[str, Any]:
    item: dict[str, Any] = {
        "subnet": row.key,
        "vpc": row.vpc,
        "availability_zone": row.availability_zone,
        "cidr": row.cidr,
        "usable_ips": row.usable,
        "in_use": row.in_use,
        "ips_needed_at_max": row.needed_at_max,
        "required_with_margin": row.required_with_margin,
        "result": str(row.result),
        "workloads": dict(row.contributions),
    }
    if row.prefix_blocks is not None:
        item["prefix_blocks_at_max"] = row.prefix_blocks
    if row.smallest_prefix is not None:
        item["smallest_fitting_prefix"] = f"/{row.smallest_prefix}"
    return item
