"""``subnet-monitor serve`` under a real Prometheus server (Debian's ``prometheus`` package, which
.ci/run installs): the values Prometheus stores are those ``scan --json`` reports, and a failing scan
keeps them while the health metrics say so. Skipped, saying why, where the binary is missing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api import state_manager
from moto.server import ThreadedMotoServer

from fixtures.estate import Estate, hold_ecs_tasks_running, moto_client_factory, seed_estate
from fixtures.vpc_cni_addon import VpcCniAddons, serving
from tests.moto_estate import REGION

PROMETHEUS = shutil.which("prometheus")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROFILE = "exporter-test"
# How long to wait for Prometheus to hold what the exporter serves: it scrapes every second and the
# exporter scans every 2 s, so a few seconds normally; the margin is for a loaded CI machine.
SETTLE_SECONDS = 90
PER_SUBNET = {
    "subnet_monitor_subnet_available_ips": lambda r: r["available_ips"],
    "subnet_monitor_subnet_usable_ips": lambda r: r["usable_ips"],
    "subnet_monitor_subnet_utilization_ratio": lambda r: r["used_ips"] / r["usable_ips"],
    "subnet_monitor_subnet_scale_headroom_ips": lambda r: r.get("scale_headroom"),
    "subnet_monitor_subnet_free_prefix_blocks": lambda r: r.get("free_prefix_blocks"),
    "subnet_monitor_subnet_exhaustion_seconds": lambda r: (
        r["hours_to_exhaustion"] * 3600 if "hours_to_exhaustion" in r else None
    ),
    "subnet_monitor_subnet_status": lambda r: {"OK": 0, "WARNING": 1, "CRITICAL": 2}[r["status"]],
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PROMETHEUS is None, reason="prometheus is not installed (apt-get install prometheus)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def moto_estate() -> Iterator[tuple[str, Estate]]:
    """The demo's estate on a moto server in this process (its state is this process's moto backends)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto has no DescribeAddon: answered in its place in this process (the exporter's is another
        # process, whose DescribeAddon gets moto's refusal, as does scan --json's: the same figures).
        with serving(VpcCniAddons()):
            estate = seed_estate(moto_client_factory(endpoint, region=REGION))
        hold_ecs_tasks_running()
        yield endpoint, estate
    finally:
        state_manager.unset_transition("ecs::task")
        server.stop()


@pytest.fixture
def cli_env(moto_estate: tuple[str, Estate], tmp_path: Path) -> dict[str, str]:
    """The environment of a CLI process reaching the moto server through a named profile, whose
    credentials file a test can take away."""
    endpoint, _ = moto_estate
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[{PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT / "lambda"), str(PROJECT_ROOT)]),
    )
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "subnet_monitor", *args, "--profile", PROFILE, "--region", REGION]


@pytest.fixture
def exporter(cli_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    log = (tmp_path / "exporter.log").open("wb")
    process = subprocess.Popen(
        cli("serve", "--address", "127.0.0.1", "--port", str(port), "--interval", "2s"),
        env=cli_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield port, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
def prometheus(exporter: tuple[int, subprocess.Popen[bytes]], tmp_path: Path) -> Iterator[Callable[[str], Any]]:
    """A Prometheus scraping the exporter every second; yields a query function (instant vector)."""
    exporter_port, _ = exporter
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: subnet-monitor\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def query(expression: str) -> Any:
        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
        with urllib.request.urlopen(url, timeout=10) as answer:  # loopback Prometheus
            body = json.load(answer)
        assert body["status"] == "success", body
        return body["data"]["result"]

    try:
        yield query
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def eventually(check: Callable[[], Any], what: str) -> Any:
    """``check()``'s first truthy answer; fails naming ``what`` after :data:`SETTLE_SECONDS`."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        try:
            answer = check()
        except OSError:  # Prometheus not listening yet
            answer = None
        if answer:
            return answer
        time.sleep(0.5)
    pytest.fail(f"Prometheus never showed {what} within {SETTLE_SECONDS} s")


def by_subnet(result: list[dict[str, Any]]) -> dict[str, float]:
    return {series["metric"]["subnet_id"]: float(series["value"][1]) for series in result}


def scalar(query: Callable[[str], Any], expression: str) -> float | None:
    result = query(expression)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_stores_the_scans_figures_and_keeps_them_through_a_failed_scan(
    cli_env: dict[str, str],
    exporter: tuple[int, subprocess.Popen[bytes]],
    prometheus: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    scanned = subprocess.run(cli("scan", "--json"), env=cli_env, capture_output=True, check=True)
    reports = {report["subnet_id"]: report for report in json.loads(scanned.stdout)}
    assert len(reports) > 10
    query = prometheus

    eventually(lambda: scalar(query, "subnet_monitor_scans_total{result='success'}"), "a successful scan")
    for metric, expected_of in PER_SUBNET.items():
        expected = {sid: expected_of(r) for sid, r in reports.items() if expected_of(r) is not None}
        stored = by_subnet(query(metric))
        assert stored == pytest.approx(expected), metric
    info = {series["metric"]["subnet_id"]: series["metric"] for series in query("subnet_monitor_subnet_info")}
    assert {sid: (m["cidr"], m["roles"]) for sid, m in info.items()} == {
        sid: (r["cidr"], ",".join(sorted(r["roles"]))) for sid, r in reports.items()
    }
    assert scalar(query, "subnet_monitor_up_to_date") == 1
    before = by_subnet(query("subnet_monitor_subnet_available_ips"))

    # The credentials go away: every scan from now on fails before it reaches AWS. (A scan already
    # under way may still succeed: up_to_date 0 says the latest attempt failed, so none succeeds after.)
    Path(cli_env["AWS_SHARED_CREDENTIALS_FILE"]).unlink()
    eventually(lambda: scalar(query, "subnet_monitor_up_to_date") == 0, "subnet_monitor_up_to_date 0")
    last_success = scalar(query, "subnet_monitor_last_success_timestamp_seconds")
    failed = scalar(query, "subnet_monitor_scans_total{result='failure'}") or 0
    assert last_success is not None and failed >= 1
    # THEN another failed scan later, the last good values and their time are still what is served
    eventually(
        lambda: (scalar(query, "subnet_monitor_scans_total{result='failure'}") or 0) > failed, "a further failed scan"
    )
    assert by_subnet(query("subnet_monitor_subnet_available_ips")) == before
    assert scalar(query, "subnet_monitor_last_success_timestamp_seconds") == last_success
    # Served from the exporter's latest scrape, not Prometheus's memory: the target is up.
    assert scalar(query, "up{job='subnet-monitor'}") == 1

    _, process = exporter
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log = (tmp_path / "exporter.log").read_text()
    assert "scan failed: ProfileNotFound" in log
