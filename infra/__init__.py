"""The CDK side of the subnet monitor: constructs, the stack that composes them, and the app builder.

The collector's configuration object lives in the Lambda asset (``lambda/subnet_monitor/core/config/``)
so that synth and the Lambda parse the very same keys. ``lambda`` is a Python keyword and cannot be
a package, so the asset directory itself goes on ``sys.path``; pytest does the same through
``pythonpath`` in ``pyproject.toml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDA_ASSET_DIR = PROJECT_ROOT / "lambda"

if str(LAMBDA_ASSET_DIR) not in sys.path:
    sys.path.insert(0, str(LAMBDA_ASSET_DIR))
