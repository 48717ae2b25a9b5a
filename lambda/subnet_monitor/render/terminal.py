"""Text for a terminal: the control characters a name may hold are shown, not obeyed.

An ECS service, a node group, an Auto Scaling group or a plan's subnet can be named with a terminal
escape (``\\x1b[2J`` clears the screen and can hide the CRITICAL rows), a carriage return that
overwrites the line, or a bidirectional override that reorders it. ``--json`` escapes them already;
:func:`for_terminal` does the same for the text the CLI prints (through :func:`say`). Pure: no I/O.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from typing import TextIO

from subnet_monitor.core.text import escape_unsafe


def for_terminal(text: str) -> str:
    r"""``text`` with every unsafe character written as its escape.

    >>> for_terminal("web\x1b[2J\r\tok\n")
    'web\\x1b[2J\\x0d\\x09ok\n'
    >>> for_terminal("a\u202eb")
    'a\\u202eb'
    """
    return escape_unsafe(text)


def one_line(text: str) -> str:
    r"""A value that must stay on its line (a table cell, a finding, a check's subject): unsafe characters
    and the line feed written as escapes, so a name cannot start a line of its own that looks like one
    of ours (a forged ``CRITICAL`` row).

    >>> one_line("web\nCRITICAL")
    'web\\x0aCRITICAL'
    """
    return escape_unsafe(text, keep_newlines=False)


# Back to the start of the line, then erase to its end (ECMA-48: CR, and EL as CSI K): what follows
# rewrites the line in place.
REWRITE_LINE = "\r\x1b[K"


def progress_line(text: str) -> str:
    r"""``text`` made safe, written over the terminal's current line (no line feed).

    >>> progress_line("reading ENIs 2/7")
    '\r\x1b[Kreading ENIs 2/7'
    """
    return REWRITE_LINE + for_terminal(text)


def table(rows: Sequence[Sequence[str]], numeric: Collection[int] = ()) -> list[str]:
    """Rows (the header first) as aligned lines: columns two spaces apart, the ``numeric`` ones
    right-aligned, every cell kept on its line (:func:`one_line`).

    >>> table([("NAME", "FREE"), ("web", "7")], numeric={1})
    ['NAME  FREE', 'web      7']
    """
    cells = [[one_line(cell) for cell in row] for row in rows]
    if not cells:
        return []
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return [
        "  ".join(
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in cells
    ]


def say(text: str, file: TextIO | None = None) -> None:
    """``print`` for the CLI: every line it writes goes through :func:`for_terminal`."""
    print(for_terminal(text), file=file or sys.stdout)
