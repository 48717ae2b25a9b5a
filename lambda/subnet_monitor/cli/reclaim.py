"""``python -m subnet_monitor reclaim-enis``: list detached ENIs, and with ``--apply`` delete the leaked
VPC CNI ones.

The rules live in :mod:`subnet_monitor.core.leaks`, the reads and deletes in
:mod:`subnet_monitor.aws.enis`, the output in :mod:`subnet_monitor.render.reclaim`; this module
wires flags, the cluster's subnets and exit codes (docs/reclaim.md).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.aws.ec2 import Ec2Reader
from subnet_monitor.aws.eks import EksDiscoverer
from subnet_monitor.aws.enis import EniReclaimer
from subnet_monitor.core.leaks import DEFAULT_OLDER_THAN, classify, parse_duration
from subnet_monitor.core.models import Discovery, ScanError
from subnet_monitor.render.reclaim import applied_text, to_json, to_text
from subnet_monitor.render.terminal import say
from subnet_monitor.render.text import errors_text

EXIT_OK = 0
# A read or a delete failed; the rest was done (stderr and the JSON's errors/failed say what).
EXIT_INCOMPLETE = 1
COMMAND = "reclaim-enis"


def add_parser(commands: Any) -> None:
    """Register ``reclaim-enis``."""
    reclaim = commands.add_parser(
        COMMAND,
        help="list detached ENIs by origin; with --apply delete the leaked VPC CNI ones",
        description=(
            "Without --apply nothing is deleted. Exit code: 0 done; 1 a read or a delete failed (the "
            "others were done); 2 bad input or no AWS session."
        ),
    )
    reclaim.add_argument("--region", help="AWS region (default: your profile's)")
    reclaim.add_argument("--profile", help="AWS named profile")
    reclaim.add_argument("--subnet-id", action="append", default=[], metavar="ID", help="only these subnets")
    reclaim.add_argument(
        "--cluster",
        metavar="NAME",
        help="only this EKS cluster's ENIs (its tag) and subnets; delete only ENIs tagged for it",
    )
    reclaim.add_argument(
        "--older-than",
        metavar="DURATION",
        default=None,
        help=f"delete only ENIs at least this old, e.g. 90m, 6h, 2d (default {_duration(DEFAULT_OLDER_THAN)}, "
        "at least 5m)",
    )
    reclaim.add_argument("--apply", action="store_true", help="delete the ENIs marked deletable")
    reclaim.add_argument("--json", action="store_true", help="print the result as JSON")


def _duration(value: timedelta) -> str:
    return f"{int(value.total_seconds() // 3600)}h"


def run(args: argparse.Namespace) -> int:
    """List, and with ``--apply`` delete; a refused flag raises ConfigError (exit 2 at the door)."""
    older_than = DEFAULT_OLDER_THAN if args.older_than is None else parse_duration(args.older_than)
    clients = AwsClients.for_profile(args.profile, args.region)
    reclaimer = EniReclaimer(clients.ec2)
    errors: list[ScanError] = []
    enis = _read(args, clients, reclaimer, errors)
    now = datetime.now(UTC)
    candidates = [classify(eni, now=now, older_than=older_than, cluster=args.cluster) for eni in enis]
    reclaimed = (
        reclaimer.delete(candidates, now=now, older_than=older_than, cluster=args.cluster) if args.apply else None
    )
    errors += reclaimer.errors
    if args.json:
        say(to_json(candidates, reclaimed, errors))
        if reclaimed is not None:
            say(applied_text(reclaimed), file=sys.stderr)
    else:
        say(to_text(candidates, applied=args.apply))
        if reclaimed is not None:
            say(applied_text(reclaimed))
        elif any(c.deletable for c in candidates):
            say("nothing deleted: run again with --apply to delete the ENIs marked yes")
    if errors:
        say(errors_text(errors), file=sys.stderr)
    failed = bool(errors) or bool(reclaimed and reclaimed.failed)
    return EXIT_INCOMPLETE if failed else EXIT_OK


def _read(
    args: argparse.Namespace, clients: AwsClients, reclaimer: EniReclaimer, errors: list[ScanError]
) -> list[dict[str, Any]]:
    """The detached ENIs the flags select, each once.

    ``--subnet-id``: those subnets. ``--cluster``: the ENIs tagged for it anywhere (custom networking
    puts pod ENIs in other subnets) plus those in the subnets the scan's discovery finds it using;
    both flags: the cluster's ENIs in those subnets. Neither: the region.
    """
    given = set(args.subnet_id)
    if not args.cluster:
        return reclaimer.detached(subnet_ids=given or None)
    found = Discovery()
    scanned = EksDiscoverer(clients.eks, Ec2Reader(clients.ec2)).discover(found, frozenset({args.cluster}))
    errors += found.errors
    if args.cluster not in scanned:
        errors.append(ScanError("eks", args.cluster, "cluster not found in EKS in this region: read its tag only"))
    subnets = set(found.uses) & given if given else set(found.uses)
    enis = {eni["NetworkInterfaceId"]: eni for eni in reclaimer.detached(subnet_ids=subnets)}
    for eni in reclaimer.detached(cluster=args.cluster):
        if not given or eni.get("SubnetId") in given:
            enis.setdefault(eni["NetworkInterfaceId"], eni)
    return list(enis.values())
