"""``make demo``: run the real pipeline on an embedded AWS and show what it sees.

1. start a moto server on loopback (a thread of this process: nothing is left behind);
2. seed a realistic ECS + EKS estate (demo/estate.py);
3. invoke the real Lambda handler as the schedule would, with the environment the stack renders;
4. read the metrics back from the server's CloudWatch and check them against the handler's log;
5. run the CLI (`python -m subnet_monitor scan --fail-on critical`) against the same server, and one
   what-if (`scan --what-if`, demo/whatif.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from demo.failures import run_failures_demo
from demo.fix import run_fix_demo
from demo.reclaim import run_reclaim_demo
from demo.whatif import run_what_if_demo
from fixtures.estate import (  # demo/__init__ put lambda/ on the path
    hold_ecs_tasks_running,
    moto_client_factory,
    seed_estate,
)
from fixtures.vpc_cni_addon import VpcCniAddons, serving
from subnet_monitor.cli import main as cli_main
from subnet_monitor.core.config import MonitorConfig
from subnet_monitor.core.metrics import STATUS_LEVEL
from subnet_monitor.core.models import Status
from subnet_monitor.handlers import scan as handler

REGION = "eu-west-1"
# The demo's subnet-monitor block (as it would stand in cdk.json): discover everything, add the
# subnets tagged team=data; the EKS cluster runs the VPC CNI in prefix-delegation mode and its
# Fargate profile may grow to 40 pods. The Lambda gets it as its environment, the CLI with --config.
DEMO_CONFIG_FILE = Path(__file__).with_name("subnet-monitor.json")
# The HTML report (with the design check of the seeded estate) goes here; demo/out/ is git-ignored.
REPORT_FILE = Path(__file__).with_name("out") / "report.html"
# Earlier scans, simulated: the subnet "ecs-tasks-b" took 3 addresses an hour for the last 3 hours.
FILLING_SUBNET = "ecs-tasks-b"
FILLING_PER_HOUR = 3
FILLING_HOURS = 3
SCAN_PERIOD_SECONDS = 300
# An EventBridge Scheduler invocation carries no payload of its own beyond what the target sets.
SCHEDULED_EVENT = {"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}}
GET_METRIC_DATA_MAX_QUERIES = 500


class DemoContext:
    function_name = "subnet-monitor-collector"
    memory_limit_in_mb = 256
    invoked_function_arn = f"arn:aws:lambda:{REGION}:123456789012:function:subnet-monitor-collector"
    aws_request_id = "00000000-0000-4000-8000-000000000000"


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        # moto has no DescribeAddon; the demo cluster runs a self-managed CNI (no vpc-cni add-on).
        with serving(VpcCniAddons()):
            return run(f"http://{host}:{port}")
    finally:
        server.stop()


def run(endpoint: str) -> int:
    started = time.perf_counter()
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION=REGION,
        POWERTOOLS_SERVICE_NAME="subnet-monitor",
        POWERTOOLS_METRICS_NAMESPACE="Custom/VPC",
        POWERTOOLS_TRACE_DISABLED="true",
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)

    print(f"embedded AWS (moto server) on {endpoint}, region {REGION}")
    make_client = moto_client_factory(endpoint, region=REGION)
    estate = seed_estate(make_client)
    hold_ecs_tasks_running()
    used = len(estate.used_subnet_ids)
    print(
        f"seeded: VPC {estate.vpc_id}, {len(estate.subnet_ids)} subnets over {len(estate.availability_zones)} AZs "
        f"({used} used by ECS/EKS), ECS cluster '{estate.ecs_cluster}', EKS clusters '{estate.eks_cluster}' and "
        f"'{estate.eks_custom_networking_cluster}' (custom networking) in {estate.seed_seconds:.1f} s"
    )

    filling = estate.subnet_id(FILLING_SUBNET)
    simulate_earlier_scans(make_client("cloudwatch"), filling, estate.expected_available(FILLING_SUBNET))
    print(
        f"simulated {FILLING_HOURS * 3600 // SCAN_PERIOD_SECONDS} earlier scans of {FILLING_SUBNET} ({filling}): "
        f"{FILLING_PER_HOUR} addresses taken an hour for {FILLING_HOURS} h"
    )

    # The Lambda environment, rendered from the config exactly as the stack renders it.
    config = MonitorConfig.from_context(json.loads(DEMO_CONFIG_FILE.read_text())).scan
    os.environ.update(config.to_env())
    log = io.StringIO()
    handler.logger.registered_handler.setStream(log)
    with contextlib.redirect_stdout(log):  # EMF health metrics are printed, as in Lambda
        summary = handler.lambda_handler(SCHEDULED_EVENT, DemoContext())
    records = [json.loads(line) for line in log.getvalue().splitlines() if line.startswith("{")]
    reports = {r["subnet_id"]: r for r in records if r.get("message") == handler.SUBNET_REPORT_MESSAGE}
    health = next(r for r in records if "_aws" in r)
    print(f"\nLambda handler returned: {json.dumps(summary)}")
    print(
        f"its log holds {len(reports)} subnet_report records and the EMF health metrics "
        f"SubnetsScanned={health['SubnetsScanned'][0]:g} ScanErrors={health['ScanErrors'][0]:g} "
        f"ScanDuration={health['ScanDuration'][0]:.0f} ms"
    )

    stored = read_back(make_client("cloudwatch"), list(reports))
    mismatches = [
        subnet_id
        for subnet_id, report in reports.items()
        if stored.get(subnet_id)
        != (
            float(report["available_ips"]),
            float(STATUS_LEVEL[Status(report["status"])]),  # the verdict, 0 OK, 1 WARNING, 2 CRITICAL
        )
    ]
    print(
        f"read back from CloudWatch (Custom/VPC, dimension SubnetId; the default metrics setting): "
        f"{2 * len(stored)} series for {len(stored)} subnets; {len(reports) - len(mismatches)}/{len(reports)} "
        "match the handler's report"
    )
    print(
        f"and per stack, for the two verdict alarms: SubnetsAtRisk={health['SubnetsAtRisk'][0]:g} "
        f"SubnetsCritical={health['SubnetsCritical'][0]:g}"
    )
    unused = sorted(estate.name_of(s) for s in estate.unused_subnet_ids if s not in reports)
    print(f"not reported (used by no cluster, not selected): {', '.join(unused)}")

    print("\n$ python -m subnet_monitor scan --config demo/subnet-monitor.json --fail-on critical")
    exit_code = cli_main(["scan", "--config", str(DEMO_CONFIG_FILE), "--fail-on", "critical"])
    print(f"(exit code {exit_code}: a subnet is CRITICAL, so a pipeline gated on it would stop)")

    fragmented = estate.subnet_id("eks-nodes-b")
    print("\n$ python -m subnet_monitor scan --config demo/subnet-monitor.json --json   # eks-nodes-b's object:")
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        cli_main(["scan", "--config", str(DEMO_CONFIG_FILE), "--json"])
    print(json.dumps(next(r for r in json.loads(report.getvalue()) if r["subnet_id"] == fragmented), indent=2))
    html_file = os.path.relpath(REPORT_FILE)
    print(f"\n$ python -m subnet_monitor report --config demo/subnet-monitor.json --check --html {html_file}")
    cli_main(["report", "--config", str(DEMO_CONFIG_FILE), "--check", "--html", html_file])
    fix_shown = run_fix_demo(estate, DEMO_CONFIG_FILE)  # demo/fix.py
    run_what_if_demo(DEMO_CONFIG_FILE)  # demo/whatif.py
    failures_shown = run_failures_demo(make_client, estate, DemoContext())  # demo/failures.py
    run_reclaim_demo(make_client, estate)  # demo/reclaim.py: a reclaim-enis dry run; raises if it deleted anything
    print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    return 0 if not mismatches and summary["errors"] == [] and failures_shown and fix_shown else 1


def simulate_earlier_scans(cloudwatch: Any, subnet_id: str, available_now: int) -> None:
    """Publish the AvailableIPCount that scans every 5 minutes over the last hours would have seen."""
    now = datetime.now(UTC)
    steps = FILLING_HOURS * 3600 // SCAN_PERIOD_SECONDS
    datums = [
        {
            "MetricName": "AvailableIPCount",
            "Dimensions": [{"Name": "SubnetId", "Value": subnet_id}],
            "Timestamp": now - timedelta(seconds=SCAN_PERIOD_SECONDS * step),
            "Value": available_now + round(FILLING_PER_HOUR * SCAN_PERIOD_SECONDS * step / 3600),
            "Unit": "Count",
        }
        for step in range(steps, 0, -1)
    ]
    cloudwatch.put_metric_data(Namespace="Custom/VPC", MetricData=datums)


def read_back(cloudwatch: Any, subnet_ids: list[str]) -> dict[str, tuple[float, float]]:
    """Latest AvailableIPCount and SubnetStatus per subnet, in GetMetricData calls of 500 queries."""
    now = datetime.now(UTC)
    queries = [
        {
            "Id": f"m{index}_{metric[0].lower()}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "Custom/VPC",
                    "MetricName": metric,
                    "Dimensions": [{"Name": "SubnetId", "Value": subnet_id}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for index, subnet_id in enumerate(subnet_ids)
        for metric in ("AvailableIPCount", "SubnetStatus")
    ]
    values: dict[str, float] = {}
    for start in range(0, len(queries), GET_METRIC_DATA_MAX_QUERIES):
        response = cloudwatch.get_metric_data(
            MetricDataQueries=queries[start : start + GET_METRIC_DATA_MAX_QUERIES],
            StartTime=now - timedelta(minutes=10),
            EndTime=now + timedelta(minutes=5),
        )
        values.update({r["Id"]: r["Values"][0] for r in response["MetricDataResults"] if r["Values"]})
    return {
        subnet_id: (values[f"m{index}_a"], values[f"m{index}_s"])
        for index, subnet_id in enumerate(subnet_ids)
        if all(f"m{index}_{key}" in values for key in "as")
    }


if __name__ == "__main__":
    sys.exit(main())
