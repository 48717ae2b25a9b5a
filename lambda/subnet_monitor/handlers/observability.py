"""The Powertools singletons. The stack sets POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE; the defaults here serve the CLI and the tests."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from subnet_monitor.core.metrics import NAMESPACE, SERVICE
from subnet_monitor.core.text import json_unsafe_escaped


def _log_json(record: Any) -> str:
    r"""Powertools' own serializer (compact, ``default=str``, non-ASCII kept readable), except that a
    name's bidirectional override or C1 control is written as its ``\u`` escape: the CloudWatch Logs
    console shows the record as it is, not reordered."""
    return json_unsafe_escaped(json.dumps(record, default=str, separators=(",", ":"), ensure_ascii=False))


logger = Logger(service=SERVICE, json_serializer=_log_json)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
