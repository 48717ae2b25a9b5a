"""The estate at a glance: one self-contained HTML file. Pure: no AWS, no I/O.

Everything is inline (CSS, SVG charts drawn here from the numbers, one small script), and the
page's Content-Security-Policy allows nothing else, so it opens anywhere without a network and a
stray external reference would show up as a browser error. The script only checks, once the page
is laid out, that every chart has a size, and writes the count on ``<body>`` (``data-charts``,
``data-charts-drawn``): the browser test reads it.

Sections: a summary; with what-ifs, each reached subnet before → after (the rest of the page is then
the estate after them); per VPC and Availability Zone, one row per subnet with its utilization bar
(used now, what its workloads need more at their maximum, the warning and critical marks), roles
and workloads, headroom at max, free /28 blocks, forecast and consumer breakdown; each VPC's address
space (:mod:`subnet_monitor.render.vpcmap`: subnets by status, free space, what ``fix`` proposes); the findings (fix,
source as text, severity, code); and the design check when one ran (the planned subnets at maximum
scale for a plan).
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from subnet_monitor.core.models import ScanError, Status, SubnetReport
from subnet_monitor.core.whatif import Figures, WhatIfOutcome
from subnet_monitor.design.fix import VpcMap
from subnet_monitor.design.model import RULES, CheckReport, Result, SubnetSizing, result_of
from subnet_monitor.render.charts import (
    HELD_COLOR,
    NEED_COLOR,
    OVERFLOW_COLOR,
    PATTERNS,
    STATUS_COLORS,
    consumer_bar,
    legend,
    usage_bar,
)
from subnet_monitor.render.charts import escape as _e
from subnet_monitor.render.vpcmap import vpc_maps_section

T = TypeVar("T")
RESULT_COLORS = {Result.PASS: "#2e7d32", Result.WARN: "#e08a00", Result.FAIL: "#c62828"}
# Runs once the page is laid out: counts the charts that got a size.
CHECK_SCRIPT = (
    "(function(){var c=document.querySelectorAll('svg.chart'),d=0;"
    "for(var i=0;i<c.length;i++){var b=c[i].getBoundingClientRect();if(b.width>0&&b.height>0)d++;}"
    "document.body.setAttribute('data-charts',String(c.length));"
    "document.body.setAttribute('data-charts-drawn',String(d));})();"
)
CHECK_SCRIPT_HASH = base64.b64encode(hashlib.sha256(CHECK_SCRIPT.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{CHECK_SCRIPT_HASH}'"

STYLE = """
:root{--ink:#1d2330;--muted:#5b6577;--line:#dfe3ea;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif;
color:var(--ink);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:14px;margin:14px 0 6px;
color:var(--muted);font-weight:600}
.meta{color:var(--muted);margin-bottom:16px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0 8px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}.card span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{font-size:12px;color:var(--muted);font-weight:600;background:#fafbfc}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.num small{display:block;color:var(--muted);font-size:11px}
table.grid{table-layout:fixed}
.sub b{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;font-weight:600}
.sub small,.wl small{display:block;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:11px;font-weight:700}
.neg{color:#c62828;font-weight:700}.soon{color:#c62828;font-weight:700}
.legend{display:flex;gap:14px;flex-wrap:wrap;color:var(--muted);font-size:12px;margin:6px 0}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:4px;vertical-align:-2px}
.finding{background:#fff;border:1px solid var(--line);border-left:4px solid #e08a00;border-radius:6px;
padding:8px 12px;margin:6px 0}
.why{display:block;color:var(--muted);font-size:11px;margin-top:2px}
.badge.partial{background:#fff;color:#8a5a00;border:1px dashed #e08a00}
.finding .fix{color:#1b5e20;margin-top:4px}.finding.error{border-left-color:#c62828}
.finding.info{border-left-color:#1565c0}.finding .sources{margin-top:2px}
.rule td{font-size:13px}.rule .fix{color:#1b5e20}
details summary{cursor:pointer;color:var(--muted);margin:8px 0}
.sources{font-size:12px;color:var(--muted)}.sources code{color:var(--ink)}
footer{margin-top:28px;color:var(--muted);font-size:12px}
svg.chart{display:block}
"""


@dataclass(frozen=True)
class ReportPage:
    """What one page shows. ``names``: Name tags by subnet ID; ``vpcs``: CIDRs by VPC ID."""

    title: str
    source: str
    generated_at: datetime
    reports: Sequence[SubnetReport] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    vpcs: Mapping[str, Sequence[str]] = field(default_factory=dict)
    vpc_labels: Mapping[str, str] = field(default_factory=dict)
    warning_percent: float = 80.0
    critical_percent: float = 90.0
    horizon_hours: float = 168.0
    checks: Sequence[CheckReport] = ()
    errors: Sequence[ScanError] = ()
    # With --what-if: the changes and the subnets they reach; ``reports`` are the after-state.
    what_if: WhatIfOutcome | None = None
    vpc_maps: Sequence[VpcMap] = ()


def _badge(text: str, color: str) -> str:
    return f'<span class="badge" style="background:{color}">{_e(text)}</span>'


def _consumers(report: SubnetReport, consumers: dict[str, int]) -> str:
    # After a failed ENI read the breakdown is not known: no empty bar that reads "no addresses in use".
    if report.capacity is not None and report.capacity.consumers is None:
        return "<small>not known (ENIs not read)</small>"
    return consumer_bar(consumers, report.usable_ips)


def _partial(report: SubnetReport) -> str:
    """A badge on a subnet the scan could not fully see, naming what failed (its gaps)."""
    if not report.partial or report.capacity is None:
        return ""
    reads = ", ".join(dict.fromkeys(gap.read for gap in report.capacity.gaps))
    return f' <span class="badge partial" title="{_e("not fully seen: " + reads)}">partial view</span>'


def _reasons(report: SubnetReport) -> str:
    """Why the subnet has its status (the verdict's reasons, worst first), under its badge."""
    return "".join(
        f'<small class="why" title="{_e(reason.code)}">{_e(reason.reason)}</small>' for reason in report.status_reasons
    )


def _workloads(report: SubnetReport) -> str:
    names = [f"{w.cluster}/{w.name}" if w.name != w.cluster else w.cluster for w in report.workloads]
    roles = ", ".join(str(r) for r in report.roles) or "—"
    shown = ", ".join(dict.fromkeys(names)) or "—"
    return f'<td class="wl">{_e(roles)}<small>{_e(shown)}</small></td>'


def _hours(report: SubnetReport, horizon: float) -> str:
    hours = report.capacity.hours_to_exhaustion if report.capacity else None
    if hours is None:
        return '<td class="num">—</td>'
    css = ' class="num soon"' if hours < horizon else ' class="num"'
    return f"<td{css}>≈{hours:g} h</td>"


def _subnet_row(report: SubnetReport, page: ReportPage) -> str:
    capacity = report.capacity
    name = page.names.get(report.subnet_id)
    label = f"<b>{_e(name)}</b><small>{_e(report.subnet_id)}</small>" if name else f"<b>{_e(report.subnet_id)}</b>"
    headroom = report.scale_headroom
    headroom_cell = (
        '<td class="num">—</td>'
        if headroom is None
        else f'<td class="num{" neg" if headroom < 0 else ""}">{headroom:+d}</td>'.replace("+0", "0")
    )
    blocks = capacity.free_prefix_blocks if capacity else None
    largest = (
        f" <small>(largest {capacity.largest_free_block})</small>" if capacity and capacity.largest_free_block else ""
    )
    blocks_cell = '<td class="num">—</td>' if blocks is None else f'<td class="num">{blocks}{largest}</td>'
    consumers = dict(capacity.consumers or {}) if capacity else {}
    bar = usage_bar(
        report.usable_ips,
        report.used_ips,
        capacity.ips_needed_at_max if capacity else None,
        STATUS_COLORS[report.status],
        warning_percent=page.warning_percent,
        critical_percent=page.critical_percent,
    )
    return (
        f'<tr id="{_e(report.subnet_id)}"><td class="sub">{label}<small>{_e(report.cidr)}</small></td>'
        f"<td>{bar}</td>"
        f'<td class="num">{report.utilization_percent:.1f} %<small>{report.used_ips} / {report.usable_ips}</small></td>'
        f'<td class="num">{report.available_ips}</td>{headroom_cell}{blocks_cell}{_hours(report, page.horizon_hours)}'
        f"<td>{_badge(str(report.status), STATUS_COLORS[report.status])}{_partial(report)}{_reasons(report)}</td>"
        f"{_workloads(report)}"
        f"<td>{_consumers(report, consumers)}</td></tr>"
    )


SUBNET_COLUMNS = (200, 266, 84, 52, 80, 80, 66, 150, None, 156)
SIZING_COLUMNS = (200, 266, 130, 80, 120, None)
CHECK_COLUMNS = (64, 200, 300, None)


def _colgroup(widths: Sequence[int | None]) -> str:
    cols = "".join(f'<col style="width:{w}px">' if w else "<col>" for w in widths)
    return f"<colgroup>{cols}</colgroup>"


SUBNET_HEADER = (
    "<tr><th>Subnet</th><th>Used now · needed at max</th><th>Util</th><th>Free</th><th>Headroom at max</th>"
    "<th>Free /28</th><th>Full in</th><th>Status</th><th>Roles · workloads</th><th>Consumers</th></tr>"
)


def _by_vpc_and_zone(
    items: Sequence[T], vpc_of: Callable[[T], str], zone_of: Callable[[T], str]
) -> dict[str, dict[str, list[T]]]:
    grouped: dict[str, dict[str, list[T]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        grouped[vpc_of(item)][zone_of(item)].append(item)
    return grouped


def _subnets_section(page: ReportPage) -> str:
    if not page.reports:
        return ""
    out = ['<h2 id="subnets">Subnets by VPC and Availability Zone</h2>', legend(with_consumers=True)]
    grouped = _by_vpc_and_zone(page.reports, lambda r: r.vpc_id, lambda r: r.availability_zone)
    for vpc in sorted(grouped):
        cidrs = ", ".join(page.vpcs.get(vpc, ()))
        label = page.vpc_labels.get(vpc, vpc)
        out.append(f"<h3>VPC {_e(label)}{' · ' + _e(cidrs) if cidrs else ''}</h3>")
        for zone in sorted(grouped[vpc]):
            rows = sorted(grouped[vpc][zone], key=lambda r: (-r.utilization_percent, r.subnet_id))
            cells = "".join(_subnet_row(r, page) for r in rows)
            out.append(
                f'<h3>{_e(zone)}</h3><table class="grid">{_colgroup(SUBNET_COLUMNS)}{SUBNET_HEADER}{cells}</table>'
            )
    return "".join(out)


WHAT_IF_COLUMNS = (200, 150, 150, 130, 170, None)


def _what_if_value(value: int | bool | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "not set" if value is None else str(value)


def _moved(before: int | None, after: int | None, *, signed: bool = False) -> str:
    def shown(value: int | None) -> str:
        if value is None:
            return "—"
        text = f"{value:+d}".replace("+0", "0") if signed else str(value)
        return f'<span class="neg">{text}</span>' if signed and value < 0 else text

    return f'<td class="num">{shown(before)} → {shown(after)}</td>'


def _status_moved(before: Figures, after: Figures) -> str:
    return (
        f"<td>{_badge(str(before.status), STATUS_COLORS[before.status])} → "
        f"{_badge(str(after.status), STATUS_COLORS[after.status])}</td>"
    )


def _what_if_section(page: ReportPage) -> str:
    """The changes, then each subnet they reach: needed at max, headroom, free /28 and status, before → after."""
    what_if = page.what_if
    if what_if is None:
        return ""
    changes = "".join(
        f"<li><code>{_e(c.spec)}</code>: {_e(c.setting)} {_e(_what_if_value(c.before))} → "
        f"{_e(_what_if_value(c.after))}</li>"
        for c in what_if.changes
    )
    rows = []
    for report in page.reports:
        reached = what_if.subnets.get(report.subnet_id)
        if reached is None:
            continue
        name = page.names.get(report.subnet_id)
        label = f"<b>{_e(name)}</b><small>{_e(report.subnet_id)}</small>" if name else f"<b>{_e(report.subnet_id)}</b>"
        held = set(report.workloads)
        workloads = ", ".join(
            dict.fromkeys(f"{w.cluster}/{w.name}" for c in reached.changes for w in sorted(c.changes & held))
        )
        before, after = reached.before, reached.after
        rows.append(
            f'<tr id="what-if-{_e(report.subnet_id)}"><td class="sub">{label}<small>{_e(report.cidr)}</small></td>'
            f"{_moved(before.ips_needed_at_max, after.ips_needed_at_max)}"
            f"{_moved(before.scale_headroom, after.scale_headroom, signed=True)}"
            f"{_moved(before.free_prefix_blocks, after.free_prefix_blocks)}"
            f'{_status_moved(before, after)}<td class="wl">{_e(workloads or "—")}</td></tr>'
        )
    header = (
        "<tr><th>Subnet</th><th>Needed at max</th><th>Headroom at max</th><th>Free /28</th><th>Status</th>"
        "<th>Changed workloads</th></tr>"
    )
    table = (
        f'<table class="grid">{_colgroup(WHAT_IF_COLUMNS)}{header}{"".join(rows)}</table>'
        if rows
        else "<p>No subnet reached: the changed workloads hold no subnet the scan measured.</p>"
    )
    return (
        '<h2 id="what-if">What-if: before → after</h2>'
        f'<div class="meta">Nothing in AWS was changed. The rest of this page shows the estate after these '
        f"changes:</div><ul>{changes}</ul>{table}"
    )


def _findings_section(page: ReportPage) -> str:
    items = []
    for report in page.reports:
        if report.capacity is None:
            continue
        name = page.names.get(report.subnet_id, report.subnet_id)
        for finding in report.capacity.findings:
            fix = f'<div class="fix">Fix: {_e(finding.fix)}</div>' if finding.fix else ""
            # The source as text, not a link: the page links to nothing, like the design check's sources.
            source = f'<div class="sources">Source: {_e(finding.source)}</div>' if finding.source else ""
            items.append(
                f'<div class="finding {_e(finding.severity)}"><b>{_e(name)}</b> — {_e(finding.message)}{fix}'
                f'{source}<div class="sources">{_e(finding.severity)} · <code>{_e(finding.code)}</code></div></div>'
            )
    if not items:
        return ""
    return f'<h2 id="findings">Findings ({len(items)})</h2>{"".join(items)}'


def _sizing_row(row: SubnetSizing) -> str:
    color = RESULT_COLORS[row.result]
    bar = usage_bar(row.usable, row.in_use, row.needed_at_max, HELD_COLOR, margin_required=row.required_with_margin)
    workloads = ", ".join(f"{name} {count}" for name, count in row.contributions) or "—"
    advice = f"/{row.smallest_prefix}" if row.smallest_prefix is not None else "—"
    return (
        f'<tr id="plan-{_e(row.key)}"><td class="sub"><b>{_e(row.key)}</b><small>{_e(row.cidr)}</small></td>'
        f"<td>{bar}</td>"
        f'<td class="num">{row.at_max} / {row.usable}<small>{row.required_with_margin} with margin</small></td>'
        f"<td>{_badge(str(row.result), color)}</td>"
        f'<td class="num">{_e(advice)}</td><td class="wl">{_e(workloads)}</td></tr>'
    )


def _sizing_section(check: CheckReport) -> str:
    if not check.sizing:
        return ""
    out = [
        "<h2>Planned subnets at maximum scale</h2>",
        f'<div class="legend"><span><i style="background:{HELD_COLOR}"></i>held already</span>'
        f'<span><i style="background:{NEED_COLOR}"></i>needed at maximum</span>'
        f'<span><i style="background:{OVERFLOW_COLOR}"></i>beyond the subnet</span>'
        f'<span><i style="background:#fff;border:2px solid {NEED_COLOR}"></i>required with the '
        f"{check.margin_percent:g} % margin</span></div>",
    ]
    grouped = _by_vpc_and_zone(check.sizing, lambda s: s.vpc, lambda s: s.availability_zone)
    header = (
        "<tr><th>Subnet</th><th>At maximum scale</th><th>At max / usable</th><th>Result</th>"
        "<th>Smallest that fits</th><th>Workloads at max</th></tr>"
    )
    for vpc in sorted(grouped):
        out.append(f"<h3>VPC {_e(vpc)}</h3>")
        for zone in sorted(grouped[vpc]):
            rows = "".join(_sizing_row(r) for r in sorted(grouped[vpc][zone], key=lambda r: r.key))
            out.append(f'<h3>{_e(zone)}</h3><table class="grid">{_colgroup(SIZING_COLUMNS)}{header}{rows}</table>')
    return "".join(out)


def _check_section(check: CheckReport) -> str:
    counts = check.counts()
    rows = []
    passed = []
    for item in check.ordered():
        fix = f'<div class="fix">Fix: {_e(item.fix)}</div>' if item.fix else ""
        result = result_of(item)
        row = (
            f'<tr class="rule"><td>{_badge(str(result), RESULT_COLORS[result])}</td>'
            f"<td><code>{_e(item.code)}</code></td><td>{_e(item.subject)}</td><td>{_e(item.message)}{fix}</td></tr>"
        )
        (passed if result is Result.PASS else rows).append(row)
    header = _colgroup(CHECK_COLUMNS) + "<tr><th>Result</th><th>Rule</th><th>Subject</th><th>Reason</th></tr>"
    out = [
        f'<h2 id="{"plan-check" if check.planned else "check"}">Design check: {_e(check.source)}</h2>',
        f'<div class="meta">{counts["fail"]} fail · {counts["warn"]} warn · {counts["pass"]} pass · '
        f"safety margin {check.margin_percent:g} % · exit code {check.exit_code}</div>",
    ]
    if rows:
        out.append(f'<table class="grid">{header}{"".join(rows)}</table>')
    if passed:
        out.append(
            f"<details><summary>{len(passed)} rules passed (show)</summary>"
            f'<table class="grid">{header}{"".join(passed)}</table></details>'
        )
    if check.planned:
        out.append(_sizing_section(check))
    sources = "".join(
        f"<li><code>{_e(rule)}</code>: {_e(what)} — {_e(where)}</li>" for rule, (what, where) in RULES.items()
    )
    out.append(f'<details class="sources"><summary>Rules and their sources</summary><ul>{sources}</ul></details>')
    return "".join(out)


def _cards(page: ReportPage) -> str:
    cards = []
    if page.reports:
        statuses = [r.status for r in page.reports]
        findings = sum(len(r.capacity.findings) for r in page.reports if r.capacity)
        cards += [
            f'<div class="card"><b>{len(page.reports)}</b><span>subnets</span></div>',
            *(
                f'<div class="card"><b style="color:{STATUS_COLORS[s]}">{statuses.count(s)}</b><span>{s}</span></div>'
                for s in (Status.CRITICAL, Status.WARNING, Status.OK)
            ),
            f'<div class="card"><b>{findings}</b><span>findings</span></div>',
        ]
    for check in page.checks:
        counts = check.counts()
        what = "plan check" if check.planned else "design check"
        cards.append(
            '<div class="card"><b>'
            + " ".join(
                f'<span style="color:{RESULT_COLORS[level]};font-size:22px">{counts[str(level)]}</span>'
                for level in (Result.FAIL, Result.WARN, Result.PASS)
            )
            + f"</b><span>{what}: fail · warn · pass</span></div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def render_html(page: ReportPage) -> str:
    """The whole page as one string."""
    errors = ""
    if page.errors:
        items = "".join(f"<li>[{_e(e.source)}] {_e(e.target)}: {_e(e.message)}</li>" for e in page.errors)
        errors = f"<h2>Could not read ({len(page.errors)})</h2><ul>{items}</ul>"
    checks = "".join(_check_section(check) for check in page.checks)
    generated = page.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    thresholds = (
        f" · warning at {page.warning_percent:g} %, critical at {page.critical_percent:g} %" if page.reports else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(page.title)}</title><style>{STYLE}</style></head><body>{PATTERNS}"
        f"<h1>{_e(page.title)}</h1>"
        f'<div class="meta">{_e(page.source)} · generated {_e(generated)}{_e(thresholds)}</div>'
        f"{_cards(page)}{_what_if_section(page)}{_subnets_section(page)}"
        f"{vpc_maps_section(page.vpc_maps, page.vpc_labels, page.names)}{_findings_section(page)}{checks}{errors}"
        "<footer>subnet-ip-monitor · one self-contained file: no network needed to open it. "
        "Bars: usable addresses of each subnet (2<sup>32−prefix</sup> − 5); headroom = free − what the workloads "
        "need more at their maximum.</footer>"
        f"<script>{CHECK_SCRIPT}</script></body></html>\n"
    )
