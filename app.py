#!/usr/bin/env python3
"""CDK entry point: ``cdk synth`` / ``cdk deploy`` run this (see ``cdk.json``).

The only place that reads the account and region: the CDK CLI sets ``CDK_DEFAULT_ACCOUNT`` and
``CDK_DEFAULT_REGION`` from the current credentials and profile. Without credentials (``make
synth``) the account stays a deploy-time token and the region falls back to ``FALLBACK_REGION``.
"""

from __future__ import annotations

import os
import sys

import aws_cdk as cdk

from infra.app_builder import CONTEXT_KEY, build_app
from subnet_monitor.core.config import ConfigError

# The region synth assumes when neither the CLI nor the profile names one.
FALLBACK_REGION = "us-east-1"


def main() -> None:
    app = cdk.App()
    try:
        build_app(
            app,
            default_account=os.environ.get("CDK_DEFAULT_ACCOUNT") or None,
            default_region=os.environ.get("CDK_DEFAULT_REGION") or FALLBACK_REGION,
        )
    except ConfigError as error:
        sys.exit(f'cdk.json context "{CONTEXT_KEY}": {error}')
    app.synth()


if __name__ == "__main__":
    main()
