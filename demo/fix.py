"""``make demo``, part 3: ``subnet-monitor fix`` on the seeded estate, and the plan of one short subnet.

The same CLI a user runs: it scans, reads the VPC's address space, and prints a plan for every short
subnet; the demo shows how many there are and the plan of the fragmented prefix-delegation node
subnet (a new subnet, a prefix reservation, a new node group), commands included. Nothing is changed.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from fixtures.estate import Estate
from subnet_monitor.cli import main as cli_main

SHOWN_SUBNET = "eks-nodes-b"


def run_fix_demo(estate: Estate, config_file: Path) -> bool:
    """Print ``fix``'s summary and the text plan of :data:`SHOWN_SUBNET`; whether it had one."""
    config = str(config_file.relative_to(Path.cwd())) if config_file.is_relative_to(Path.cwd()) else str(config_file)
    plans = io.StringIO()
    with contextlib.redirect_stdout(plans):
        cli_main(["fix", "--config", config, "--json"])
    document = json.loads(plans.getvalue())
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        cli_main(["fix", "--config", config])
    shown = estate.subnet_id(SHOWN_SUBNET)
    blocks = text.getvalue().split("\n\n")
    plan = next((block for block in blocks if block.startswith(shown)), None)
    proposed = sum(len(vpc["proposed"]) for vpc in document["vpcs"])
    print(f"\n$ python -m subnet_monitor fix --config {config}   # {SHOWN_SUBNET}'s plan of the")
    print(f"{len(document['plans'])} short subnets ({proposed} new subnets proposed, none overlapping):")
    print(plan or f"(no plan for {SHOWN_SUBNET})")
    return plan is not None
