"""``make bench``: one full scan per estate size on a moto server, and the naive approach beside it.

For each size (``--sizes``, default 100, 1,000 and 10,000 subnets), against one ``ThreadedMotoServer``
on 127.0.0.1 (reset between sizes):

1. seed the estate (``bench/estate.py``): subnets with about 5 ENIs each, 6 hours of metric history,
   and the ECS and EKS clusters whose discovery finds the subnets;
2. run the real Lambda handler once — ``run_scan(..., publish=True)`` and a log record per subnet — in
   a process of its own (``bench/worker.py``), counting API calls by operation, timing it and taking
   its peak memory;
3. run the naive approach against the same server: one ``DescribeSubnets`` and one ``PutMetricData``
   per subnet (on a sample of ``--naive-sample`` subnets when the estate is larger: calls counted
   exactly, time scaled from the sample);
4. compare the monitor's calls with the floor the API limits allow (``floors``).

Prints a table and writes everything to ``bench/results.json`` (or ``--output``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from fixtures import moto_speedups
from fixtures.scale_estate import REGION, Estate, seed
from subnet_monitor.aws.cloudwatch import GET_METRIC_DATA_MAX_QUERIES, PUT_METRIC_DATA_MAX_DATUMS
from subnet_monitor.aws.ec2 import (
    DESCRIBE_INSTANCE_TYPES_MAX,
    DESCRIBE_NETWORK_INTERFACES_PAGE_MAX,
    DESCRIBE_SUBNETS_PAGE_MAX,
    EC2_FILTER_VALUES_MAX,
)
from subnet_monitor.aws.ecs import (
    DESCRIBE_AUTO_SCALING_GROUPS_MAX,
    DESCRIBE_CLUSTERS_MAX,
    DESCRIBE_SCALABLE_TARGETS_MAX,
    DESCRIBE_SERVICES_MAX,
    LIST_SERVICES_PAGE_MAX,
)
from subnet_monitor.core.config import ScanConfig

# ListClusters (ECS and EKS) returns up to 100 a page by default.
LIST_PAGE_MAX = 100
# DescribeCapacityProviders takes 100 names but answers 10 a page ("maxResults ... between 1 and 10",
# ECS API reference); moto answers in one page, so its count may sit below this floor.
DESCRIBE_CAPACITY_PROVIDERS_PAGE_MAX = 10

DEFAULT_SIZES = (100, 1_000, 10_000)
DEFAULT_NAIVE_SAMPLE = 1_000
DEFAULT_OUTPUT = Path(__file__).with_name("results.json")
WORKER_TIMEOUT_SECONDS = 900
# The targets.
TARGET_PEAK_MB = 256
TARGET_FLOOR_RATIO = 1.2
TARGET_CALL_RATIO_AT_1000 = 50
TARGET_WALL_RATIO_AT_1000 = 20
# Operations whose count grows with subnets (or ENIs, or datums); the rest is discovery and grows with
# clusters, services, node groups and Fargate profiles.
SUBNET_SCALED = frozenset({"ec2.DescribeNetworkInterfaces", "cloudwatch.GetMetricData", "cloudwatch.PutMetricData"})


def floors(counts: Mapping[str, Any], datums: int, instance_types: int = 1) -> dict[str, int]:
    """The fewest calls of each operation a scan of this estate can make within the API limits.

    - ``DescribeSubnets``: the selected subnets by ID at 200 filter values a call, or every subnet of
      the region at 1,000 a page, whichever is fewer; plus the one filtered read of subnets tagged
      ``karpenter.sh/discovery`` when there are EKS clusters.
    - ``DescribeNetworkInterfaces``: the selected subnets' ENIs at 1,000 a page.
    - ``GetMetricData``: one query per subnet, 500 queries a call. ``PutMetricData``: 1,000 datums a call.
    - discovery: what the ECS and EKS APIs allow per cluster (``floor_discovery``).
    """
    subnets = counts["subnets"]
    result = {
        "ec2.DescribeSubnets": min(
            math.ceil(subnets / EC2_FILTER_VALUES_MAX), math.ceil(counts["region_subnets"] / DESCRIBE_SUBNETS_PAGE_MAX)
        )
        + (1 if counts["eks_clusters"] else 0),
        "ec2.DescribeNetworkInterfaces": max(1, math.ceil(counts["enis"] / DESCRIBE_NETWORK_INTERFACES_PAGE_MAX)),
        "cloudwatch.GetMetricData": math.ceil(subnets / GET_METRIC_DATA_MAX_QUERIES),
        "cloudwatch.PutMetricData": math.ceil(datums / PUT_METRIC_DATA_MAX_DATUMS),
    }
    if counts["eks_nodegroups"]:
        result["ec2.DescribeInstanceTypes"] = math.ceil(instance_types / DESCRIBE_INSTANCE_TYPES_MAX)
    result.update(floor_discovery(counts))
    return result


def floor_discovery(counts: Mapping[str, Any]) -> dict[str, int]:
    """Discovery calls for the bench layout: per ECS cluster ListServices (100 a page), DescribeServices
    (10 a call), ListTasks, ListContainerInstances; across all ECS clusters ListClusters, DescribeClusters
    (100 a call), ListAccountSettings, DescribeScalableTargets (50 services a call),
    DescribeCapacityProviders (10 a page) and DescribeAutoScalingGroups (100 a call). Per EKS cluster
    DescribeCluster, ListNodegroups, ListFargateProfiles, one DescribeNodegroup per node group and one
    DescribeFargateProfile per profile (no batch form exists); once ListClusters and one DescribeInstances
    for self-managed nodes."""
    ecs = counts["ecs_clusters"]
    eks = counts["eks_clusters"]
    services = counts["services_per_cluster"]
    result: dict[str, int] = {}
    if ecs:
        result |= {
            "ecs.ListClusters": math.ceil(ecs / LIST_PAGE_MAX),
            "ecs.DescribeClusters": math.ceil(ecs / DESCRIBE_CLUSTERS_MAX),
            "ecs.ListAccountSettings": 1,
            "ecs.ListServices": sum(max(1, math.ceil(s / LIST_SERVICES_PAGE_MAX)) for s in services),
            "ecs.DescribeServices": sum(math.ceil(s / DESCRIBE_SERVICES_MAX) for s in services),
            "application-auto-scaling.DescribeScalableTargets": math.ceil(
                sum(services) / DESCRIBE_SCALABLE_TARGETS_MAX
            ),
            "ecs.ListTasks": ecs,
            "ecs.ListContainerInstances": ecs,
        }
        if counts["ecs_capacity_providers"]:
            providers = counts["ecs_capacity_providers"]
            result["ecs.DescribeCapacityProviders"] = math.ceil(providers / DESCRIBE_CAPACITY_PROVIDERS_PAGE_MAX)
            result["auto-scaling.DescribeAutoScalingGroups"] = math.ceil(providers / DESCRIBE_AUTO_SCALING_GROUPS_MAX)
    if eks:
        result |= {
            "eks.ListClusters": math.ceil(eks / LIST_PAGE_MAX),
            "eks.DescribeCluster": eks,
            "eks.ListNodegroups": eks,
            "eks.DescribeNodegroup": counts["eks_nodegroups"],
            "eks.ListFargateProfiles": eks,
            "eks.DescribeFargateProfile": counts["eks_fargate_profiles"],
            "ec2.DescribeInstances": 1,
        }
    return {op: n for op, n in result.items() if n}


def assess(
    size: int, counts: Mapping[str, Any], monitor: Mapping[str, Any], naive: Mapping[str, Any]
) -> dict[str, Any]:
    """Totals, the floor comparison and the ratios against the naive approach."""
    calls = monitor["calls"]
    floor = floors(counts, monitor["datums"])
    total = sum(calls.values())
    floor_total = sum(floor.values())
    discovery = sum(n for op, n in calls.items() if op not in SUBNET_SCALED and op != "ec2.DescribeSubnets")
    discovery += 1 if counts["eks_clusters"] and calls.get("ec2.DescribeSubnets") else 0  # the Karpenter tag read
    per_subnet_part = total - discovery
    naive_calls = sum(naive["calls"].values())
    clusters = counts["ecs_clusters"] + counts["eks_clusters"]
    monitor_code = monitor["wall_s"] - monitor["http_s"] - monitor["botocore_s"]
    return {
        "size": size,
        "calls": total,
        "calls_by_operation": calls,
        "floor": floor_total,
        "floor_by_operation": floor,
        "floor_ratio": total / floor_total,
        "over_floor": {op: [calls.get(op, 0), n] for op, n in floor.items() if calls.get(op, 0) != n}
        | {op: [n, 0] for op, n in calls.items() if op not in floor},
        "discovery_calls": discovery,
        "discovery_calls_per_cluster": discovery / clusters if clusters else 0,
        "measure_publish_calls": per_subnet_part,
        "wall_s": monitor["wall_s"],
        "scan_s": monitor["scan_s"],
        "cpu_s": monitor["cpu_s"],
        "http_s": monitor["http_s"],
        "botocore_s": monitor["botocore_s"],
        "monitor_code_s": monitor_code,
        "rss_before_mb": monitor["rss_before_mb"],
        "rss_peak_mb": monitor["rss_peak_mb"],
        "log_bytes_per_subnet": monitor["log_bytes"] / max(1, monitor["subnets"]),
        "datums": monitor["datums"],
        "errors": monitor["errors"],
        "naive_calls": naive_calls,
        "naive_wall_s": naive["wall_s"],
        "naive_http_s": naive["http_s"],
        "naive_extrapolated": naive["extrapolated"],
        "naive_sampled_subnets": naive["sampled_subnets"],
        "call_ratio": naive_calls / total,
        "call_ratio_measure_publish": naive_calls / per_subnet_part,
        "wall_ratio": naive["wall_s"] / monitor["wall_s"],
        "wall_ratio_scan": naive["wall_s"] / monitor["scan_s"],
    }


def targets(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, each with the figure that meets or misses it."""
    checks = []
    by_size = {row["size"]: row for row in rows}
    largest = max(by_size)
    checks.append(
        {
            "target": f"{largest:,} subnets in one invocation at <= {TARGET_PEAK_MB} MB peak",
            "figure": f"{by_size[largest]['rss_peak_mb']:.0f} MB peak RSS",
            "met": by_size[largest]["rss_peak_mb"] <= TARGET_PEAK_MB and not by_size[largest]["errors"],
        }
    )
    for row in rows:
        checks.append(
            {
                "target": f"{row['size']:,} subnets: calls within {TARGET_FLOOR_RATIO}x of the floor",
                "figure": f"{row['calls']} calls, floor {row['floor']} ({row['floor_ratio']:.2f}x)",
                "met": row["floor_ratio"] <= TARGET_FLOOR_RATIO,
            }
        )
    if 1_000 in by_size:
        row = by_size[1_000]
        checks.append(
            {
                "target": f"1,000 subnets: >= {TARGET_CALL_RATIO_AT_1000}x fewer calls than naive",
                "figure": f"{row['naive_calls']} / {row['calls']} = {row['call_ratio']:.0f}x for the whole scan "
                f"({row['call_ratio_measure_publish']:.0f}x against measure + publish alone)",
                "met": row["call_ratio"] >= TARGET_CALL_RATIO_AT_1000,
            }
        )
        checks.append(
            {
                "target": f"1,000 subnets: >= {TARGET_WALL_RATIO_AT_1000}x less wall time than naive",
                "figure": f"{row['naive_wall_s']:.1f} s / {row['wall_s']:.2f} s = {row['wall_ratio']:.0f}x",
                "met": row["wall_ratio"] >= TARGET_WALL_RATIO_AT_1000,
            }
        )
    return checks


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    """The figures as a fixed-width table, one column per size."""
    lines = [
        ("subnets", lambda r: f"{r['size']:,}"),
        ("clusters (ECS + EKS)", lambda r: f"{r['counts']['ecs_clusters']} + {r['counts']['eks_clusters']}"),
        ("ENIs", lambda r: f"{r['counts']['enis']:,}"),
        ("API calls, one scan", lambda r: f"{r['calls']:,}"),
        ("  floor (API limits)", lambda r: f"{r['floor']:,} ({r['floor_ratio']:.2f}x)"),
        ("  discovery", lambda r: f"{r['discovery_calls']} ({r['discovery_calls_per_cluster']:.1f}/cluster)"),
        ("  measure+assess+publish", lambda r: f"{r['measure_publish_calls']}"),
        ("wall time, handler", lambda r: f"{r['wall_s']:.2f} s"),
        ("  in moto (HTTP)", lambda r: f"{r['http_s']:.2f} s"),
        ("  in botocore", lambda r: f"{r['botocore_s']:.2f} s"),
        ("  in the monitor", lambda r: f"{r['monitor_code_s']:.2f} s"),
        ("CPU time, scan process", lambda r: f"{r['cpu_s']:.2f} s"),
        ("peak RSS (before scan)", lambda r: f"{r['rss_peak_mb']:.0f} MB ({r['rss_before_mb']:.0f})"),
        ("log bytes per subnet", lambda r: f"{r['log_bytes_per_subnet']:,.0f}"),
        ("naive: API calls", lambda r: f"{r['naive_calls']:,}"),
        ("naive: wall time", lambda r: f"{r['naive_wall_s']:.1f} s" + (" *" if r["naive_extrapolated"] else "")),
        ("ratio: calls", lambda r: f"{r['call_ratio']:.0f}x ({r['call_ratio_measure_publish']:.0f}x)"),
        ("ratio: wall time", lambda r: f"{r['wall_ratio']:.0f}x"),
    ]
    width = max(len(label) for label, _ in lines)
    cells = [[render(row) for row in rows] for _, render in lines]
    column = max(len(cell) for row in cells for cell in row)
    out = [
        f"{label:<{width}}  " + "  ".join(f"{cell:>{column}}" for cell in row)
        for (label, _), row in zip(lines, cells, strict=True)
    ]
    return "\n".join(out)


def _worker(job: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=WORKER_TIMEOUT_SECONDS,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"bench worker ({job['mode']}) failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _environment(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env |= {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "subnet-monitor",
        "POWERTOOLS_METRICS_NAMESPACE": "Custom/VPC",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    return env | ScanConfig().to_env()


def measure_size(endpoint: str, size: int, naive_sample: int) -> dict[str, Any]:
    """Seed one estate of ``size`` subnets and measure the monitor and the naive approach on it."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=60).close()
    moto_speedups.forget()

    def make_client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="bench", aws_secret_access_key="bench"
        )

    estate: Estate = seed(make_client, size)
    counts = estate.counts() | {"services_per_cluster": [len(layout.services) for layout in estate.layouts]}
    env = _environment(endpoint)
    monitor = _worker({"mode": "monitor"}, env)
    naive = _worker({"mode": "naive", "subnet_ids": estate.subnet_ids, "sample": naive_sample}, env)
    row = assess(size, counts, monitor, naive)
    row["counts"] = counts
    row["seed_s"] = estate.seed_seconds
    row["monitor"] = monitor
    row["naive"] = naive
    return row


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated subnet counts (default: %(default)s)",
    )
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=DEFAULT_NAIVE_SAMPLE,
        help="run the naive approach on at most this many subnets and scale its time (default: %(default)s)",
    )
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: {args.sizes!r} is not a comma-separated list of whole numbers")
    if not sizes or any(s < 1 for s in sizes):
        parser.error(f"--sizes: {args.sizes!r} must list subnet counts of 1 or more")
    if args.naive_sample < 1:
        parser.error(f"--naive-sample: {args.naive_sample} must be 1 or more")

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_speedups.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    started = time.perf_counter()
    rows = []
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        print(f"moto server on {endpoint}, region {REGION}; sizes {', '.join(f'{s:,}' for s in sizes)}")
        for size in sizes:
            row = measure_size(endpoint, size, args.naive_sample)
            rows.append(row)
            print(
                f"  {size:,} subnets: seeded in {row['seed_s']:.1f} s; scan {row['calls']} calls in "
                f"{row['wall_s']:.2f} s, peak {row['rss_peak_mb']:.0f} MB; naive {row['naive_calls']:,} calls in "
                f"{row['naive_wall_s']:.1f} s" + (" (scaled from a sample)" if row["naive_extrapolated"] else ""),
                flush=True,
            )
    finally:
        server.stop()
    print()
    print(table(rows))
    if any(row["naive_extrapolated"] for row in rows):
        print(f"* naive time scaled from its first {args.naive_sample:,} subnets (calls are exact: 2 per subnet)")
    checks = targets(rows)
    print("\ntargets:")
    for check in checks:
        print(f"  [{'met' if check['met'] else 'MISSED'}] {check['target']}: {check['figure']}")
    results = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "memory_measure": "peak RSS of the scanning process: VmHWM from /proc/self/status",
        "sizes": rows,
        "targets": checks,
        "bench_seconds": time.perf_counter() - started,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nresults written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
