"""``make demo``, part 2: failures the moment they happen.

The failure path's AWS side is made in the embedded AWS as the stack makes it (the alarm topic, the
de-duplication table, the EventBridge rules with the stack's own patterns); moto cannot run a Lambda,
so the rules target a queue and the demo hands each delivered event to the real event handler, as
EventBridge would. A queue subscribed to the topic captures the notifications.

One failure of each kind flows through: an ECS task that got no address (twice: the second is counted
but not notified), an ECS placement failure for want of ENIs, an Auto Scaling launch, an EKS node group
health issue (read by the scan, which emits the event), and a CloudTrail prefix-delegation failure; two
near misses (a CPU placement failure, a vCPU quota) are dropped by the patterns.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.client import BaseClient

from fixtures.failure_samples import (
    asg_launch_unsuccessful,
    assign_prefix_failed,
    ecs_placement_failure,
    ecs_task_stopped,
    rehome,
)
from fixtures.failure_stack import ClientFactory, LocalFailureStack, mark_nodegroup_unhealthy
from subnet_monitor.alerts.message import SIGNAL
from subnet_monitor.core.config import FailureConfig
from subnet_monitor.core.metrics import IP_EXHAUSTION_FAILURES, NAMESPACE
from subnet_monitor.failures.health import NODEGROUP_INSUFFICIENT_FREE_ADDRESSES
from subnet_monitor.failures.patterns import CLOUDTRAIL_PATTERNS, DEFAULT_PATTERNS
from subnet_monitor.handlers import events as event_handler
from subnet_monitor.handlers import scan as handler


class DemoContext:
    function_name = "subnet-monitor-failures"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:subnet-monitor-failures"
    aws_request_id = "00000000-0000-4000-8000-000000000001"


def invoke(function: Callable[..., Any], event: Any, context: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Run a handler as Lambda would and return its result and the JSON lines it logged."""
    log = io.StringIO()
    handler.logger.registered_handler.setStream(log)
    with contextlib.redirect_stdout(log):  # EMF metrics are printed, as in Lambda
        result = function(event, context)
    return result, [json.loads(line) for line in log.getvalue().splitlines() if line.startswith("{")]


RISK_SIGNAL = SIGNAL
NAMED_LINES = 12


def run_failures_demo(make_client: ClientFactory, estate: Any, scan_context: Any) -> bool:
    """Send one failure of each kind through the real path and print what a person receives."""
    region = make_client("ec2").meta.region_name
    print("\n## Failures, the moment they happen")
    stack = LocalFailureStack.create(make_client, {**DEFAULT_PATTERNS, **CLOUDTRAIL_PATTERNS})
    os.environ.update(stack.environment(FailureConfig(window_minutes=15, cloudtrail=True)))
    event_handler._settings.cache_clear()
    event_handler._clients.cache_clear()

    fargate, instances, nodes, prefixed = (
        estate.subnet_id(n) for n in ("ecs-fargate-a", "ecs-instances-b", "eks-nodes-b", "eks-nodes-a")
    )
    cluster = estate.ecs_cluster
    # EKS: the scan reads the node group's health and puts an EKS Health Issue event on the bus.
    mark_nodegroup_unhealthy(estate.account_id, region, estate.eks_cluster, "general", [nodes])
    _, scan_log = invoke(handler.lambda_handler, {"source": "aws.scheduler"}, scan_context)
    [report] = [r for r in scan_log if r.get("message") == "subnet_report" and r["subnet_id"] == nodes]
    cni_eni = make_client("ec2").describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": [prefixed]}, {"Name": "description", "Values": ["aws-K8S-*"]}]
    )["NetworkInterfaces"][0]["NetworkInterfaceId"]
    retried = ecs_task_stopped(fargate, cluster=cluster, event_id="a2f7c1d0-0000-4000-8000-00000000000b")
    aws_events = [
        ecs_task_stopped(fargate, cluster=cluster),
        retried,  # the service retries: counted, not notified again
        ecs_placement_failure(cluster=cluster, service="ledger-api"),
        asg_launch_unsuccessful(instances, availability_zone=_zone(make_client, instances)),
        assign_prefix_failed(cni_eni),
        ecs_placement_failure("RESOURCE:CPU", cluster=cluster),  # near miss: capacity
        asg_launch_unsuccessful(
            instances,
            message="You have requested more vCPU capacity than your current vCPU limit of 32 allows for the "
            "instance bucket that the specified instance type belongs to. Launching EC2 instance failed.",
        ),  # near miss: quota
    ]
    stack.put([rehome(event, estate.account_id, region) for event in aws_events])
    delivered = stack.delivered()
    print(
        f"EventBridge rules ({len(DEFAULT_PATTERNS) + len(CLOUDTRAIL_PATTERNS)}, the stack's patterns) matched "
        f"{len(delivered)} of {len(aws_events) + 1} events (the scan's EKS health event included); the two near "
        "misses (RESOURCE:CPU placement, vCPU quota) matched none"
    )
    summaries = []
    for event in delivered:
        summary, _ = invoke(event_handler.lambda_handler, event, DemoContext())
        summaries.append(summary)
    received = stack.notifications()
    # The scan before names the subnets at risk on the same topic (docs/metrics.md): apart from the failures'.
    named = [n for n in received if n["attributes"].get("signal") == RISK_SIGNAL]
    notifications = [n for n in received if n not in named]
    failures = sum(s["failures"] for s in summaries)
    print(
        f"the event function counted {failures} failures, sent {len(notifications)} notifications "
        f"({sum(s['suppressed'] for s in summaries)} held back: same subnet within 15 minutes), "
        f"{sum(s['unparsed'] for s in summaries)} named no subnet (UnparsedEvents)"
    )
    print("\nnotifications captured from the topic:")
    for item in received:
        print(f"- {item['subject']}")
    ecs = next(n for n in notifications if n["attributes"].get("signal") == "ecs-task-stopped")
    print(
        f"\nthe first one in full:\n  Subject: {ecs['subject']}\n"
        + "\n".join(f"  {line}" for line in ecs["message"].splitlines())
    )
    if named:
        lines = named[0]["message"].splitlines()
        print(
            f"\nthe scan's own, naming the subnets at risk (first {NAMED_LINES} of {len(lines)} lines):\n"
            f"  Subject: {named[0]['subject']}\n" + "\n".join(f"  {line}" for line in lines[:NAMED_LINES])
        )
    counted = _failure_counts(make_client("cloudwatch"), [fargate, instances, nodes, prefixed])
    print(
        "\nread back from CloudWatch (Custom/VPC IPExhaustionFailures, Sum by SubnetId): "
        + ", ".join(f"{estate.name_of(s)} {int(v)}" for s, v in counted.items())
    )
    # Picked by code from the structured form; printed as the sentences the report carries beside it.
    health = [
        sentence
        for sentence, detail in zip(report.get("findings", []), report.get("finding_details", []), strict=True)
        if detail["code"] == NODEGROUP_INSUFFICIENT_FREE_ADDRESSES
    ]
    print(f"\nand the scan's report on eks-nodes-b ({nodes}) carries the health issue as a finding:")
    print("\n".join(f"- {finding}" for finding in health))
    expected = {fargate: 2, instances: 1, nodes: 1, prefixed: 1}
    clean = all(not s["errors"] for s in summaries)
    return len(notifications) == 5 and len(named) == 1 and bool(health) and counted == expected and clean


def _zone(make_client: ClientFactory, subnet_id: str) -> str:
    return make_client("ec2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["AvailabilityZone"]


def _failure_counts(cloudwatch: BaseClient, subnet_ids: list[str]) -> dict[str, float]:
    now = datetime.now(UTC)
    queries = [
        {
            "Id": f"f{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": IP_EXHAUSTION_FAILURES,
                    "Dimensions": [{"Name": "SubnetId", "Value": subnet_id}],
                },
                "Period": 3600,
                "Stat": "Sum",
            },
        }
        for index, subnet_id in enumerate(subnet_ids)
    ]
    results = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(hours=1), EndTime=now + timedelta(minutes=5)
    )["MetricDataResults"]
    return {subnet_ids[int(r["Id"][1:])]: sum(r["Values"]) for r in results if r["Values"]}
