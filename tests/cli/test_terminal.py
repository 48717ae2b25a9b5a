"""Hostile names reach the terminal as escapes, never as control sequences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from subnet_monitor.cli import main
from subnet_monitor.render.terminal import for_terminal
from tests.design.test_plan import EXAMPLE

HOSTILE = "eks\x1b[2J\x1b[H\r\u202enodes"


def test_a_plan_naming_a_subnet_with_a_terminal_escape_prints_it_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the example plan with one subnet renamed to clear the screen and overwrite the line
    plan = json.loads(EXAMPLE.read_text())
    old = plan["subnets"][0]["name"]
    text = json.dumps(plan).replace(json.dumps(old), json.dumps(HOSTILE))
    (tmp_path / "plan.json").write_text(text)
    # WHEN the design check prints its text report
    main(["check", "--plan", str(tmp_path / "plan.json")])
    out = capsys.readouterr().out
    # THEN the name is there, written as escapes, and nothing in the output is a control character
    assert "eks\\x1b[2J\\x1b[H\\x0d\\u202enodes" in out
    assert not any(c in out for c in "\x1b\r\u202e")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\t", "\r", "\x1b", "\x7f", "\x9b", "\u200b", "\u202e", "\u2066"])
def test_every_unsafe_character_is_written_as_its_escape_and_lines_are_kept(char: str) -> None:
    shown = for_terminal(f"a{char}b\nc")
    assert char not in shown
    assert shown == f"a\\{'x' if ord(char) < 0x100 else 'u'}{ord(char):0{2 if ord(char) < 0x100 else 4}x}b\nc"
