"""What one scan of the real Lambda handler is billed for, counted as it runs against moto in this process.

``measure`` makes the template's DynamoDB table and SNS topic in moto, seeds the benchmark's estate
(``fixtures/scale_estate.py``) and invokes the handler twice with the collector's environment from the
template: the first scan finds every subnet new, the second is a steady one. :class:`Meter` counts through
botocore's events on every client made meanwhile: calls by operation (``before-call``) and, from each
call's parameters (``before-parameter-build``), what the bill counts: ``PutMetricData`` datums by metric
and the distinct metrics they make, the metrics ``GetMetricData`` requests, DynamoDB read and write
units, SNS publish requests and EventBridge events. The handler's log lines are read as Powertools writes
them (JSON lines on stdout): the ``subnet_report`` records, the rest, and the metrics its EMF lines carry.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from unittest import mock

import boto3
from botocore import handlers as botocore_handlers
from moto import mock_aws

from fixtures.scale_estate import ACCOUNT, REGION, seed
from fixtures.vpc_cni_addon import VpcCniAddons, serving
from infra.collector import HANDLER

# DynamoDB: a write unit is one write of up to 1 KB; a read unit one strongly consistent read of up to
# 4 KB, or two eventually consistent ones. https://aws.amazon.com/dynamodb/pricing/on-demand/
WRITE_UNIT_BYTES = 1_024
READ_UNIT_BYTES = 4_096
# SNS: "each 64KB chunk of published data is billed as 1 request" (https://aws.amazon.com/sns/pricing/);
# EventBridge counts a custom event in 64 KB chunks too (https://aws.amazon.com/eventbridge/pricing/).
REQUEST_CHUNK_BYTES = 64 * 1_024
# "This size is calculated as the sum of all event messages in UTF-8, plus 26 bytes for each log event."
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html — counted
# here as the ingested size of each line (an upper bound if the bill counts the message alone).
LOG_EVENT_OVERHEAD_BYTES = 26


def collector(template: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The collector function of ``template``: its logical ID and properties."""
    [(logical_id, resource)] = [
        (logical_id, resource)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function" and resource["Properties"].get("Handler") == HANDLER
    ]
    return logical_id, resource["Properties"]


def item_bytes(value: Mapping[str, Any]) -> int:
    """The size DynamoDB bills an item at: attribute names plus values (strings and binaries by their
    length, numbers one byte per two significant digits plus one, lists and maps 3 bytes plus one per
    element).
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html"""

    def size(attribute: Mapping[str, Any]) -> int:
        [(kind, data)] = attribute.items()
        if kind in ("S", "B"):
            return len(data.encode() if isinstance(data, str) else data)
        if kind == "N":
            return (len(data.lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1
        if kind in ("SS", "BS"):
            return sum(len(x.encode() if isinstance(x, str) else x) for x in data)
        if kind == "NS":
            return sum((len(x.lstrip("-").replace(".", "").strip("0")) + 1) // 2 + 1 for x in data)
        if kind == "L":
            return 3 + sum(1 + size(x) for x in data)
        if kind == "M":
            return 3 + sum(1 + len(k.encode()) + size(v) for k, v in data.items())
        return 1  # BOOL, NULL

    return sum(len(name.encode()) + size(attribute) for name, attribute in value.items())


# The operations whose parameters Meter reads for the bill (a method ``_service_Operation`` each).
PRICED_OPERATIONS = frozenset(
    {
        "cloudwatch.PutMetricData",
        "cloudwatch.GetMetricData",
        "dynamodb.BatchGetItem",
        "dynamodb.GetItem",
        "dynamodb.PutItem",
        "dynamodb.BatchWriteItem",
        "dynamodb.UpdateItem",
        "dynamodb.DeleteItem",
        "sns.Publish",
        "events.PutEvents",
    }
)


class Meter:
    """What the calls of every client made while it watches are billed for, from botocore's events:
    ``before-call`` counts each call once (retries are not new calls), ``before-parameter-build`` reads
    its parameters. Registered as botocore built-in handlers, so every session made meanwhile (the
    handler makes its own) has them, as ``fixtures/vpc_cni_addon.serving`` and moto do."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item_sizes: dict[str, int] = {}
        # Each table's key attributes (set as the tables are made), to know an item by its key.
        self.key_names: dict[str, tuple[str, ...]] = {}
        self.reset()

    def reset(self) -> None:
        self.calls: Counter[str] = Counter()
        self.datums: Counter[str] = Counter()
        self.metrics: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
        self.metrics_requested = 0
        self.expressions: list[str] = []
        self.read_units = 0.0
        self.write_units = 0
        self.sns_requests = 0
        self.sns_bytes = 0
        self.events = 0

    @contextlib.contextmanager
    def watching(self) -> Iterator[Meter]:
        entries = [("before-call", self._count), ("before-parameter-build", self._read)]
        botocore_handlers.BUILTIN_HANDLERS.extend(entries)
        try:
            yield self
        finally:
            for entry in entries:
                botocore_handlers.BUILTIN_HANDLERS.remove(entry)

    def take(self) -> dict[str, Any]:
        """This scan's figures, and a fresh count for the next."""
        with self._lock:
            taken = {
                "calls": dict(sorted(self.calls.items())),
                "datums": dict(sorted(self.datums.items())),
                "metrics": sorted(self.metrics),
                "metrics_requested": self.metrics_requested,
                "expression_queries": self.expressions,
                "dynamodb_read_units": self.read_units,
                "dynamodb_write_units": self.write_units,
                "sns_requests": self.sns_requests,
                "sns_bytes": self.sns_bytes,
                "eventbridge_events": self.events,
            }
            self.reset()
        return taken

    def _count(self, event_name: str, **_: Any) -> None:
        with self._lock:
            self.calls[event_name.split(".", 1)[1]] += 1

    def _read(self, event_name: str, params: Mapping[str, Any], **_: Any) -> None:
        operation = event_name.split(".", 1)[1]
        if operation in PRICED_OPERATIONS:
            with self._lock:
                getattr(self, "_" + operation.replace(".", "_"))(params)

    def _cloudwatch_PutMetricData(self, params: Mapping[str, Any]) -> None:  # noqa: N802 - the operation's name
        for datum in params["MetricData"]:
            dimensions = tuple(sorted((d["Name"], d["Value"]) for d in datum.get("Dimensions", [])))
            self.metrics.add((params["Namespace"], datum["MetricName"], dimensions))
            self.datums[datum["MetricName"]] += 1

    def _cloudwatch_GetMetricData(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        for query in params["MetricDataQueries"]:
            if "MetricStat" in query:
                self.metrics_requested += 1
            else:
                self.expressions.append(query.get("Expression", ""))

    def _key(self, table: str, key: Mapping[str, Any]) -> str:
        return json.dumps([table, key], sort_keys=True)

    def _read_item(self, table: str, key: Mapping[str, Any], consistent: bool) -> None:
        # An item not written in this run is taken to fit one read unit (4 KB).
        units = max(1, math.ceil(self._item_sizes.get(self._key(table, key), 1) / READ_UNIT_BYTES))
        self.read_units += units * (1 if consistent else 0.5)

    def _dynamodb_BatchGetItem(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        for table, request in params["RequestItems"].items():
            for key in request["Keys"]:
                self._read_item(table, key, request.get("ConsistentRead", False))

    def _dynamodb_GetItem(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        self._read_item(params["TableName"], params["Key"], params.get("ConsistentRead", False))

    def _put(self, table: str, item: Mapping[str, Any], key_names: Sequence[str]) -> None:
        size = item_bytes(item)
        self._item_sizes[self._key(table, {k: item[k] for k in key_names if k in item})] = size
        self.write_units += max(1, math.ceil(size / WRITE_UNIT_BYTES))

    def _dynamodb_PutItem(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        self._put(params["TableName"], params["Item"], self.key_names.get(params["TableName"], ()))

    def _dynamodb_BatchWriteItem(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    self._put(table, request["PutRequest"]["Item"], self.key_names.get(table, ()))
                else:
                    self.write_units += 1

    def _dynamodb_UpdateItem(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        # The whole item's size is not in the request; the items updated (markers, counters) are small.
        self.write_units += 1

    def _dynamodb_DeleteItem(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        self.write_units += 1

    def _sns_Publish(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        size = len(params["Message"].encode()) + len(json.dumps(params.get("MessageAttributes", {})).encode())
        self.sns_bytes += size
        self.sns_requests += max(1, math.ceil(size / REQUEST_CHUNK_BYTES))

    def _events_PutEvents(self, params: Mapping[str, Any]) -> None:  # noqa: N802
        for entry in params["Entries"]:
            self.events += max(1, math.ceil(len(json.dumps(entry).encode()) / REQUEST_CHUNK_BYTES))


class _Context:
    function_name = "subnet-monitor-collector"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:subnet-monitor-collector"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


def _provision(template: Mapping[str, Any], variables: Mapping[str, Any], meter: Meter) -> dict[str, str]:
    """The collector's environment with each reference to a table or topic of the template replaced by
    one made in moto from the template's own definition."""
    resources = template["Resources"]
    resolved: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, str):
            resolved[name] = value
            continue
        reference = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
        resource = resources.get(reference, {})
        if resource.get("Type") == "AWS::DynamoDB::Table":
            properties = resource["Properties"]
            boto3.client("dynamodb", region_name=REGION).create_table(
                TableName=reference,
                KeySchema=properties["KeySchema"],
                AttributeDefinitions=properties["AttributeDefinitions"],
                BillingMode="PAY_PER_REQUEST",
            )
            meter.key_names[reference] = tuple(k["AttributeName"] for k in properties["KeySchema"])
            resolved[name] = reference if "Ref" in value else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{reference}"
        elif resource.get("Type") == "AWS::SNS::Topic":
            resolved[name] = boto3.client("sns", region_name=REGION).create_topic(Name=reference)["TopicArn"]
        else:
            raise ValueError(f"the collector's variable {name} refers to {value}, which the calculator cannot make")
    return resolved


def _log_lines(text: str) -> dict[str, Any]:
    """The handler's log lines: the ``subnet_report`` records and the rest, in bytes as ingested, and
    the metrics its EMF lines carry."""
    report_bytes = report_records = other_bytes = other_records = 0
    emf: set[tuple[str, tuple[str, ...]]] = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        size = len(line.encode()) + LOG_EVENT_OVERHEAD_BYTES
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("message") == "subnet_report":
            report_bytes += size
            report_records += 1
            continue
        other_bytes += size
        other_records += 1
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimensions in directive.get("Dimensions", [[]]):
                for metric in directive.get("Metrics", []):
                    emf.add((metric["Name"], tuple(sorted(dimensions))))
    return {
        "report_bytes": report_bytes,
        "report_records": report_records,
        "other_log_bytes": other_bytes,
        "other_log_records": other_records,
        "emf_metrics": sorted(emf),
    }


def _scan(meter: Meter) -> dict[str, Any]:
    """One invocation of the real handler as the schedule makes it, its clients made afresh."""
    from subnet_monitor.handlers import scan as handler  # noqa: PLC0415 - after the environment is set

    for value in vars(handler).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()
    out = io.StringIO()
    log_handler = handler.logger.registered_handler
    stream = log_handler.stream
    log_handler.setStream(out)
    try:
        with contextlib.redirect_stdout(out):  # the EMF lines are printed, as in Lambda
            summary = handler.lambda_handler({"source": "aws.scheduler"}, _Context())
    finally:
        log_handler.setStream(stream)
    return {"subnets": summary["subnets"], "errors": summary["errors"], **meter.take(), **_log_lines(out.getvalue())}


def measure(template: Mapping[str, Any], subnets: int) -> dict[str, Any]:
    """Two scans of the benchmark's estate of ``subnets`` by the real handler with the collector's
    environment from ``template``, in moto in this process; what each was billed for."""
    _, function = collector(template)
    variables = function.get("Environment", {}).get("Variables", {})
    credentials = {
        "AWS_ACCESS_KEY_ID": "cost",
        "AWS_SECRET_ACCESS_KEY": "cost",
        "AWS_DEFAULT_REGION": REGION,
    }
    meter = Meter()
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, credentials))
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        stack.enter_context(mock_aws())
        # moto has no DescribeAddon: the estate's clusters run a self-managed CNI (no vpc-cni add-on).
        stack.enter_context(serving(VpcCniAddons()))
        os.environ.update(_provision(template, variables, meter))
        estate = seed(lambda service: boto3.client(service, region_name=REGION), subnets)
        stack.enter_context(meter.watching())
        first = _scan(meter)
        steady = _scan(meter)
    return {"estate_subnets": len(estate.subnet_ids), "first_scan": first, "steady_scan": steady}
