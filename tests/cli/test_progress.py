"""The scan's progress on stderr: on a terminal only, one line rewritten in place, erased at the end."""

from __future__ import annotations

import io
import json
import sys

import pytest

from subnet_monitor import cli
from subnet_monitor.cli import main
from subnet_monitor.render.terminal import REWRITE_LINE
from tests.moto_estate import Vpc


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def clusters(vpc: Vpc) -> list[str]:
    """Three ECS clusters with a service each."""
    subnets = []
    for name in ("payments", "search", "ledger"):
        subnet = vpc.subnet()
        vpc.ecs_cluster(name)
        vpc.ecs_service(name, "api", [subnet])
        subnets.append(subnet)
    return subnets


def test_a_terminal_sees_the_clusters_counted_on_one_line_erased_at_the_end(
    clusters: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN stderr is a terminal, and a scan long enough to show progress (here: from its start)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", 0)

    # WHEN scanned with --json
    assert main(["scan", "--json"]) == 0

    # THEN stderr counted the ECS clusters on one rewritten line (no line feed) and erased it last
    shown = terminal.getvalue()
    assert f"{REWRITE_LINE}scanning: ECS clusters 3/3" in shown
    assert "\n" not in shown
    assert shown.endswith(REWRITE_LINE)
    # ... and stdout is the JSON report alone
    assert {r["subnet_id"] for r in json.loads(capsys.readouterr().out)} == set(clusters)


def test_a_pipe_gets_no_progress(clusters: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN stderr is a pipe or a file (not a terminal), however long the scan
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", 0)

    # WHEN scanned, THEN nothing is written to it (the scan has no errors to report)
    assert main(["scan"]) == 0
    assert piped.getvalue() == ""


def test_a_short_scan_shows_nothing_even_on_a_terminal(clusters: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN stderr is a terminal and the usual delay (moto answers this scan well within it)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(cli, "PROGRESS_AFTER_SECONDS", 3600)

    # WHEN scanned, THEN the terminal gets nothing
    assert main(["scan"]) == 0
    assert terminal.getvalue() == ""
