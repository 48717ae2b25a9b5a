"""``make cost``: what the monitor costs a month at list price, per ``metrics`` setting, from what it does.

For each setting of the ``metrics`` key (``lean``, ``default``, ``detailed``):

1. **The stack.** Synthesize it with ``{"metrics": SETTING}`` as ``app.py`` builds it, and count from the
   template what is billed whatever the scans do: standard alarms and the metrics they watch, Metrics
   Insights alarms and the metric each query analyzes, dashboards, KMS keys, DynamoDB tables, the
   collector's schedule (scans a month) and memory. The EMF health metrics are the ``add_metric`` names
   of the Lambda handlers (``subnet_monitor/handlers``) and any other the collector's EMF output carries.
2. **The scans.** Run the real Lambda handler twice, with the collector's environment from that template
   (its DynamoDB table and SNS topic made in moto), against moto in this process on the estate of ``make
   bench`` (``fixtures/scale_estate.py``; ``--estate``, default 200 subnets), counting through botocore's
   events on every client: calls by operation (``before-call``) and, from each call's parameters
   (``before-parameter-build``), the ``PutMetricData`` datums by metric (so the distinct metrics a subnet
   has), the metrics ``GetMetricData`` requests, the DynamoDB request units, the SNS and EventBridge
   requests. The first scan finds every subnet new (every state changes); the second is a steady one.
   The handler's log lines are counted as Powertools writes them: the ``subnet_report`` records (bytes a
   subnet) and the rest (bytes a scan).
3. **The bill.** Scale the per-subnet counts to each size (``--sizes``, default 100, 1,000 and 10,000
   subnets) and apply the us-east-1 list prices below; the Lambda duration at each size is ``make
   bench``'s (``bench/results.json``) when there, else the figures of ``docs/scale-and-cost.md``.

The counting is in ``bench/meter.py``; the prices, each with its source, are below.

Prints one table per setting against the targets and writes everything to ``bench/cost.json`` (or ``-o``).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# jsii (under aws-cdk-lib) warns about the Node.js version on every import; harmless here (as the Makefile says).
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk.assertions import Template

from bench.meter import PRICED_OPERATIONS, REQUEST_CHUNK_BYTES, collector, measure
from fixtures.scale_estate import ACCOUNT, REGION
from infra.app_builder import CONTEXT_KEY, build_app
from subnet_monitor.aws.cloudwatch import PUT_METRIC_DATA_MAX_DATUMS
from subnet_monitor.core.config import ENV_SCAN_CONFIG, ScanConfig, schedule_period_seconds
from subnet_monitor.core.metrics import DIMENSION_SUBNET, NAMESPACE

REPO = Path(__file__).resolve().parent.parent
SETTINGS = ("lean", "default", "detailed")
# The targets, per monitored subnet-month at list price (detailed: no target).
TARGETS = {"lean": 0.40, "default": 0.70}
DEFAULT_SIZES = (100, 1_000, 10_000)
DEFAULT_ESTATE = 200  # one VPC of the benchmark's layout, one ECS and one EKS cluster
DEFAULT_OUTPUT = Path(__file__).with_name("cost.json")
BENCH_RESULTS = Path(__file__).with_name("results.json")
HANDLERS_DIR = REPO / "lambda" / "subnet_monitor" / "handlers"
SECONDS_PER_MONTH = 30 * 24 * 3600  # a 30-day month: 8,640 scans at rate(5 minutes)

# --- us-east-1 list prices -------------------------------------------------------------------------
# CloudWatch, https://aws.amazon.com/cloudwatch/pricing/ (Metrics, Alarms, Dashboards, Logs tabs):
# custom metrics per metric-month, tiered over the account's metrics (prorated by the hour).
METRIC_TIERS = ((10_000, 0.30), (240_000, 0.10), (750_000, 0.05), (math.inf, 0.02))
STANDARD_ALARM_METRIC = 0.10  # standard resolution, per alarm metric a month
INSIGHTS_ALARM_METRIC = 0.10  # a Metrics Insights query alarm, per metric it analyzes a month
COMPOSITE_ALARM = 0.50
GET_METRIC_DATA_PER_1000_METRICS = 0.01  # per 1,000 metrics requested
API_REQUESTS_PER_1000 = 0.01  # PutMetricData and the other CloudWatch API requests
DASHBOARD = 3.00  # per dashboard a month
LOGS_INGESTED_PER_GB = 0.50  # standard log class, per GB ingested
# Lambda, https://aws.amazon.com/lambda/pricing/: per GB-second by architecture (first 6 / 7.5 billion
# GB-seconds a month), and requests.
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
LAMBDA_REQUEST = 0.20 / 1_000_000
# DynamoDB on-demand, https://aws.amazon.com/dynamodb/pricing/on-demand/ (halved on 2024-11-01:
# https://aws.amazon.com/about-aws/whats-new/2024/11/amazon-dynamodb-reduces-prices-on-demand-throughput-global-tables/).
DYNAMODB_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_READ_UNIT = 0.125 / 1_000_000
# SNS, https://aws.amazon.com/sns/pricing/: $0.50 per million publish requests (64 KB chunks: bench/meter.py).
SNS_PUBLISH = 0.50 / 1_000_000
# EventBridge, https://aws.amazon.com/eventbridge/pricing/: custom events $1.00 per million (64 KB chunks).
EVENTBRIDGE_EVENT = 1.00 / 1_000_000
# KMS, https://aws.amazon.com/kms/pricing/: $1 per customer managed key a month.
KMS_KEY = 1.00

# Calls billed as nothing (by the service part of botocore's event names): EC2, ECS, EKS and Auto Scaling
# describe and list requests carry no charge.
FREE_SERVICES = frozenset({"ec2", "ecs", "eks", "auto-scaling", "application-auto-scaling"})

# Lambda durations of one scan when bench/results.json is absent: ``make bench`` as measured in
# docs/scale-and-cost.md ("Scale and benchmark", 2026-11-24: wall time of the handler on moto).
DOCUMENTED_DURATIONS_S = {100: 1.30, 1_000: 5.24, 10_000: 53.6}
# docs/scale-and-cost.md "Sizing the function": past ~2,000 subnets the collector needs about one vCPU
# (1,769 MB) to finish inside its timeout; below, the template's memory.
LARGE_ESTATE_SUBNETS = 2_000
LARGE_ESTATE_MEMORY_MB = 1_769

# SELECT FUNC(Metric) FROM SCHEMA("Namespace", Dim, ...) or FROM "Namespace" / FROM Namespace.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
INSIGHTS_QUERY = re.compile(
    r"SELECT\s+\w+\(\s*\"?(?P<metric>[^\")\s]+)\"?\s*\)\s+FROM\s+"
    r"(?:SCHEMA\(\s*\"?(?P<schema>[^\",)]+)\"?\s*(?:,(?P<keys>[^)]*))?\)|\"?(?P<namespace>[^\"\s]+)\"?)",
    re.IGNORECASE,
)


# --- the stack ---------------------------------------------------------------------------------------


def build_stack(setting: str) -> cdk.Stack:
    """The stack ``app.py`` builds with ``{"metrics": setting}`` as the ``subnet-monitor`` block (every
    other key at its default) and the committed feature flags, for the benchmark's account and region."""
    context = json.loads((REPO / "cdk.json").read_text())["context"] | {CONTEXT_KEY: {"metrics": setting}}
    app = cdk.App(context=context)
    [stack] = build_app(app, default_account=ACCOUNT, default_region=REGION)
    return stack


def synthesize(setting: str) -> dict[str, Any]:
    """The CloudFormation template of :func:`build_stack`."""
    return Template.from_stack(build_stack(setting)).to_json()


def stack_counts(template: Mapping[str, Any]) -> dict[str, Any]:
    """What the template bills whatever the scans do.

    A standard alarm bills one alarm metric per metric it watches (its ``MetricStat`` entries, or the one
    metric it names). An alarm whose metrics hold a Metrics Insights query (``SELECT ...``) bills one alarm
    metric per metric the query analyzes; the query is kept, to be matched against the metrics published
    (:func:`analyzed_metrics`).
    """
    resources = template["Resources"]
    by_type = Counter(resource["Type"] for resource in resources.values())
    standard: dict[str, int] = {}
    insights: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        metrics = resource["Properties"].get("Metrics", [])
        queries = [
            match.groupdict()
            for entry in metrics
            if isinstance(entry.get("Expression"), str)
            for match in [INSIGHTS_QUERY.search(entry["Expression"])]
            if match
        ]
        if queries:
            insights[logical_id] = queries
        else:
            standard[logical_id] = sum(1 for entry in metrics if "MetricStat" in entry) or 1
    collector_id, function = collector(template)
    periods = [
        schedule_period_seconds(resource["Properties"]["ScheduleExpression"])
        for resource in resources.values()
        if resource["Type"] == "AWS::Scheduler::Schedule"
        and collector_id in json.dumps(resource["Properties"].get("Target", {}))
    ]
    if len(periods) != 1 or periods[0] is None:
        raise ValueError(f"expected one rate(...) schedule of the collector, found {periods}")
    return {
        "standard_alarm_metrics": standard,
        "insights_alarms": insights,
        "composite_alarms": by_type["AWS::CloudWatch::CompositeAlarm"],
        "dashboards": by_type["AWS::CloudWatch::Dashboard"],
        "kms_keys": by_type["AWS::KMS::Key"],
        "dynamodb_tables": by_type["AWS::DynamoDB::Table"],
        "scans_per_month": SECONDS_PER_MONTH // periods[0],
        "collector_memory_mb": function.get("MemorySize", 128),
        "collector_architecture": function.get("Architectures", ["x86_64"])[0],
    }


def handler_metric_names(directory: Path = HANDLERS_DIR) -> list[str]:
    """The EMF metrics the Lambda handlers can emit: the ``name=`` of every ``metrics.add_metric(...)``
    call that is a string or a constant of the handler's module (the names live in ``core/metrics.py``);
    a name computed at run time is not seen here, but in the EMF output of the measured scans."""
    names = set()
    for path in sorted(directory.glob("*.py")):
        module = None
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_metric"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "metrics"
            ):
                continue
            [name] = [keyword.value for keyword in node.keywords if keyword.arg == "name"] or node.args[:1]
            if isinstance(name, ast.Constant):
                names.add(name.value)
            elif isinstance(name, ast.Name):
                module = module or importlib.import_module(f"subnet_monitor.handlers.{path.stem}")
                # A loop's variable (the collector's risk counts) is no constant: those are read from
                # the collector's EMF output instead.
                if isinstance(getattr(module, name.id, None), str):
                    names.add(getattr(module, name.id))
    return sorted(names)


# --- the bill --------------------------------------------------------------------------------------------


def tiered(metrics: float) -> float:
    """Custom metrics a month, CloudWatch's tiers applied to the account's count."""
    cost, below = 0.0, 0.0
    for width, price in METRIC_TIERS:
        part = min(max(metrics - below, 0.0), width)
        cost += part * price
        below += width
    return cost


def analyzed_metrics(query: Mapping[str, Any], per_subnet: Sequence[Any], fixed: Sequence[Any], size: int) -> float:
    """The metrics a Metrics Insights query analyzes at ``size`` subnets: those published (per subnet,
    scaled; and the per-stack ones) with its metric name, in its namespace, with exactly the SCHEMA's
    dimension keys when it names a SCHEMA. A WHERE clause is not read (the figure is an upper bound)."""
    namespace = query["schema"] or query["namespace"]
    keys = (
        None
        if query["schema"] is None
        else {k.strip().strip('"') for k in (query["keys"] or "").split(",") if k.strip()}
    )

    def matches(metric: Sequence[Any]) -> bool:
        metric_namespace, name, dimensions = metric
        return (
            name == query["metric"]
            and metric_namespace == namespace
            and (keys is None or {d[0] for d in dimensions} == keys)
        )

    return sum(1 for m in per_subnet if matches(m)) * size + sum(1 for m in fixed if matches(m))


def duration_at(size: int, durations: Mapping[int, float]) -> float:
    """The scan's seconds at ``size`` subnets: a measured size's own, else interpolated linearly between
    the two measured sizes around it, or scaled in proportion from the nearest one outside them."""
    if size in durations:
        return durations[size]
    known = sorted(durations)
    below = [s for s in known if s < size]
    above = [s for s in known if s > size]
    if below and above:
        low, high = below[-1], above[0]
        return durations[low] + (durations[high] - durations[low]) * (size - low) / (high - low)
    nearest = below[-1] if below else above[0]
    return durations[nearest] * size / nearest


def load_durations(path: Path = BENCH_RESULTS) -> tuple[dict[int, float], str]:
    """Scan durations by size: ``make bench``'s wall time of the handler when ``path`` holds them, else
    the documented ones."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        results = json.loads(path.read_text())
        durations = {int(row["size"]): float(row["wall_s"]) for row in results["sizes"]}
        if durations:
            return durations, f"{path.name} (make bench of {results.get('generated', 'an unknown date')})"
    return dict(DOCUMENTED_DURATIONS_S), "docs/scale-and-cost.md (make bench of 2026-11-24; no bench/results.json)"


def per_subnet_figures(measured: Mapping[str, Any], emf_names: Sequence[str]) -> dict[str, Any]:
    """The measured scans as rates: per subnet and scan, per scan, and the stack's own metrics."""
    steady, first = measured["steady_scan"], measured["first_scan"]
    subnets = steady["subnets"]
    metrics = [(m[0], m[1], tuple(tuple(d) for d in m[2])) for m in steady["metrics"]]
    per_subnet = [m for m in metrics if any(d[0] == DIMENSION_SUBNET for d in m[2])]
    # One entry per metric a subnet has: the metric name with the dimension keys (the subnet's ID dropped).
    per_subnet_kinds = sorted({(m[0], m[1], tuple((d[0], "") for d in m[2])) for m in per_subnet})
    fixed = {m for m in metrics if m not in per_subnet}
    emf = {(NAMESPACE, name, (("service", ""),)) for name in emf_names}
    emf |= {(NAMESPACE, name, tuple((d, "") for d in dims)) for name, dims in steady["emf_metrics"]}
    fixed_metrics = sorted(fixed | emf)
    datums = sum(steady["datums"].values())
    return {
        "subnets": subnets,
        # What a scan could not read would be missing from the figures: said, not hidden.
        "scan_errors": [*first["errors"], *steady["errors"]],
        "metrics_per_subnet": len(per_subnet) / subnets,
        "metric_kinds": [
            {"metric": m[1], "subnets_share": sum(1 for p in per_subnet if p[1] == m[1]) / subnets}
            for m in per_subnet_kinds
        ],
        "per_subnet_kinds": per_subnet_kinds,
        "fixed_metrics": fixed_metrics,
        "datums_per_subnet": datums / subnets,
        "metrics_requested_per_subnet": steady["metrics_requested"] / subnets,
        "expression_queries": steady["expression_queries"],
        "report_bytes_per_subnet": steady["report_bytes"] / max(1, steady["report_records"]),
        "other_log_bytes_per_scan": steady["other_log_bytes"],
        "dynamodb": {
            "read_units_per_scan": steady["dynamodb_read_units"],
            "write_units_steady_scan": steady["dynamodb_write_units"],
            "write_units_first_scan": first["dynamodb_write_units"],
        },
        "sns": {"requests_first_scan": first["sns_requests"], "bytes_first_scan": first["sns_bytes"]},
        "eventbridge_events_per_scan": max(first["eventbridge_events"], steady["eventbridge_events"]),
        "billed_calls": {
            scan: {op: n for op, n in measured[scan]["calls"].items() if op.split(".")[0] not in FREE_SERVICES}
            for scan in ("first_scan", "steady_scan")
        },
        "unpriced_calls": {
            op: n
            for op, n in (first["calls"] | steady["calls"]).items()
            if op.split(".")[0] not in FREE_SERVICES and op not in PRICED_OPERATIONS
        },
    }


def monthly(stack: Mapping[str, Any], rates: Mapping[str, Any], size: int, duration_s: float) -> dict[str, Any]:
    """The month's bill for one account/region of ``size`` subnets, line by line.

    DynamoDB and SNS are priced as if every scan changed every shard and published (the first scan's
    writes and publish), and every item grew with the subnets (the forecast's history does; the others only
    with the subnets at risk), never below what was measured: an upper bound.
    """
    n = stack["scans_per_month"]
    scale = size / rates["subnets"]
    metrics = rates["metrics_per_subnet"] * size + len(rates["fixed_metrics"])
    standard_alarm_metrics = sum(stack["standard_alarm_metrics"].values())
    analyzed = sum(
        analyzed_metrics(query, rates["per_subnet_kinds"], rates["fixed_metrics"], size)
        for queries in stack["insights_alarms"].values()
        for query in queries
    )
    datums = rates["datums_per_subnet"] * size
    put_calls = math.ceil(datums / PUT_METRIC_DATA_MAX_DATUMS) if datums else 0
    log_bytes = rates["report_bytes_per_subnet"] * size + rates["other_log_bytes_per_scan"]
    memory_mb = (
        max(stack["collector_memory_mb"], LARGE_ESTATE_MEMORY_MB)
        if size > LARGE_ESTATE_SUBNETS
        else stack["collector_memory_mb"]
    )
    gb_seconds = duration_s * memory_mb / 1024 * n
    dynamo = rates["dynamodb"]
    grow = max(1.0, scale)
    write_units = dynamo["write_units_first_scan"] * grow
    read_units = dynamo["read_units_per_scan"] * grow
    sns_requests = (
        math.ceil(rates["sns"]["bytes_first_scan"] * scale / REQUEST_CHUNK_BYTES)
        if rates["sns"]["requests_first_scan"]
        else 0
    )
    lines = {
        "metrics": (tiered(metrics), f"{metrics:,.0f} metrics"),
        "alarms": (
            standard_alarm_metrics * STANDARD_ALARM_METRIC
            + analyzed * INSIGHTS_ALARM_METRIC
            + stack["composite_alarms"] * COMPOSITE_ALARM,
            f"{standard_alarm_metrics} + {analyzed:,.0f} MI",
        ),
        "GetMetricData": (
            rates["metrics_requested_per_subnet"] * size * n / 1000 * GET_METRIC_DATA_PER_1000_METRICS,
            f"{rates['metrics_requested_per_subnet'] * size:,.0f}/scan",
        ),
        "PutMetricData": (
            put_calls * n / 1000 * API_REQUESTS_PER_1000,
            f"{put_calls} call{'' if put_calls == 1 else 's'}/scan",
        ),
        "logs": (log_bytes * n / 1e9 * LOGS_INGESTED_PER_GB, f"{log_bytes * n / 1e9:,.2f} GB"),
        "Lambda": (
            gb_seconds * LAMBDA_GB_SECOND[stack["collector_architecture"]] + n * LAMBDA_REQUEST,
            f"{duration_s:.1f} s, {memory_mb:,} MB",
        ),
        "DynamoDB + SNS": (
            n
            * (
                read_units * DYNAMODB_READ_UNIT
                + write_units * DYNAMODB_WRITE_UNIT
                + sns_requests * SNS_PUBLISH
                + rates["eventbridge_events_per_scan"] * EVENTBRIDGE_EVENT
            ),
            f"{read_units:,.0f} RRU, {write_units:,.0f} WRU, {sns_requests} SNS/scan",
        ),
        "fixed": (
            stack["dashboards"] * DASHBOARD + stack["kms_keys"] * KMS_KEY,
            f"{stack['dashboards']} dashboard, {stack['kms_keys']} key",
        ),
    }
    total = sum(cost for cost, _ in lines.values())
    return {
        "size": size,
        "lines": {name: {"cost": cost, "detail": detail} for name, (cost, detail) in lines.items()},
        "total": total,
        "per_subnet": total / size,
        "duration_s": duration_s,
        "memory_mb": memory_mb,
        "metrics": metrics,
        "insights_metrics_analyzed": analyzed,
    }


def cost_setting(
    setting: str,
    template: Mapping[str, Any],
    measured: Mapping[str, Any],
    sizes: Sequence[int],
    durations: Mapping[int, float],
) -> dict[str, Any]:
    """One setting's stack counts, measured rates, monthly bill at each size and its target."""
    stack = stack_counts(template)
    rates = per_subnet_figures(measured, handler_metric_names())
    rows = [monthly(stack, rates, size, duration_at(size, durations)) for size in sizes]
    target = TARGETS.get(setting)
    return {
        "setting": setting,
        "stack": stack,
        "measured": rates,
        "sizes": rows,
        "target_per_subnet": target,
        "targets_met": None if target is None else {row["size"]: row["per_subnet"] <= target for row in rows},
    }


def _rows(result: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The bill as a header (the sizes) and rows of cells: a line per item, the total, the figure per
    subnet-month against the target."""
    rows = result["sizes"]
    target = result["target_per_subnet"]
    lines = [
        (name, [f"${row['lines'][name]['cost']:,.2f} ({row['lines'][name]['detail']})" for row in rows])
        for name in rows[0]["lines"]
    ]
    lines.append(("total", [f"${row['total']:,.2f}" for row in rows]))
    lines.append(
        (
            "per subnet-month",
            [
                f"${row['per_subnet']:.3f}"
                + ("" if target is None else f" {'<=' if row['per_subnet'] <= target else '>'} ${target:.2f}")
                for row in rows
            ],
        )
    )
    return [f"{row['size']:,} subnets" for row in rows], lines


def table(result: Mapping[str, Any]) -> str:
    """One setting's bill, aligned for a terminal: a column per size, a line per item."""
    sizes, lines = _rows(result)
    title = f"metrics: {result['setting']}"
    width = max(len(title), *(len(label) for label, _ in lines))
    column = max(len(cell) for cell in [*sizes, *(cell for _, cells in lines for cell in cells)])
    out = [f"{title:<{width}}  " + "  ".join(f"{size:>{column}}" for size in sizes)]
    out += [f"{label:<{width}}  " + "  ".join(f"{cell:>{column}}" for cell in cells) for label, cells in lines]
    return "\n".join(out)


def markdown(result: Mapping[str, Any]) -> str:
    """The same bill as a Markdown table (``--markdown``), for docs/scale-and-cost.md."""
    sizes, lines = _rows(result)
    out = [f"| `{result['setting']}`, per account/region a month | " + " | ".join(sizes) + " |"]
    out.append("|---" * (len(sizes) + 1) + "|")
    for label, cells in lines:
        bold = label in ("total", "per subnet-month")
        out.append(
            "| " + " | ".join(f"**{cell}**" if bold else cell for cell in [label, *cells]).replace("<=", "≤") + " |"
        )
    return "\n".join(out)


def comparison(results: Sequence[Mapping[str, Any]], size: int) -> str:
    """Each line of the bill per subnet-month at ``size`` subnets, a column per setting (Markdown)."""
    rows = {result["setting"]: next(row for row in result["sizes"] if row["size"] == size) for result in results}
    settings = list(rows)
    out = [f"| per subnet-month at {size:,} subnets | " + " | ".join(f"`{s}`" for s in settings) + " |"]
    out.append("|---" * (len(settings) + 1) + "|")
    for name in next(iter(rows.values()))["lines"]:
        cells = [f"${rows[s]['lines'][name]['cost'] / size:.4f}" for s in settings]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append("| **total** | " + " | ".join(f"**${rows[s]['per_subnet']:.3f}**" for s in settings) + " |")
    return "\n".join(out)


def describe_measured(result: Mapping[str, Any]) -> str:
    """What the scans did, per subnet and per scan, and what the template holds."""
    rates, stack = result["measured"], result["stack"]
    kinds = ", ".join(f"{k['metric']} {k['subnets_share']:.0%}" for k in rates["metric_kinds"])
    insights = sum(len(q) for q in stack["insights_alarms"].values())
    return (
        f"  measured on {rates['subnets']} subnets: {rates['metrics_per_subnet']:.2f} metrics a subnet ({kinds}); "
        f"{rates['datums_per_subnet']:.2f} datums and {rates['metrics_requested_per_subnet']:.2f} GetMetricData "
        f"metrics a subnet a scan; {rates['report_bytes_per_subnet']:,.0f} B of subnet_report a subnet, "
        f"{rates['other_log_bytes_per_scan']:,} B of other log lines a scan\n"
        f"  template: {len(stack['standard_alarm_metrics'])} standard alarms "
        f"({sum(stack['standard_alarm_metrics'].values())} alarm metrics), {insights} Metrics Insights "
        f"alarm queries, {stack['dashboards']} dashboards, {stack['kms_keys']} KMS keys, {stack['dynamodb_tables']} "
        f"DynamoDB tables, {len(rates['fixed_metrics'])} per-stack metrics, {stack['scans_per_month']:,} scans a month"
        + f"\n  billed calls, first scan: {rates['billed_calls']['first_scan']}; "
        f"steady scan: {rates['billed_calls']['steady_scan']}"
        + (f"\n  calls not priced: {rates['unpriced_calls']}" if rates["unpriced_calls"] else "")
        + (f"\n  SCAN ERRORS (figures incomplete): {rates['scan_errors']}" if rates["scan_errors"] else "")
        + (
            f"\n  GetMetricData expressions not priced: {rates['expression_queries']}"
            if rates["expression_queries"]
            else ""
        )
    )


def metrics_setting(template: Mapping[str, Any]) -> str:
    """The ``metrics`` setting of the template's collector, from the scan configuration in its environment."""
    _, function = collector(template)
    variables = function.get("Environment", {}).get("Variables", {})
    return str(ScanConfig.from_env({ENV_SCAN_CONFIG: variables.get(ENV_SCAN_CONFIG, "")}).metrics)


def _read_template(parser: argparse.ArgumentParser, path: Path) -> dict[str, Any]:
    try:
        template = json.loads(path.read_text())
        collector(template)
    except (OSError, ValueError, KeyError, TypeError) as error:
        parser.error(f"--template: {path} is not a template of the monitor's stack ({error})")
    return template


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated subnet counts to price (default: %(default)s)",
    )
    parser.add_argument(
        "--estate", type=int, default=DEFAULT_ESTATE, help="subnets of the estate measured (default: %(default)s)"
    )
    parser.add_argument(
        "--settings", default=",".join(SETTINGS), help="comma-separated metrics settings (default: %(default)s)"
    )
    parser.add_argument(
        "--template",
        type=Path,
        help="price this synthesized template (e.g. cdk.out/SubnetMonitor.template.json) rather than the stack "
        "built for each setting; its collector's metrics setting names it",
    )
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown too")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: {args.sizes!r} is not a comma-separated list of whole numbers")
    if not sizes or min(sizes) < 1:
        parser.error(f"--sizes: {args.sizes!r} must list subnet counts of 1 or more")
    if args.estate < 1:
        parser.error(f"--estate: {args.estate} must be 1 or more")
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    if not settings or set(settings) - set(SETTINGS):
        parser.error(f"--settings: {args.settings!r} must list some of {', '.join(SETTINGS)}")

    from fixtures import moto_speedups  # noqa: PLC0415 - patches moto's classes: this process only

    moto_speedups.install()
    durations, durations_source = load_durations()
    started = time.perf_counter()
    results = []
    given = _read_template(parser, args.template) if args.template else None
    if given is not None:
        settings = [metrics_setting(given)]
    for setting in settings:
        template = given or synthesize(setting)
        moto_speedups.forget()
        result = cost_setting(setting, template, measure(template, args.estate), sizes, durations)
        results.append(result)
        print(f"\n{table(result)}\n{describe_measured(result)}", flush=True)
    if args.markdown:
        for result in results:
            print(f"\n{markdown(result)}")
        for size in sizes:
            print(f"\n{comparison(results, size)}")
    print(f"\nLambda durations from {durations_source}; us-east-1 list prices (sources in bench/cost.py)")
    print("targets:")
    for result in results:
        target = result["target_per_subnet"]
        if target is None:
            continue
        for row in result["sizes"]:
            met = row["per_subnet"] <= target
            print(
                f"  [{'met' if met else 'MISSED'}] {result['setting']}: ${row['per_subnet']:.3f} a subnet-month at "
                f"{row['size']:,} subnets (target <= ${target:.2f})"
            )
    output = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "python -m bench.cost " + " ".join(argv if argv is not None else sys.argv[1:]),
        "estate_subnets": args.estate,
        "durations": {"source": durations_source, "seconds": durations},
        "settings": {result["setting"]: result for result in results},
        "seconds": time.perf_counter() - started,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output, indent=2, default=str) + "\n")
    print(f"\nresults written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
