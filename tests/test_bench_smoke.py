"""``make bench`` at a smoke size: the script runs end to end and its figures hold together.

Not a timed test: nothing here asserts a duration. The benchmark patches moto's classes for its own
server, so it runs in a process of its own, as ``make bench`` runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from infra.stack import function_environment
from subnet_monitor.core.config import MonitorConfig

REPO = Path(__file__).resolve().parents[1]
SIZE = 40
NAIVE_SAMPLE = 10
PLAN_SIZES = (20, 50)


def bench(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.run", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    # GIVEN the smallest estate the layout allows (one VPC, one ECS and one EKS cluster)
    output = tmp_path / "results.json"

    # WHEN the benchmark runs on it, and check --plan on two small generated plans
    completed = bench(
        "--sizes", SIZE, "--naive-sample", NAIVE_SAMPLE, "--plan-sizes", ",".join(map(str, PLAN_SIZES)), "-o", output
    )

    # THEN it succeeds, prints the table and the targets, and writes the figures it printed
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "API calls, one scan" in completed.stdout
    assert f"results written to {output}" in completed.stdout
    results = json.loads(output.read_text())
    [row] = results["sizes"]
    assert row["size"] == SIZE
    assert row["monitor"]["subnets"] == SIZE, "discovery found every subnet of the estate"
    assert row["errors"] == []
    # ... every call the scan made is counted by operation, and the scan is at its floor
    assert row["calls"] == sum(row["calls_by_operation"].values())
    assert row["floor_ratio"] <= 1.2, row["over_floor"]
    # ... the naive approach made its two calls per subnet (sampled, then scaled)
    assert row["naive_calls"] == 2 * SIZE
    assert row["naive_sampled_subnets"] == NAIVE_SAMPLE
    assert row["rss_peak_mb"] > 0
    # ... by a scanning process that started with the collector's malloc setting, so its peak is Lambda's
    assert row["monitor"]["malloc_arena_max"] == function_environment(MonitorConfig())["MALLOC_ARENA_MAX"]
    # ... and both ran again with the modelled AWS latency (50 ms a request by default): the same scan,
    # its wall time beside the naive loop's
    assert row["latency_ms"] == 50
    assert row["calls_at_latency"] == row["calls"]
    assert row["at_latency"]["monitor"]["errors"] == []
    assert row["wall_ratio_at_latency"] == row["naive_wall_at_latency_s"] / row["wall_at_latency_s"]
    assert "at 50 ms a call: wall time" in completed.stdout
    # ... and check --plan's figures sit beside the scan's
    assert [plan["subnets"] for plan in results["check_plan"]["sizes"]] == list(PLAN_SIZES)


def test_the_plan_part_runs_alone_and_keeps_the_other_figures(tmp_path: Path) -> None:
    # GIVEN a results file with the scan's figures
    output = tmp_path / "results.json"
    output.write_text(json.dumps({"sizes": [{"size": 100}], "targets": []}))

    # WHEN only the check --plan part runs
    completed = bench("--plan-only", "--plan-sizes", "30", "-o", output)

    # THEN it times check --plan on a generated plan of that size, which reports every rule it checked,
    # and writes its figures beside the scan's, which it keeps
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "moto server" not in completed.stdout
    results = json.loads(output.read_text())
    assert results["sizes"] == [{"size": 100}]
    [plan] = results["check_plan"]["sizes"]
    assert plan["subnets"] == 30
    assert plan["seconds"] > 0
    assert plan["exit_code"] == 2, "the generated plan has subnets too small for their workloads"
    assert plan["results"]["fail"] > 0 and plan["results"]["pass"] > 0


def test_with_the_table_the_second_run_reads_the_history_the_first_kept(tmp_path: Path) -> None:
    # GIVEN the monitor given the stack's table and topic (--with-table), scanning twice (at 0 and 1 ms)
    output = tmp_path / "results.json"
    completed = bench(
        "--sizes",
        SIZE,
        "--naive-sample",
        NAIVE_SAMPLE,
        "--latency-ms",
        1,
        "--plan-sizes",
        20,
        "--with-table",
        "-o",
        output,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    [row] = json.loads(output.read_text())["sizes"]
    # THEN both runs succeed; the first read the forecast's history from CloudWatch, the second from the table
    assert row["errors"] == [] and row["at_latency"]["monitor"]["errors"] == []
    assert row["calls_by_operation"]["cloudwatch.GetMetricData"] >= 1
    assert "cloudwatch.GetMetricData" not in row["at_latency"]["monitor"]["calls"]
    # AND each reports its own peak memory
    assert row["rss_peak_mb"] > 0 and row["at_latency"]["monitor"]["rss_peak_mb"] > 0
