"""``subnet-monitor serve``: a Prometheus exporter (docs/prometheus.md).

A background thread runs the same scan as ``scan`` every ``--interval``; ``/metrics`` serves the
last successful scan's figures (render/prometheus.py), so a scrape never starts a scan. A failed
scan leaves the last good values in place and says so: ``subnet_monitor_up_to_date`` 0 and
``subnet_monitor_scans_total{result="failure"}`` one higher.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from prometheus_client import start_http_server
from prometheus_client.registry import CollectorRegistry

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.cli.scanned import ScanEstate
from subnet_monitor.core.config import ConfigError
from subnet_monitor.core.durations import parse_duration
from subnet_monitor.render.prometheus import ExporterState, SnapshotCollector
from subnet_monitor.render.terminal import one_line, say
from subnet_monitor.render.text import errors_text
from subnet_monitor.scan import ScanOutcome

COMMAND = "serve"
# The choice. Prometheus's own CloudWatch exporter listens on 9106 too (its README:
# https://github.com/prometheus/cloudwatch_exporter): on a host that runs both, move one with --port.
DEFAULT_PORT = 9106
DEFAULT_INTERVAL = "5m"
DEFAULT_ADDRESS = "0.0.0.0"  # an exporter is scraped from outside its pod or host
MAX_PORT = 65535


def add_parser(commands: Any, add_scan_arguments: Callable[[argparse.ArgumentParser], None]) -> None:
    serve = commands.add_parser(
        COMMAND, help="scan on an interval and serve the figures as Prometheus metrics on /metrics"
    )
    add_scan_arguments(serve)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    serve.add_argument("--address", default=DEFAULT_ADDRESS, help=f"address to listen on (default {DEFAULT_ADDRESS})")
    serve.add_argument(
        "--interval",
        default=DEFAULT_INTERVAL,
        metavar="DURATION",
        help=f"time from the end of one scan to the start of the next, e.g. 90s, 5m, 1h (default {DEFAULT_INTERVAL})",
    )


class Exporter:
    """Runs scans and keeps the state a scrape reads; thread-safe.

    ``scan`` is one scan of the estate. A scan fails when it raises (no credentials, no region, an
    unreadable ``--config``…) or when it recorded errors and measured no subnet at all (AWS could not
    be reached): the last good reports are kept. A scan that measured subnets with some errors is a
    success whose ``subnet_monitor_scan_errors`` says how many.
    """

    def __init__(self, scan: Callable[[], ScanOutcome], clock: Callable[[], float] = time.time) -> None:
        self._scan = scan
        self._clock = clock
        self._lock = threading.Lock()
        self._state = ExporterState()

    @property
    def state(self) -> ExporterState:
        with self._lock:
            return self._state

    def scan_once(self) -> ExporterState:
        """Run one scan, update the state, and say on stderr how it went."""
        started = time.perf_counter()
        outcome: ScanOutcome | None = None
        failure: str | None = None
        try:
            outcome = self._scan()
        except ConfigError as error:
            failure = f"{error.key}: {'' if error.value is None else error.shown + ' '}{error.reason}"
        except Exception as error:  # the loop outlives any one scan; the failure is counted and said
            failure = f"{type(error).__name__}: {error}"
        duration = time.perf_counter() - started
        if outcome is not None and outcome.errors:
            say(errors_text(outcome.errors), file=sys.stderr)
        if outcome is not None and not outcome.reports and outcome.errors:
            failure = f"no subnet measured, {len(outcome.errors)} errors"
        with self._lock:
            state = replace(self._state, scan_duration_seconds=duration, up_to_date=failure is None)
            if outcome is not None:
                state = replace(state, scan_errors=len(outcome.errors))
            if failure is None and outcome is not None:
                state = replace(
                    state,
                    reports=tuple(outcome.reports),
                    successes=state.successes + 1,
                    last_success_timestamp_seconds=self._clock(),
                )
            else:
                state = replace(state, failures=state.failures + 1)
            self._state = state
        if failure is None and outcome is not None:
            errors = f", {len(outcome.errors)} errors (above)" if outcome.errors else ""
            say(f"scanned {len(outcome.reports)} subnets in {duration:.1f}s{errors}", file=sys.stderr)
        else:
            kept = "no values yet" if state.reports is None else "serving the last good scan's values"
            say(one_line(f"subnet_monitor: scan failed: {failure}; {kept}"), file=sys.stderr)
        return state

    def run(self, interval: float, stop: threading.Event) -> None:
        """Scan, then wait ``interval`` seconds (or until ``stop``), until ``stop`` is set."""
        while not stop.is_set():
            self.scan_once()
            stop.wait(interval)


def listen_port(value: int) -> int:
    """``--port``, 1 to 65535.

    Raises
    ------
    ConfigError
        naming ``--port``.
    """
    if not 1 <= value <= MAX_PORT:
        raise ConfigError("--port", value, f"must be a TCP port, 1 to {MAX_PORT}")
    return value


def run(
    args: argparse.Namespace,
    scan_estate: ScanEstate,
    check_config: Callable[[argparse.Namespace], object],
    stop: threading.Event | None = None,
) -> int:
    """Check the flags, listen, and scan until SIGTERM or SIGINT (or ``stop``, for tests in a thread).

    Raises
    ------
    ConfigError
        naming the flag: a bad ``--interval`` or ``--port`` (or a port that cannot be listened on), a
        refused scan setting, or ``--what-if`` (the metrics are the estate's figures only).
    AWS_ERRORS
        an unknown ``--profile`` or no region.
    """
    interval = parse_duration(args.interval, flag="--interval").total_seconds()
    port = listen_port(args.port)
    if args.what_if:
        raise ConfigError("--what-if", None, "cannot go with serve: the metrics are the estate's figures only")
    check_config(args)
    # A session-level fault (an unknown --profile, no region) is bad input: refused now rather than served
    # as one failed scan after another. No AWS call is made here; credentials are read when a scan runs.
    AwsClients.for_profile(args.profile, args.region)
    exporter = Exporter(lambda: scan_estate(args).outcome)
    registry = CollectorRegistry(auto_describe=True)
    registry.register(SnapshotCollector(lambda: exporter.state))
    try:
        server, _ = start_http_server(port, addr=args.address, registry=registry)
    except OSError as error:
        raise ConfigError("--port", port, f"cannot listen on {args.address}: {error.strerror or error}") from None
    stop = stop or _stop_on_signals()
    say(f"serving http://{args.address}:{port}/metrics, scanning every {args.interval}", file=sys.stderr)
    scanner = threading.Thread(target=exporter.run, args=(interval, stop), name="subnet-monitor-scan", daemon=True)
    scanner.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
    # A scan in flight is not waited for: nothing it would write is read any more.
    return 0


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM (what Kubernetes sends to stop a pod) or SIGINT (Ctrl-C)."""
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    return stop
