"""``python -m subnet_monitor scan``: the same pipeline as the Lambda, with your credentials."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from subnet_monitor import __version__
from subnet_monitor.aws.clients import AWS_ERRORS, AwsClients
from subnet_monitor.cli import design as cli_design
from subnet_monitor.cli import fix as cli_fix
from subnet_monitor.cli import reclaim as cli_reclaim
from subnet_monitor.cli import serve as cli_serve
from subnet_monitor.cli.scanned import Scanned
from subnet_monitor.core.config import ConfigError, MonitorConfig, ScanConfig
from subnet_monitor.core.config.documents import read_document
from subnet_monitor.core.models import Status
from subnet_monitor.core.whatif import parse_what_ifs
from subnet_monitor.render.terminal import REWRITE_LINE, one_line, progress_line, say
from subnet_monitor.render.text import errors_text, findings_text, reasons_text, to_json, to_table, what_if_text
from subnet_monitor.scan import run_scan

# A scan that runs longer than this shows how its reads go, on stderr when that is a terminal.
PROGRESS_AFTER_SECONDS = 2.0
EXIT_OK = 0
EXIT_FAIL_ON_MET = 1
EXIT_BAD_INPUT = 2
FAIL_ON = {"warning": {Status.WARNING, Status.CRITICAL}, "critical": {Status.CRITICAL}}
# The config key each flag feeds, so an error names what the user typed.
FLAG_OF_KEY = {
    "clusters": "--cluster",
    "subnetIds": "--subnet-id",
    "subnetTags": "--tag",
    "warningPercent": "--warning",
    "criticalPercent": "--critical",
    "minFreeIps": "--min-free",
}


def add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    """What to scan and how to judge it: the flags scan, check and report share."""
    parser.add_argument("--region", help="AWS region (default: your profile's)")
    parser.add_argument("--profile", help="AWS named profile")
    parser.add_argument("--cluster", action="append", default=[], metavar="NAME", help="only these ECS/EKS clusters")
    parser.add_argument("--subnet-id", action="append", default=[], metavar="ID", help="also monitor this subnet")
    parser.add_argument(
        "--tag", action="append", default=[], metavar="KEY=VALUE", help="also subnets tagged so (KEY=* for any value)"
    )
    parser.add_argument("--all-subnets", action="store_true", help="every subnet in the region")
    parser.add_argument("--no-ecs", action="store_true", help="skip ECS discovery")
    parser.add_argument("--no-eks", action="store_true", help="skip EKS discovery")
    parser.add_argument("--warning", type=float, metavar="PERCENT", help="warning utilization (default 80)")
    parser.add_argument("--critical", type=float, metavar="PERCENT", help="critical utilization (default 90)")
    parser.add_argument("--min-free", type=int, metavar="IPS", help="CRITICAL below this many free addresses")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="take the scan settings of cdk.json's subnet-monitor block (or of a JSON file holding the block)",
    )
    parser.add_argument(
        "--what-if",
        action="append",
        default=[],
        metavar="SPEC",
        help="judge the estate as if changed (repeatable; nothing in AWS is changed): "
        "nodegroup:CLUSTER/NAME:maxSize=N, service:CLUSTER/NAME:maxTasks=N, asg:NAME:maxSize=N, "
        "fargate:CLUSTER/PROFILE:maxPods=N, cluster:NAME:prefixDelegation=true|false, "
        "cluster:NAME:KEY=N (warmIpTarget, warmEniTarget, warmPrefixTarget, minimumIpTarget)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="subnet_monitor", description="Subnet IP exhaustion monitor for ECS and EKS")
    parser.add_argument("--version", action="version", version=f"subnet-monitor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="discover and measure the subnets ECS and EKS use")
    add_scan_arguments(scan)
    scan.add_argument("--json", action="store_true", help="print the report as JSON (one object per subnet)")
    scan.add_argument("--publish", action="store_true", help="also put the metrics into CloudWatch (Custom/VPC)")
    scan.add_argument("--fail-on", choices=sorted(FAIL_ON), help="exit 1 when a subnet is at this status or worse")
    cli_design.add_parsers(commands, add_scan_arguments)
    cli_fix.add_parser(commands, add_scan_arguments)
    cli_reclaim.add_parser(commands)
    cli_serve.add_parser(commands, add_scan_arguments)
    return parser


def load_block(path: str) -> dict[str, Any]:
    """The scan keys of a ``subnet-monitor`` block: from cdk.json (``context.subnet-monitor``) or from
    a JSON file that holds just the block. Deploy-only keys (schedule, e-mails…) are validated and
    ignored.

    Raises
    ------
    ConfigError
        keyed ``--config <path>`` and the key in the file, so it is not taken for a flag's.
    """
    source = f"--config {path}"
    document = read_document(path, source="--config")
    if not isinstance(document, dict):
        raise ConfigError(source, document, "must be a JSON object: cdk.json, or a subnet-monitor block")
    block: Any = document
    if "context" in document:
        if not isinstance(document["context"], dict):
            raise ConfigError(f"{source}: context", document["context"], "must be a JSON object")
        block = document["context"].get("subnet-monitor", {})
    try:
        config = MonitorConfig.from_context(block)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error.key}", error.value, error.reason) from None
    # Only the keys the file sets: a refusal of a default is not the file's.
    written = {MonitorConfig.model_fields[name].alias for name in config.model_fields_set}
    return {key: value for key, value in config.scan.to_mapping().items() if key in written}


def config_from_args(args: argparse.Namespace) -> ScanConfig:
    """The flags, as the same ``subnet-monitor`` keys that cdk.json takes; a flag overrides the
    ``--config`` file.

    Raises
    ------
    ConfigError
        naming the flag that gave the refused value, else the ``--config`` file and its key.
    """
    raw: dict[str, Any] = load_block(args.config) if args.config else {}
    from_file = set(raw)
    flags = {
        "discoverEcs": False if args.no_ecs else None,
        "discoverEks": False if args.no_eks else None,
        "clusters": args.cluster or None,
        "subnetIds": args.subnet_id or None,
        "allSubnets": True if args.all_subnets else None,
    }
    raw.update({key: value for key, value in flags.items() if value is not None})
    tags: dict[str, list[str] | str] = {}
    for item in args.tag:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError("--tag", item, "must be KEY=VALUE (or KEY=* for any value)")
        if value == "*":
            tags[key] = "*"
        elif tags.get(key) != "*":
            tags.setdefault(key, []).append(value)  # type: ignore[union-attr]
    if tags:
        raw["subnetTags"] = tags
    thresholds: dict[str, Any] = {
        "warningPercent": args.warning,
        "criticalPercent": args.critical,
        "minFreeIps": args.min_free,
    }
    raw.update({key: value for key, value in thresholds.items() if value is not None})
    given = {key for key, value in {**flags, **thresholds, "subnetTags": tags or None}.items() if value is not None}
    try:
        return ScanConfig.from_mapping(raw)
    except ConfigError as error:
        key = error.key.split(".")[0]
        if key in given and key in FLAG_OF_KEY:
            raise ConfigError(FLAG_OF_KEY[key], error.value, error.reason) from None
        if key in from_file:
            raise ConfigError(f"--config {args.config}: {error.key}", error.value, error.reason) from None
        raise


def scan_estate(args: argparse.Namespace, *, publish: bool = False) -> Scanned:
    """Scan with the flags' settings.

    Raises
    ------
    ConfigError
        naming the flag (or the ``--config`` key) whose value is refused.
    AWS_ERRORS
        session-level faults only (no region, no credentials, unknown profile): the pipeline records
        per-cluster and per-call failures and carries on.
    """
    config = config_from_args(args)
    what_if = parse_what_ifs(args.what_if)
    if what_if and publish:
        raise ConfigError("--what-if", None, "cannot go with --publish: CloudWatch gets the estate's figures only")
    clients = AwsClients.for_profile(args.profile, args.region)
    progress = ScanProgress(sys.stderr)
    try:
        outcome = run_scan(clients, config, publish=publish, what_if=what_if, progress=progress)
    finally:
        progress.close()
    return Scanned(outcome, clients, config)


class ScanProgress:
    """The scan's progress on one line of ``stream``, rewritten in place ("scanning: EKS clusters
    12/50"): only when ``stream`` is a terminal, and only once the scan has run
    :data:`PROGRESS_AFTER_SECONDS`. A pipe or a file gets nothing; the line is erased at the end."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._terminal = stream.isatty()
        self._started = time.monotonic()
        self._shown = False

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self._terminal or time.monotonic() - self._started < PROGRESS_AFTER_SECONDS:
            return
        self._stream.write(progress_line(f"scanning: {label} {done}/{total}"))
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write(REWRITE_LINE)
            self._stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """The one door of the CLI: the project's errors become exit codes here and nowhere else."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "fix":
            return cli_fix.run(args, scan_estate)
        if args.command == cli_reclaim.COMMAND:
            return cli_reclaim.run(args)
        if args.command == cli_serve.COMMAND:
            return cli_serve.run(args, scan_estate, config_from_args)
        return _scan(args) if args.command == "scan" else cli_design.run(args, scan_estate)
    except ConfigError as error:
        shown = "" if error.value is None else f" {error.shown}"
        say(one_line(f"subnet_monitor: error: {error.key}:{shown} {error.reason}"), file=sys.stderr)
    except AWS_ERRORS as error:
        say(one_line(f"subnet_monitor: error: {error}"), file=sys.stderr)
    return EXIT_BAD_INPUT


def _scan(args: argparse.Namespace) -> int:
    outcome = scan_estate(args, publish=args.publish).outcome
    if args.json:
        say(to_json(outcome.reports, outcome.what_if))
    else:
        what_if = what_if_text(outcome.reports, outcome.what_if) if outcome.what_if is not None else ""
        texts = (to_table(outcome.reports), reasons_text(outcome.reports), what_if, findings_text(outcome.reports))
        say("\n\n".join(text for text in texts if text))
    if outcome.errors:
        say(errors_text(outcome.errors), file=sys.stderr)
    if outcome.published is not None:
        say(
            f"published {outcome.published.datums_sent} datums to CloudWatch in {outcome.published.calls} calls"
            + (f"; {outcome.published.datums_failed} not published" if outcome.published.datums_failed else ""),
            file=sys.stderr,
        )
    if args.fail_on and any(report.status in FAIL_ON[args.fail_on] for report in outcome.reports):
        return EXIT_FAIL_ON_MET
    return EXIT_OK
