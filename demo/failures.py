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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.client import BaseClient

from demo.failure_samples import (
    asg_launch_unsuccessful,
    assign_prefix_failed,
    ecs_placement_failure,
    ecs_task_stopped,
    rehome,
)
from subnet_monitor import event_handler, handler
from subnet_monitor.config import FailureConfig
from subnet_monitor.failure_patterns import CLOUDTRAIL_PATTERNS, DEFAULT_PATTERNS
from subnet_monitor.metrics import IP_EXHAUSTION_FAILURES, NAMESPACE

ClientFactory = Callable[[str], BaseClient]
SQS_RECEIVE_MAX = 10
NODEGROUP_ISSUE_MESSAGE = (
    "One or more of the subnets associated with your managed node group does not have enough available IP "
    "addresses for new nodes."
)


@dataclass
class LocalFailureStack:
    """The failure path's resources in moto: topic + subscribed inbox queue, de-duplication table, and
    the rules (the stack's patterns) delivering to a queue in place of the function."""

    make_client: ClientFactory
    topic_arn: str
    inbox_url: str
    table_name: str
    delivery_url: str

    @classmethod
    def create(
        cls, make_client: ClientFactory, patterns: Mapping[str, Mapping[str, Any]], name: str = "subnet-monitor"
    ) -> LocalFailureStack:
        sqs, sns, dynamodb, events = (make_client(s) for s in ("sqs", "sns", "dynamodb", "events"))
        topic_arn = sns.create_topic(Name=f"{name}-alarms")["TopicArn"]
        inbox_url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=_queue_arn(sqs, inbox_url))
        table_name = f"{name}-failure-windows"
        dynamodb.create_table(
            TableName=table_name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        delivery_url = sqs.create_queue(QueueName=f"{name}-delivered")["QueueUrl"]
        delivery_arn = _queue_arn(sqs, delivery_url)
        for rule, pattern in patterns.items():
            events.put_rule(Name=f"{name}-{rule}", EventPattern=json.dumps(pattern))
            events.put_targets(Rule=f"{name}-{rule}", Targets=[{"Id": "function", "Arn": delivery_arn}])
        return cls(make_client, topic_arn, inbox_url, table_name, delivery_url)

    def environment(self, config: FailureConfig) -> dict[str, str]:
        """The event function's environment, as the stack renders it."""
        return {
            **config.to_env(),
            event_handler.ENV_TOPIC_ARN: self.topic_arn,
            event_handler.ENV_DEDUP_TABLE: self.table_name,
        }

    def put(self, events: list[Mapping[str, Any]]) -> None:
        """Put AWS-shaped events on the default bus, as their services would."""
        client = self.make_client("events")
        for event in events:
            entry = {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
            client.put_events(Entries=[{**entry, "Resources": list(event.get("resources", []))}])

    def delivered(self) -> list[dict[str, Any]]:
        """The events the rules matched, as EventBridge would invoke the function with them."""
        account = self.make_client("sts").get_caller_identity()["Account"]
        # moto leaves out the envelope's "account", which EventBridge always sets.
        return [{"account": account, **json.loads(body)} for body in _drain(self.make_client("sqs"), self.delivery_url)]

    def notifications(self) -> list[dict[str, Any]]:
        """What reached the topic: subject, message and message attributes of each notification."""
        found = []
        for body in _drain(self.make_client("sqs"), self.inbox_url):
            envelope = json.loads(body)
            attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            found.append({"subject": envelope.get("Subject"), "message": envelope["Message"], "attributes": attributes})
        return found


def _queue_arn(sqs: BaseClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _drain(sqs: BaseClient, url: str) -> list[str]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=SQS_RECEIVE_MAX).get("Messages", []):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def mark_nodegroup_unhealthy(account_id: str, region: str, cluster: str, nodegroup: str, subnet_ids: list[str]) -> None:
    """What EKS reports when a node group's subnets run out (moto cannot produce it by itself): the
    ``health.issues`` of ``describe_nodegroup``. In-process moto state (``mock_aws`` or a
    ``ThreadedMotoServer`` of this process)."""
    from moto.eks.models import eks_backends  # noqa: PLC0415 - moto is a dev/demo dependency only

    issue = {"code": "InsufficientFreeAddresses", "message": NODEGROUP_ISSUE_MESSAGE, "resourceIds": subnet_ids}
    eks_backends[account_id][region].clusters[cluster].nodegroups[nodegroup].health = {"issues": [issue]}


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
    notifications = stack.notifications()
    failures = sum(s["failures"] for s in summaries)
    print(
        f"the event function counted {failures} failures, sent {len(notifications)} notifications "
        f"({sum(s['suppressed'] for s in summaries)} held back: same subnet within 15 minutes), "
        f"{sum(s['unparsed'] for s in summaries)} named no subnet (UnparsedEvents)"
    )
    print("\nnotifications captured from the topic:")
    for item in notifications:
        print(f"- {item['subject']}")
    ecs = next(n for n in notifications if n["attributes"].get("signal") == "ecs-task-stopped")
    print(
        f"\nthe first one in full:\n  Subject: {ecs['subject']}\n"
        + "\n".join(f"  {line}" for line in ecs["message"].splitlines())
    )
    counted = _failure_counts(make_client("cloudwatch"), [fargate, instances, nodes, prefixed])
    print(
        "\nread back from CloudWatch (Custom/VPC IPExhaustionFailures, Sum by SubnetId): "
        + ", ".join(f"{estate.name_of(s)} {int(v)}" for s, v in counted.items())
    )
    health = [f for f in report.get("findings", []) if "EKS reports" in f]
    print(f"\nand the scan's report on eks-nodes-b ({nodes}) carries the health issue as a finding:")
    print("\n".join(f"- {finding}" for finding in health))
    expected = {fargate: 2, instances: 1, nodes: 1, prefixed: 1}
    return len(notifications) == 5 and bool(health) and counted == expected and all(not s["errors"] for s in summaries)


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
