"""``make bench`` at a smoke size: the script runs end to end and its figures hold together.

Not a timed test: nothing here asserts a duration. The benchmark patches moto's classes for its own
server, so it runs in a process of its own, as ``make bench`` runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = 40
NAIVE_SAMPLE = 10


def test_the_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    # GIVEN the smallest estate the layout allows (one VPC, one ECS and one EKS cluster)
    output = tmp_path / "results.json"

    # WHEN the benchmark runs on it
    completed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--sizes", str(SIZE), "--naive-sample", str(NAIVE_SAMPLE), "-o", output],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    # THEN it succeeds, prints the table and the targets, and writes the figures it printed
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "API calls, one scan" in completed.stdout
    assert f"results written to {output}" in completed.stdout
    [row] = json.loads(output.read_text())["sizes"]
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
