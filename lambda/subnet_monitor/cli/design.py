"""``python -m subnet_monitor check`` and ``report --html``: design rules and the HTML report.

``check --plan FILE`` judges a plan without AWS; ``check`` alone judges the live estate the scan
finds (plus VPC CIDRs, route tables, peering connections and the EKS service CIDRs). ``report
--html FILE`` scans and writes one self-contained HTML page, with the design check of the live
estate (``--check``) and/or of a plan (``--plan``). The logic lives in :mod:`subnet_monitor.design`
(plan, builders, rules) and :mod:`subnet_monitor.render` (check, html); this module only wires flags,
AWS reads and files.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from subnet_monitor.aws.network import NAME_TAG, DesignReader
from subnet_monitor.cli import fix as cli_fix
from subnet_monitor.cli.scanned import ScanEstate, Scanned
from subnet_monitor.core.config import ConfigError
from subnet_monitor.core.models import KIND_EKS_CLUSTER, ScanError, SubnetReport
from subnet_monitor.design.builders import design_from_plan, design_from_scan, with_settings
from subnet_monitor.design.model import CheckReport, Design
from subnet_monitor.design.plan import DEFAULT_SAFETY_MARGIN_PERCENT, load_plan
from subnet_monitor.design.rules import check_design
from subnet_monitor.render.check import to_json, to_text
from subnet_monitor.render.html import ReportPage, render_html
from subnet_monitor.render.terminal import say
from subnet_monitor.render.text import errors_text

EXIT_OK = 0


def add_parsers(commands: Any, add_scan_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``check`` and ``report`` next to ``scan``; both take the scan's flags."""
    check = commands.add_parser(
        "check",
        help="check ECS/EKS addressing design rules on a plan file or the live estate",
        description="Exit code: 0 every rule passed, 1 a warning, 2 a failure (or the input could not be read).",
    )
    check.add_argument("--plan", metavar="FILE", help="a plan file (JSON, or YAML) instead of the live estate")
    add_scan_arguments(check)
    _add_design_arguments(check)
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.add_argument("--html", metavar="FILE", help="also write the results as a self-contained HTML report")

    report = commands.add_parser("report", help="scan and write a self-contained HTML report")
    report.add_argument("--html", metavar="FILE", required=True, help="where to write the report")
    report.add_argument("--check", action="store_true", help="include the design check of the live estate")
    report.add_argument("--plan", metavar="FILE", help="include the design check of this plan")
    add_scan_arguments(report)
    _add_design_arguments(report)


def _add_design_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--margin",
        type=float,
        metavar="PERCENT",
        help=f"safety margin at maximum scale (default: the plan's safetyMarginPercent, else "
        f"{DEFAULT_SAFETY_MARGIN_PERCENT:g})",
    )
    parser.add_argument(
        "--peered",
        action="append",
        default=[],
        metavar="NAME=CIDR",
        help="a connected network that must not overlap (repeatable; adds to the plan's peeredCidrs)",
    )


def run(args: argparse.Namespace, scan_estate: ScanEstate) -> int:
    """Run ``check`` or ``report``; a refused input raises :class:`ConfigError` (the CLI's door exits 2)."""
    margin, peered = _design_flags(args)
    if args.command == "check":
        return _check(args, scan_estate, margin, peered)
    return _report(args, scan_estate, margin, peered)


def _design_flags(args: argparse.Namespace) -> tuple[float | None, dict[str, str]]:
    if args.margin is not None and not 0 <= args.margin <= 1000:
        raise ConfigError("--margin", args.margin, "must be a number of percent, 0 to 1000")
    peered = {}
    for item in args.peered:
        name, sep, cidr = item.partition("=")
        try:
            peered[name] = str(ipaddress.IPv4Network(cidr))
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ConfigError("--peered", item, "must be NAME=CIDR, e.g. on-prem=172.16.0.0/12")
    return args.margin, peered


def _plan_check(path: str, margin: float | None, peered: dict[str, str]) -> CheckReport:
    design = design_from_plan(load_plan(path), source=f"plan {path}")
    return check_design(with_settings(design, margin_percent=margin, peered=peered))


def _live(scanned: Scanned, margin: float | None, peered: dict[str, str]) -> tuple[Design, LiveExtras]:
    """The live estate as a design: the scan's reports plus what only the check reads."""
    reports = scanned.outcome.reports
    reader = DesignReader(scanned.clients.ec2, scanned.clients.eks)
    extras = live_extras(reader, reports)
    clusters = {w.cluster for r in reports for w in r.workloads if w.kind == KIND_EKS_CLUSTER}
    design = design_from_scan(
        reports,
        vpc_cidrs=extras.vpc_cidrs,
        clusters=reader.clusters(clusters),
        public=reader.public_subnets({r.subnet_id: r.vpc_id for r in reports}),
        peered={**reader.peered_cidrs(extras.vpc_cidrs), **peered},
        names=extras.names,
        vpc_labels=extras.vpc_labels,
        other_cidrs=extras.other_cidrs,
        margin_percent=DEFAULT_SAFETY_MARGIN_PERCENT if margin is None else margin,
        source=f"the live estate ({_region(scanned)})" + _what_if_label(scanned),
    )
    extras.errors = list(reader.errors)
    return design, extras


@dataclass
class LiveExtras:
    """What people need beyond the scan: VPC CIDRs and names, subnet names, the VPCs' other subnets."""

    vpc_cidrs: dict[str, tuple[str, ...]]
    vpc_labels: dict[str, str]
    names: dict[str, str]
    other_cidrs: dict[str, list[str]]
    errors: list[ScanError]


def live_extras(reader: DesignReader, reports: Sequence[SubnetReport]) -> LiveExtras:
    """One DescribeVpcs and one DescribeSubnets per 200 VPCs: CIDRs, names, the subnets not reported."""
    vpc_ids = {r.vpc_id for r in reports}
    vpcs = reader.vpcs(vpc_ids)
    subnets = reader.vpc_subnets(vpc_ids)
    reported = {r.subnet_id for r in reports}
    other_cidrs: dict[str, list[str]] = {}
    for subnet_id, state in subnets.items():
        if subnet_id not in reported:
            other_cidrs.setdefault(state.vpc_id, []).append(state.cidr)
    return LiveExtras(
        vpc_cidrs={vpc_id: info.cidrs for vpc_id, info in vpcs.items()},
        vpc_labels={vpc_id: info.label(vpc_id) for vpc_id, info in vpcs.items()},
        names={sid: state.tags[NAME_TAG] for sid, state in subnets.items() if state.tags.get(NAME_TAG)},
        other_cidrs=other_cidrs,
        errors=list(reader.errors),
    )


def _what_if_label(scanned: Scanned) -> str:
    """What a design check of a what-if says it judged: the estate after the changes, not as it is."""
    what_if = scanned.outcome.what_if
    if what_if is None:
        return ""
    return ", as if " + ", ".join(change.spec for change in what_if.changes)


def _region(scanned: Scanned) -> str:
    return str(scanned.clients.ec2.meta.region_name)


def _check(args: argparse.Namespace, scan_estate: ScanEstate, margin: float | None, peered: dict[str, str]) -> int:
    if args.plan:
        report = _plan_check(args.plan, margin, peered)
        scanned = None
        errors: list[ScanError] = []
    else:
        scanned = scan_estate(args)
        design, extras = _live(scanned, margin, peered)
        report = check_design(design)
        errors = [*scanned.outcome.errors, *extras.errors]
    say(to_json(report) if args.json else to_text(report))
    if errors:
        say(errors_text(errors), file=sys.stderr)
    if args.html:
        page = ReportPage(
            title="Subnet design check",
            source=report.source,
            generated_at=datetime.now(UTC),
            checks=(report,),
            errors=errors,
        )
        _write(args.html, render_html(page))
    return report.exit_code


def _report(args: argparse.Namespace, scan_estate: ScanEstate, margin: float | None, peered: dict[str, str]) -> int:
    plan_report = _plan_check(args.plan, margin, peered) if args.plan else None
    scanned = scan_estate(args)
    reports = scanned.outcome.reports
    errors = list(scanned.outcome.errors)
    if args.check:
        design, extras = _live(scanned, margin, peered)
        live_report: CheckReport | None = check_design(design)
    else:
        live_report = None
        extras = live_extras(DesignReader(scanned.clients.ec2, scanned.clients.eks), reports)
    errors += extras.errors
    # The address-space map: drawn from the same plans as ``fix``.
    fixes, fix_errors = cli_fix.plan(scanned, margin)
    errors += fix_errors
    page = ReportPage(
        title="Subnet IP report",
        source=f"{_region(scanned)} · {len(reports)} subnets",
        generated_at=scanned.outcome.timestamp,
        reports=reports,
        names=extras.names,
        vpcs=extras.vpc_cidrs,
        vpc_labels=extras.vpc_labels,
        warning_percent=scanned.config.warning_percent,
        critical_percent=scanned.config.critical_percent,
        horizon_hours=scanned.config.exhaustion_horizon_hours,
        checks=tuple(c for c in (live_report, plan_report) if c is not None),
        errors=errors,
        what_if=scanned.outcome.what_if,
        vpc_maps=fixes.vpcs,
    )
    _write(args.html, render_html(page))
    if errors:
        say(errors_text(errors), file=sys.stderr)
    summary = f"wrote {args.html}: {len(reports)} subnets"
    for label, item in (("live design check", live_report), ("plan design check", plan_report)):
        if item is not None:
            counts = item.counts()
            summary += f"; {label} {counts['fail']} fail, {counts['warn']} warn, {counts['pass']} pass"
    say(summary)
    return EXIT_OK


def _write(path: str, text: str) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError("--html", path, f"cannot be written ({error.strerror})") from error
