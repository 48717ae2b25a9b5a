"""What the scan door of the CLI (``cli.scan_estate``) hands to the commands built on a scan
(``check``, ``report``, ``fix``): the outcome, its clients and its config."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.scan import ScanOutcome


@dataclass
class Scanned:
    outcome: ScanOutcome
    clients: AwsClients
    config: ScanConfig


ScanEstate = Callable[[argparse.Namespace], Scanned]
