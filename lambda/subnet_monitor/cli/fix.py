"""``python -m subnet_monitor fix``: for every short subnet, the steps and commands that give it room.

It scans like ``scan`` (``--what-if`` included: the plans are then for the after-state), reads the
VPCs' address space (their CIDR blocks and all their subnets, the region's other VPCs, peering
connections, route destinations, transit gateway routes, and what the prefix-delegation subnets
hold) and the detached ENIs of the scanned subnets (those ``reclaim-enis --apply`` would delete are
the leaked ones, :func:`subnet_monitor.core.leaks.classify`), and prints the plans of
:mod:`subnet_monitor.design.fix`. It changes nothing. A read that fails is said on stderr (and in the
JSON ``errors``) and the plans go without it.

Exit codes: 0 the plans were printed (or no subnet is short), 2 bad input (a refused flag or
config, no credentials or region).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from subnet_monitor.aws.enis import EniReclaimer
from subnet_monitor.aws.network import NAME_TAG, DesignReader
from subnet_monitor.cli.scanned import ScanEstate, Scanned
from subnet_monitor.core.config import ConfigError
from subnet_monitor.core.fragmentation import FEW_FREE_PREFIXES, NO_FREE_PREFIX
from subnet_monitor.core.leaks import DEFAULT_OLDER_THAN, classify
from subnet_monitor.core.models import ScanError, SubnetReport
from subnet_monitor.design.fix import FixInputs, FixReport, plan_fixes
from subnet_monitor.design.plan import DEFAULT_SAFETY_MARGIN_PERCENT
from subnet_monitor.render.fix import to_json, to_text
from subnet_monitor.render.terminal import say
from subnet_monitor.render.text import errors_text

EXIT_OK = 0
MARGIN_MAX = 1000
# subnet ID -> (network interface ID, addresses) of the leaked interfaces in it.
LeakedEnis = Mapping[str, Sequence[tuple[str, int]]]


def add_parser(commands: Any, add_scan_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``fix`` next to ``scan``, with the scan's flags."""
    fix = commands.add_parser(
        "fix",
        help="plan new subnets, secondary CIDRs and prefix reservations for the subnets that are short",
        description=(
            "Prints, for every short subnet, the steps and the AWS CLI / CDK / Terraform to give it room. "
            "Changes nothing. Exit code: 0 plans printed (or nothing short), 2 bad input."
        ),
    )
    add_scan_arguments(fix)
    fix.add_argument(
        "--margin",
        type=float,
        metavar="PERCENT",
        help=f"growth margin on top of each shortfall (default {DEFAULT_SAFETY_MARGIN_PERCENT:g})",
    )
    fix.add_argument("--json", action="store_true", help="print the plans as JSON")


def read_inputs(
    reader: DesignReader,
    reports: Sequence[SubnetReport],
    *,
    margin_percent: float,
    warning_percent: float,
    horizon_hours: float,
    min_free_prefix_blocks: int,
    leaked_enis: LeakedEnis,
) -> FixInputs:
    """What the planner needs beyond the scan, each read on its own (a failed one is in
    ``reader.errors``)."""
    vpc_ids = sorted({r.vpc_id for r in reports})
    region = reader.region_vpcs()
    own = {vpc_id: info.cidrs for vpc_id, info in reader.vpcs(vpc_ids).items()}
    subnets = reader.vpc_subnets(vpc_ids) if vpc_ids else {}
    avoid: dict[str, str] = {}
    for vpc_id, cidrs in region.items():
        if vpc_id not in own:
            avoid.update({f"{vpc_id} #{i + 1}": cidr for i, cidr in enumerate(cidrs)})
    if vpc_ids:
        avoid.update(reader.peered_cidrs(vpc_ids))
        avoid.update(reader.route_destinations(vpc_ids))
    avoid.update(reader.transit_gateway_routes())
    fragmented = [
        r.subnet_id
        for r in reports
        if r.capacity and any(f.code in (NO_FREE_PREFIX, FEW_FREE_PREFIXES) for f in r.capacity.findings)
    ]
    return FixInputs(
        reports=reports,
        vpc_cidrs=own,
        vpc_subnets=subnets,
        avoid=avoid,
        prefix_usage=reader.prefix_usage(fragmented),
        leaked_enis=leaked_enis,
        margin_percent=margin_percent,
        warning_percent=warning_percent,
        horizon_hours=horizon_hours,
        min_free_prefix_blocks=min_free_prefix_blocks,
        names={sid: state.tags[NAME_TAG] for sid, state in subnets.items() if state.tags.get(NAME_TAG)},
    )


def leaked_enis(reclaimer: EniReclaimer, subnet_ids: Sequence[str]) -> dict[str, list[tuple[str, int]]]:
    """The leaked ENIs of the subnets, by subnet: the detached ones ``reclaim-enis --apply`` would
    delete (their origin leaks and is safe to delete, older than its default threshold), each with the
    addresses it holds. A failed read is in ``reclaimer.errors``."""
    now = datetime.now(UTC)
    found: dict[str, list[tuple[str, int]]] = {}
    for eni in reclaimer.detached(subnet_ids=subnet_ids):
        candidate = classify(eni, now=now, older_than=DEFAULT_OLDER_THAN)
        if candidate.deletable:
            found.setdefault(candidate.subnet_id, []).append((candidate.network_interface_id, candidate.addresses))
    return found


def plan(scanned: Scanned, margin: float | None, leaked: LeakedEnis | None = None) -> tuple[FixReport, list[ScanError]]:
    """The plans for what ``scanned`` found, and the errors of the reads they needed (the scan's own
    are in its outcome). ``leaked``: leaked ENIs by subnet when the caller has them, else they are read
    (:func:`leaked_enis`). ``report --html`` draws its VPC map from the same report."""
    reader = DesignReader(scanned.clients.ec2, scanned.clients.eks)
    reclaimer = EniReclaimer(scanned.clients.ec2)
    config = scanned.config
    if leaked is None:
        leaked = leaked_enis(reclaimer, [r.subnet_id for r in scanned.outcome.reports])
    inputs = read_inputs(
        reader,
        scanned.outcome.reports,
        margin_percent=DEFAULT_SAFETY_MARGIN_PERCENT if margin is None else margin,
        warning_percent=config.warning_percent,
        horizon_hours=config.exhaustion_horizon_hours,
        min_free_prefix_blocks=config.min_free_prefix_blocks,
        leaked_enis=leaked,
    )
    return plan_fixes(inputs), [*reader.errors, *reclaimer.errors]


def run(args: argparse.Namespace, scan_estate: ScanEstate, leaked: LeakedEnis | None = None) -> int:
    """Scan, read, plan, print.

    Raises
    ------
    ConfigError
        for a refused ``--margin`` or scan flag (the CLI's door exits 2).
    """
    if args.margin is not None and not 0 <= args.margin <= MARGIN_MAX:
        raise ConfigError("--margin", args.margin, f"must be a number of percent, 0 to {MARGIN_MAX}")
    scanned = scan_estate(args)
    report, read_errors = plan(scanned, args.margin, leaked)
    errors = [*scanned.outcome.errors, *read_errors]
    say(to_json(report, errors) if args.json else to_text(report))
    if errors:
        say(errors_text(errors), file=sys.stderr)
    return EXIT_OK
