"""Rendering a scan for people (a table) and for scripts (the JSON report contract). Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence

from subnet_monitor.core.models import ScanError, SubnetReport
from subnet_monitor.core.whatif import Change, WhatIfOutcome
from subnet_monitor.render.terminal import one_line, table

COLUMNS = (
    "SUBNET",
    "AZ",
    "CIDR",
    "USED",
    "USABLE",
    "FREE",
    "UTIL%",
    "HEADROOM",
    "FREE/28",
    "FULL_IN_H",
    "STATUS",
    "ROLES",
    "WORKLOADS",
)
NUMERIC_COLUMNS = frozenset(range(3, 10))
NOT_APPLICABLE = "-"
# A status the scan could not fully back: some of the subnet's reads failed (its gaps).
PARTIAL_MARK = "*"
PARTIAL_NOTE = (
    f"{PARTIAL_MARK} not fully seen: some reads failed, so some figures are not known "
    "(the visibility.partial findings name them; --json lists them as gaps)"
)
WORKLOADS_SHOWN = 3
WHAT_IF_HEADING = "what-if (the table above is the estate after these changes; nothing in AWS was changed):"
WHAT_IF_COLUMNS = ("SUBNET", "AZ", "NEEDED_AT_MAX", "HEADROOM", "FREE/28", "STATUS", "WORKLOADS")
# before -> after, in the what-if table (ASCII: it prints in any terminal)
ARROW = " -> "


def to_json(reports: Sequence[SubnetReport], what_if: WhatIfOutcome | None = None) -> str:
    """One object per subnet, fields as docs/reference/json-report.md documents them; with what-ifs,
    each subnet they reach also carries ``what_if`` (its changes, and its figures before and after)."""
    reached = what_if.subnets if what_if is not None else {}
    objects = [report.to_dict() for report in reports]
    for subnet in objects:
        if subnet["subnet_id"] in reached:
            subnet["what_if"] = reached[subnet["subnet_id"]].to_dict()
    return json.dumps(objects, indent=2)


def to_table(reports: Sequence[SubnetReport]) -> str:
    """A fixed-width table, in the order given (the pipeline sorts fullest first)."""
    rows = [COLUMNS]
    for r in reports:
        names = [f"{w.cluster}/{w.name}" if w.name != w.cluster else w.cluster for w in r.workloads]
        shown = ", ".join(dict.fromkeys(names[:WORKLOADS_SHOWN]))
        if len(names) > WORKLOADS_SHOWN:
            shown += f" +{len(names) - WORKLOADS_SHOWN}"
        row = (
            r.subnet_id,
            r.availability_zone,
            r.cidr,
            str(r.used_ips),
            str(r.usable_ips),
            str(r.available_ips),
            f"{r.utilization_percent:.1f}",
            _optional(r.scale_headroom),
            _optional(r.capacity.free_prefix_blocks if r.capacity else None),
            _optional(r.capacity.hours_to_exhaustion if r.capacity else None),
            str(r.status) + (PARTIAL_MARK if r.partial else ""),
            ",".join(r.roles) or "-",
            shown or "-",
        )
        rows.append(row)
    lines = table(rows, NUMERIC_COLUMNS)
    if not reports:
        lines.append("(no subnets in use by ECS or EKS, and none selected)")
    if any(r.partial for r in reports):
        lines.append(PARTIAL_NOTE)
    return "\n".join(lines)


def what_if_text(reports: Sequence[SubnetReport], what_if: WhatIfOutcome) -> str:
    """The changes, each with its value before and after, then each subnet they reach, before -> after,
    in the report's order."""
    lines = [WHAT_IF_HEADING]
    lines += [
        one_line(f"  {change.spec}: {change.setting} {_optional(change.before)}{ARROW}{_optional(change.after)}")
        for change in what_if.changes
    ]
    rows = [WHAT_IF_COLUMNS]
    for report in reports:
        reached = what_if.subnets.get(report.subnet_id)
        if reached is None:
            continue
        before, after = reached.before, reached.after
        rows.append(
            (
                report.subnet_id,
                report.availability_zone,
                _moved(before.ips_needed_at_max, after.ips_needed_at_max),
                _moved(before.scale_headroom, after.scale_headroom),
                _moved(before.free_prefix_blocks, after.free_prefix_blocks),
                _moved(str(before.status), str(after.status)),
                _changed(report, reached.changes),
            )
        )
    if len(rows) == 1:
        lines.append("(no subnet reached: the changed workloads hold no subnet the scan measured)")
        return "\n".join(lines)
    lines += table(rows)
    return "\n".join(lines)


def _changed(report: SubnetReport, changes: Sequence[Change]) -> str:
    """The subnet's workloads the changes reach (a cluster's: its node groups here)."""
    held = set(report.workloads)
    names = [f"{w.cluster}/{w.name}" for c in changes for w in sorted(c.changes & held)]
    return ", ".join(dict.fromkeys(names)) or "-"


def _moved(before: float | str | None, after: float | str | None) -> str:
    return f"{_optional(before)}{ARROW}{_optional(after)}"


def reasons_text(reports: Sequence[SubnetReport]) -> str:
    """Why each subnet that is not OK has its status, one line a reason, worst first, in the table's order."""
    lines = [
        f"- {report.subnet_id} {reason.status}: {reason.reason} ({reason.code})"
        for report in reports
        for reason in report.status_reasons
    ]
    return "\n".join(["why (status reasons):", *lines]) if lines else ""


def findings_text(reports: Sequence[SubnetReport]) -> str:
    """Every finding, fullest subnet first, one paragraph each."""
    lines = [
        f"- {one_line(finding.sentence())}"
        for report in reports
        if report.capacity is not None
        for finding in report.capacity.findings
    ]
    return "\n".join([f"findings ({len(lines)}):", *lines]) if lines else ""


def _optional(value: float | str | None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return NOT_APPLICABLE
    return f"{value:g}" if isinstance(value, float) else str(value)


def errors_text(errors: Sequence[ScanError]) -> str:
    return "\n".join(one_line(f"error: [{e.source}] {e.target}: {e.message}") for e in errors)
