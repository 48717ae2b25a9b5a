"""``make demo``, the what-if: the seeded estate judged as if node group "general" could grow from 12 nodes to
20. Nothing in the embedded AWS changes; the scan reads once and the capacity model runs before and after."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from subnet_monitor.cli import main as cli_main
from subnet_monitor.render.text import WHAT_IF_HEADING

WHAT_IF = "nodegroup:platform/general:maxSize=20"


def run_what_if_demo(config_file: Path) -> None:
    """Print the what-if part of ``scan --what-if`` (the table above it is the usual one, after the change).

    Raises
    ------
    RuntimeError
        when the scan does not exit 0 or prints no what-if: the demo must fail, not look fine.
    """
    argv = ["scan", "--config", os.path.relpath(config_file), "--what-if", WHAT_IF]
    print(f"\n$ python -m subnet_monitor {' '.join(argv)}   # its what-if part:")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli_main(argv)
    text = out.getvalue()
    if code != 0 or WHAT_IF_HEADING not in text:
        raise RuntimeError(f"scan --what-if exited {code} without its what-if section")
    print(WHAT_IF_HEADING + text.split(WHAT_IF_HEADING, 1)[1].split("\n\nfindings", 1)[0])
