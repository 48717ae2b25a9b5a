"""Rendering a scan for people (a table) and for scripts (the JSON report contract). Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence

from subnet_monitor.core.models import ScanError, SubnetReport
from subnet_monitor.render.terminal import one_line

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


def to_json(reports: Sequence[SubnetReport]) -> str:
    """One object per subnet, fields as docs/reference/json-report.md documents them."""
    return json.dumps([report.to_dict() for report in reports], indent=2)


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
        rows.append(tuple(one_line(cell) for cell in row))
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(
            cell.rjust(width) if i in NUMERIC_COLUMNS else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    if not reports:
        lines.append("(no subnets in use by ECS or EKS, and none selected)")
    if any(r.partial for r in reports):
        lines.append(PARTIAL_NOTE)
    return "\n".join(lines)


def findings_text(reports: Sequence[SubnetReport]) -> str:
    """Every finding, fullest subnet first, one paragraph each."""
    lines = [
        f"- {one_line(finding.sentence())}"
        for report in reports
        if report.capacity is not None
        for finding in report.capacity.findings
    ]
    return "\n".join([f"findings ({len(lines)}):", *lines]) if lines else ""


def _optional(value: float | None) -> str:
    if value is None:
        return NOT_APPLICABLE
    return f"{value:g}" if isinstance(value, float) else str(value)


def errors_text(errors: Sequence[ScanError]) -> str:
    return "\n".join(one_line(f"error: [{e.source}] {e.target}: {e.message}") for e in errors)
