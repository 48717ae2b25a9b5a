"""``subnet-monitor serve`` without Prometheus: how scans move the served state (a failed scan keeps
the last good values), and the flags it refuses (exit 2, naming the flag)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botocore.exceptions import NoCredentialsError

from subnet_monitor.cli import main
from subnet_monitor.cli.serve import Exporter
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.models import ScanError, SubnetReport, SubnetState, SubnetUse
from subnet_monitor.core.verdict import build_report
from subnet_monitor.scan import ScanOutcome

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
CLOCK = 1_800_000_000.0
UNREACHABLE = ScanError("ec2", "DescribeSubnets", "Could not connect to the endpoint URL")


def report(available: int) -> SubnetReport:
    return build_report(
        SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/26", available), SubnetUse(), ScanConfig()
    )


def outcome(*reports: SubnetReport, errors: tuple[ScanError, ...] = ()) -> ScanOutcome:
    return ScanOutcome(reports=list(reports), errors=list(errors), timestamp=NOW)


def scans(*results: ScanOutcome | Exception) -> Callable[[], ScanOutcome]:
    """One scan per call, each the next of ``results`` (an exception is raised)."""
    queue: Iterator[ScanOutcome | Exception] = iter(results)

    def scan() -> ScanOutcome:
        result = next(queue)
        if isinstance(result, Exception):
            raise result
        return result

    return scan


def test_a_failed_scan_keeps_the_last_good_values_and_says_they_are_stale(capsys: pytest.CaptureFixture[str]) -> None:
    clock = iter([CLOCK, CLOCK + 300])
    exporter = Exporter(
        scans(outcome(report(20)), NoCredentialsError(), outcome(report(12))), clock=lambda: next(clock)
    )

    good = exporter.scan_once()
    assert (good.reports, good.up_to_date, good.successes, good.failures) == ((report(20),), True, 1, 0)
    assert good.last_success_timestamp_seconds == CLOCK

    failed = exporter.scan_once()
    assert failed.reports == (report(20),)
    assert (failed.up_to_date, failed.successes, failed.failures) == (False, 1, 1)
    assert failed.last_success_timestamp_seconds == CLOCK
    assert "scan failed: NoCredentialsError" in capsys.readouterr().err

    recovered = exporter.scan_once()
    assert (recovered.reports, recovered.up_to_date, recovered.successes, recovered.failures) == (
        (report(12),),
        True,
        2,
        1,
    )
    assert recovered.last_success_timestamp_seconds == CLOCK + 300


def test_a_scan_that_measured_nothing_and_recorded_errors_is_a_failure() -> None:
    exporter = Exporter(scans(outcome(report(20)), outcome(errors=(UNREACHABLE, UNREACHABLE))), clock=lambda: CLOCK)
    exporter.scan_once()
    state = exporter.scan_once()
    assert (state.reports, state.up_to_date, state.failures, state.scan_errors) == ((report(20),), False, 1, 2)


def test_a_partial_scan_is_served_with_its_error_count() -> None:
    exporter = Exporter(scans(outcome(report(20), errors=(UNREACHABLE,))), clock=lambda: CLOCK)
    state = exporter.scan_once()
    assert (state.reports, state.up_to_date, state.successes, state.scan_errors) == ((report(20),), True, 1, 1)


def test_an_empty_estate_is_a_success_not_a_failure() -> None:
    state = Exporter(scans(outcome()), clock=lambda: CLOCK).scan_once()
    assert (state.reports, state.up_to_date, state.successes) == ((), True, 1)


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("subnet_monitor: error: ")
    assert err.count("\n") == 1
    return err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--interval", "0"], "--interval: '0' must be a duration"),
        (["--interval", "0s"], "--interval: '0s' must be longer than zero"),
        (["--interval", "5x"], "--interval: '5x' must be a duration"),
        (["--interval", "1.5m"], "--interval: '1.5m' must be a duration"),
        (["--port", "0"], "--port: 0 must be a TCP port, 1 to 65535"),
        (["--port", "65536"], "--port: 65536 must be a TCP port"),
        (["--what-if", "asg:a:maxSize=3"], "--what-if: cannot go with serve"),
        (["--warning", "95", "--critical", "90"], "--warning"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(flags: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert says in refused(["serve", *flags], capsys)


def test_a_port_taken_is_refused_naming_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        err = refused(["serve", "--address", "127.0.0.1", "--port", str(port), "--region", "eu-west-1"], capsys)
    assert f"--port: {port} cannot listen on 127.0.0.1" in err


def test_an_unknown_profile_is_refused_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    err = refused(["serve", "--profile", "nowhere", "--region", "eu-west-1", "--port", "1"], capsys)
    assert "nowhere" in err


def test_a_port_that_is_not_a_number_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--port", "x"])
    assert exit_.value.code == 2
    assert "argument --port: invalid int value: 'x'" in capsys.readouterr().err
