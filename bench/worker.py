"""One measured run in a process of its own: the monitor's Lambda handler, or the naive loop.

Run by ``bench/run.py`` as ``python -m bench.worker`` with a JSON job on stdin; prints one JSON result.
A process of its own, so that its peak memory is the monitor's alone (the moto server and its 10,000
subnets live in the parent) and its CPU time is the monitor's, not the server's.

Measured, per run:

- API calls by ``service.Operation`` through botocore's ``before-call`` event (retries of a call count
  once), like ``tests/integration/moto_estate.CallCounter``;
- wall time of the run, and the time of its calls split with botocore's events into the HTTP round trip
  (``before-send`` to ``before-parse``: the server, here moto, and the modelled latency) and botocore's
  own work (building and signing the request, parsing the response), each summed over the calls: the
  monitor reads side by side, so these sums can exceed the wall time;
- with ``latency_ms`` in the job, every request waits that long before it is sent (a ``before-send``
  handler that sleeps), the round trip moto's loopback does not have;
- CPU time of this process (``time.process_time``), which excludes the server;
- peak memory: the peak resident set of the whole process (``VmHWM``: interpreter, boto3, Powertools,
  the scan), which is what Lambda reports as "Max Memory Used", before and after the run, and the
  allocator setting the process started with (``MALLOC_ARENA_MAX``, the collector's).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

# ``lambda/`` on the path, as bench/__init__ does for the parent.
import bench  # noqa: F401
from fixtures.vpc_cni_addon import VpcCniAddons, serving


class CallClock:
    """Counts calls and splits their time into request building, HTTP round trip and parsing, summed
    over the calls. Calls run side by side on several threads: each thread keeps its own marks, and
    the sums are taken under a lock."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()
        self.build = self.http = self.parse = 0.0
        self._lock = threading.Lock()
        self._local = threading.local()

    def watch(self, clients: Any) -> CallClock:
        for client in clients:
            events = client.meta.events
            events.register("before-parameter-build", self._start)
            events.register("before-call", self._count)
            events.register("before-send", self._sent)
            events.register("before-parse", self._received)
            events.register("after-call", self._parsed)
        return self

    def _start(self, **_: Any) -> None:
        self._local.mark = self._local.began = time.perf_counter()

    def _count(self, event_name: str, **_: Any) -> None:
        with self._lock:
            self.calls[event_name.split(".", 1)[1]] += 1

    def _lap(self) -> float:
        now = time.perf_counter()
        lap, self._local.mark = now - self._local.mark, now
        return lap

    def _sent(self, **_: Any) -> None:
        lap = self._lap()
        with self._lock:
            self.build += lap

    def _received(self, **_: Any) -> None:
        lap = self._lap()
        with self._lock:
            self.http += lap

    def _parsed(self, event_name: str, **_: Any) -> None:
        lap = self._lap()
        with self._lock:
            self.parse += lap
            self.seconds[event_name.split(".", 1)[1]] += self._local.mark - self._local.began


def add_latency(clients: Any, latency_ms: float) -> None:
    """Make every request of ``clients`` wait ``latency_ms`` before it is sent: the network round trip
    to AWS that moto on loopback does not have. A ``before-send`` handler that returns nothing lets
    botocore send the request; registered after the clock's, so the wait counts as HTTP time."""
    if latency_ms <= 0:
        return

    def wait(**_: Any) -> None:
        time.sleep(latency_ms / 1000)

    for client in clients:
        client.meta.events.register("before-send", wait)


class _CountingSink(io.TextIOBase):
    """Where the handler's log lines go: counted, not kept."""

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.lines += text.count("\n")
        return len(text)


def _maxrss_mb() -> float:
    """Peak resident set of this process image, in MB: ``VmHWM`` of ``/proc/self/status``.

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries that figure across fork and exec, so a
    worker started by the benchmark would report the parent's peak (moto and the whole estate).
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (the benchmark needs Linux)")


def run_monitor(job: dict[str, Any]) -> dict[str, Any]:
    """The real Lambda handler, as the schedule invokes it: ``run_scan(..., publish=True)`` and a log
    record per subnet."""
    from subnet_monitor.handlers import scan as handler  # noqa: PLC0415 - imported here so the init phase is timed

    clients = handler._clients()
    clock = CallClock().watch(vars(clients).values())
    add_latency(vars(clients).values(), job.get("latency_ms", 0))
    sink = _CountingSink()
    handler.logger.registered_handler.setStream(sink)
    rss_before = _maxrss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    with contextlib.redirect_stdout(sink):  # the EMF health metrics are printed, as in Lambda
        summary = handler.lambda_handler({"source": "aws.scheduler"}, _Context())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "calls": dict(sorted(clock.calls.items())),
        "seconds_by_operation": {op: round(s, 3) for op, s in sorted(clock.seconds.items())},
        "wall_s": wall,
        "scan_s": summary["duration_ms"] / 1000,
        "cpu_s": cpu,
        "http_s": clock.http,
        "botocore_s": clock.build + clock.parse,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _maxrss_mb(),
        # Read by glibc when this process started (bench/run.py sets it as the stack does).
        "malloc_arena_max": os.environ.get("MALLOC_ARENA_MAX"),
        "subnets": summary["subnets"],
        "errors": summary["errors"],
        "datums": summary.get("metrics_published", 0),
        "log_lines": sink.lines,
        "log_bytes": sink.chars,
    }


def run_naive(job: dict[str, Any]) -> dict[str, Any]:
    """The approach the monitor replaces: per subnet, one ``DescribeSubnets`` and one ``PutMetricData``.

    It measures the first ``sample`` subnets of ``subnet_ids``; when that is fewer than all, the calls
    are counted exactly (2 per subnet) and the time is scaled from the sample (every call sees the same
    server, so the mean per subnet holds).
    """
    from subnet_monitor.aws.clients import AwsClients  # noqa: PLC0415
    from subnet_monitor.core.subnet import usable_ips  # noqa: PLC0415

    clients = AwsClients.from_session()
    clock = CallClock().watch([clients.ec2, clients.cloudwatch])
    add_latency([clients.ec2, clients.cloudwatch], job.get("latency_ms", 0))
    subnet_ids = job["subnet_ids"]
    sample = subnet_ids[: job.get("sample") or len(subnet_ids)]
    rss_before = _maxrss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    for subnet_id in sample:
        subnet = clients.ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
        usable = usable_ips(subnet["CidrBlock"])
        available = subnet["AvailableIpAddressCount"]
        dimensions = [{"Name": "SubnetId", "Value": subnet_id}]
        clients.cloudwatch.put_metric_data(
            Namespace="Custom/VPC",
            MetricData=[
                {"MetricName": "AvailableIPCount", "Dimensions": dimensions, "Value": available, "Unit": "Count"},
                {
                    "MetricName": "IPUtilization",
                    "Dimensions": dimensions,
                    "Value": round((usable - available) / usable * 100, 2),
                    "Unit": "Percent",
                },
            ],
        )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    scale = len(subnet_ids) / max(1, len(sample))
    return {
        "calls": {op: math.ceil(n * scale) for op, n in sorted(clock.calls.items())},
        "sampled_subnets": len(sample),
        "extrapolated": len(sample) < len(subnet_ids),
        "wall_s": wall * scale,
        "cpu_s": cpu * scale,
        "http_s": clock.http * scale,
        "botocore_s": (clock.build + clock.parse) * scale,
        "rss_before_mb": rss_before,
        "rss_peak_mb": _maxrss_mb(),
        "subnets": len(subnet_ids),
    }


class _Context:
    function_name = "subnet-monitor-collector"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:subnet-monitor-collector"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


def main() -> int:
    job = json.loads(sys.stdin.read())
    started = time.perf_counter()
    # moto has no DescribeAddon: the estate's clusters run a self-managed CNI (no vpc-cni add-on).
    with serving(VpcCniAddons()):
        result = run_monitor(job) if job["mode"] == "monitor" else run_naive(job)
    result["process_s"] = time.perf_counter() - started
    result["pid"] = os.getpid()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
