"""``make bench``: one full scan of 100, 1,000 and 10,000 subnets on a moto server, against the naive approach."""

import sys
from pathlib import Path

# The Lambda asset's package lives in lambda/ ("lambda" is a keyword, so it is a path, not a package).
_LAMBDA_DIR = str(Path(__file__).resolve().parent.parent / "lambda")
if _LAMBDA_DIR not in sys.path:
    sys.path.insert(0, _LAMBDA_DIR)
