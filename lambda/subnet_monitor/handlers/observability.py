"""The Powertools singletons. The stack sets POWERTOOLS_SERVICE_NAME and
POWERTOOLS_METRICS_NAMESPACE; the defaults here serve the CLI and the tests."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from subnet_monitor.core.metrics import NAMESPACE, SERVICE

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
