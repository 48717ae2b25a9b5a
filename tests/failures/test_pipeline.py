"""The failure path on moto: the real event handler with real-shaped events (demo/failure_samples.py),
the notification captured from the SNS topic through a subscribed SQS queue, IPExhaustionFailures read
back from moto's CloudWatch, the de-duplication window in DynamoDB; and the scan turning an EKS node
group health issue into a finding and an event the rules deliver."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from fixtures import failure_samples as samples
from fixtures.failure_samples import NEAR_MISSES
from fixtures.failure_stack import mark_nodegroup_unhealthy
from subnet_monitor.aws.failures import FailureClients
from subnet_monitor.core.config import ConfigError, FailureConfig
from subnet_monitor.failures.pipeline import handle_failures
from tests.conftest import Invoke
from tests.failures.support import failures_counted
from tests.moto_estate import REGION, Vpc

WINDOW_MINUTES = 15


def here(event: dict[str, Any]) -> dict[str, Any]:
    return samples.rehome(event, "123456789012", REGION)


@pytest.fixture
def full_subnet(vpc: Vpc) -> str:
    subnet = vpc.subnet(prefix=27, az="us-east-1a")  # 27 usable
    vpc.consume(subnet, 25)
    return subnet


@pytest.mark.parametrize(
    ("make_event", "subject_has", "message_has"),
    [
        (
            samples.ecs_task_stopped,
            "ECS service checkout-web in cluster payments",
            ["An ECS task stopped: its network interface could not get an address.", "Stop code   : TaskFailedToStart"],
        ),
        (
            samples.asg_launch_unsuccessful,
            "Auto Scaling group payments-ecs-asg",
            ["Auto Scaling could not launch an instance", "VPCZoneIdentifier"],
        ),
        (
            lambda subnet: samples.eks_health_issue((subnet,)),
            "EKS node group general in cluster platform",
            ["EKS node group unhealthy: InsufficientFreeAddresses", "create a node group over larger subnets"],
        ),
        (
            lambda subnet: samples.cloudtrail_call_failed(request={"subnetId": subnet}),
            "caller platform-eks-node",
            ["An EC2 call failed", "API call    : CreateNetworkInterface"],
        ),
    ],
    ids=["ecs-task-stopped", "asg-launch-failed", "eks-nodegroup-health", "cloudtrail-create-eni"],
)
def test_each_signal_is_counted_logged_and_notified_with_what_where_and_how_full(
    aws, stack, failures, full_subnet, make_event, subject_has, message_has
):
    # GIVEN a subnet with 2 of its 27 addresses free, and a failure event naming it
    event = here(make_event(full_subnet))
    # WHEN EventBridge invokes the function with it
    result = failures(event)
    # THEN it is counted once in IPExhaustionFailures for that subnet
    assert result.summary["failures"] == 1
    assert result.summary["subnets"] == [full_subnet]
    assert failures_counted(aws, full_subnet) == 1.0
    # AND one notification reached the topic, saying what, where, how full now and what to do
    [notification] = stack.notifications()
    assert notification["subject"] == f"IP exhaustion: {full_subnet} (us-east-1a), {subject_has}"
    message = notification["message"]
    for text in message_has:
        assert text in message
    assert f"Subnet      : {full_subnet} (10.0.0.0/27, " in message
    assert "Free now    : 2 of 27 usable addresses" in message
    assert "Where       : account 123456789012, region us-east-1, AZ us-east-1a" in message
    assert "Fix         : " in message
    assert notification["attributes"]["subnet_id"] == full_subnet
    # AND a structured record of the failure is logged, nothing unparsed
    [record] = result.logged("exhaustion_failure")
    assert (record["subnet_id"], record["available_ips"], record["notification"]) == (full_subnet, 2, "notified")
    assert result.emf()["UnparsedEvents"] == [0.0]


def test_prefix_delegation_failure_names_the_eni_and_is_attributed_through_it(aws, stack, failures, vpc, full_subnet):
    # GIVEN the VPC CNI's ENI in a fragmented subnet, and CloudTrail's failed AssignPrivateIpAddresses on it
    eni = aws.client("ec2").create_network_interface(SubnetId=full_subnet, Description="aws-K8S-i-0b22a22eec53b9321")
    event = here(samples.assign_prefix_failed(eni["NetworkInterface"]["NetworkInterfaceId"]))
    # WHEN the function reads it (CloudTrail signal on)
    result = failures(event)
    # THEN the ENI's subnet gets the failure, and the fix is the /28 reservation
    assert failures_counted(aws, full_subnet) == 1.0
    [notification] = stack.notifications()
    assert "InsufficientCidrBlocks" in notification["message"]
    assert "--reservation-type prefix" in notification["message"]
    assert result.summary["unparsed"] == 0


def test_one_notification_per_subnet_per_window_while_the_metric_counts_every_failure(
    aws, stack, failures, vpc, full_subnet
):
    other = vpc.subnet(az="us-east-1b")
    # GIVEN an ECS service that keeps retrying into the full subnet, and a launch failure elsewhere
    retries = [here(samples.ecs_task_stopped(full_subnet, event_id=f"retry-{n}")) for n in range(5)]
    # WHEN the events arrive one invocation each
    results = [failures(event) for event in [*retries, here(samples.asg_launch_unsuccessful(other))]]
    # THEN every failure is counted
    assert failures_counted(aws, full_subnet) == 5.0
    assert failures_counted(aws, other) == 1.0
    # AND each subnet got exactly one notification within the window
    subjects = sorted(n["subject"] for n in stack.notifications())
    assert len(subjects) == 2
    assert [r.summary["notified"] for r in results] == [1, 0, 0, 0, 0, 1]
    assert [r.logged("exhaustion_failure")[0]["notification"] for r in results[:2]] == ["notified", "suppressed"]


def test_the_window_reopens_after_the_configured_minutes(aws, stack, vpc, full_subnet):
    clients = FailureClients.from_session(aws)
    config = FailureConfig(window_minutes=WINDOW_MINUTES)
    event = here(samples.ecs_task_stopped(full_subnet))

    def at(now: float) -> int:
        outcome = handle_failures(
            event, clients, config, topic_arn=stack.topic_arn, table_name=stack.table_name, now=now
        )
        return outcome.summary()["notified"]

    start = datetime.now(UTC).timestamp()
    # GIVEN a notification at start; WHEN the same failure comes back just inside and just after the window
    notified = [at(start), at(start + WINDOW_MINUTES * 60 - 1), at(start + WINDOW_MINUTES * 60)]
    # THEN only the first and the one after the window are notified
    assert notified == [1, 0, 1]
    assert len(stack.notifications()) == 2


def test_near_misses_are_neither_counted_nor_notified(aws, stack, failures, full_subnet):
    # GIVEN failures for other reasons (capacity, quota, permissions) that reached the function anyway
    for name, event in NEAR_MISSES.items():
        # WHEN it reads each
        result = failures(here(event))
        # THEN nothing is counted or notified, and it is logged as ignored
        assert (result.summary["failures"], result.summary["ignored"], result.summary["unparsed"]) == (0, 1, 0), name
        assert result.logged("ignored_event"), name
    assert stack.notifications() == []
    listed = aws.client("cloudwatch").list_metrics(Namespace="Custom/VPC", MetricName="IPExhaustionFailures")
    assert listed["Metrics"] == []


def test_malformed_and_subnetless_records_are_counted_as_unparsed_and_the_batch_goes_on(
    aws, stack, failures, vpc, full_subnet
):
    other = vpc.subnet(az="us-east-1b")
    # GIVEN an SQS batch: a failure, a body that is not JSON, an event without its reason, an ENI placement
    # failure (it names container instances, not a subnet), and another failure
    batch = samples.as_sqs_batch(
        here(samples.ecs_task_stopped(full_subnet)),
        "{not json",
        {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {"lastStatus": "STOPPED"}},
        here(samples.ecs_placement_failure()),
        here(samples.asg_launch_unsuccessful(other)),
    )
    # WHEN the function gets it
    result = failures(batch)
    # THEN the two failures with a subnet are counted and notified
    assert (failures_counted(aws, full_subnet), failures_counted(aws, other)) == (1.0, 1.0)
    # AND the two bad records and the subnetless failure are counted in UnparsedEvents and logged
    assert result.emf()["UnparsedEvents"] == [3.0]
    assert [r["why"] for r in result.logged("unparsed_event")] == [
        "record body is not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        "detail.stoppedReason is missing or not a string",
    ]
    # AND the placement failure is still notified, once for its service
    subjects = [n["subject"] for n in stack.notifications()]
    assert "IP exhaustion: ECS service ledger-api in cluster payments" in subjects
    assert len(subjects) == 3


def test_a_notification_that_cannot_be_sent_gives_its_window_back(aws, stack, failures, full_subnet):
    sns = aws.client("sns")
    event = here(samples.ecs_task_stopped(full_subnet))
    # GIVEN the topic is gone (deleted, or its key policy broken)
    sns.delete_topic(TopicArn=stack.topic_arn)
    # WHEN a failure arrives
    broken = failures(event)
    # THEN it is still counted, the error is logged and counted, and the window is not taken
    assert failures_counted(aws, full_subnet) == 1.0
    assert broken.emf()["NotificationErrors"] == [1.0]
    assert broken.logged("failure_error")[0]["source"] == "sns"
    # AND once the topic is back, the next failure of that subnet is notified
    recreated = sns.create_topic(Name=stack.topic_arn.rsplit(":", 1)[1])["TopicArn"]
    sns.subscribe(TopicArn=recreated, Protocol="sqs", Endpoint=_queue_arn(aws, stack.inbox_url))
    assert failures(event).summary["notified"] == 1


def test_a_bad_environment_is_refused_naming_the_variable(stack, failures, monkeypatch):
    monkeypatch.setattr(stack, "topic_arn", "")
    with pytest.raises(ConfigError, match="FAILURE_TOPIC_ARN"):
        failures(here(samples.ecs_task_stopped()))


def test_an_eks_node_group_health_issue_becomes_a_finding_an_event_and_a_notification(
    aws, stack, failures, vpc, invoke: Invoke
):
    # GIVEN an EKS node group whose subnet EKS reports as out of addresses (no native event exists)
    nodes = vpc.subnet(prefix=26, az="us-east-1b")
    vpc.consume(nodes, 58)
    vpc.eks_cluster("platform", [vpc.subnet()])
    vpc.eks.create_nodegroup(
        clusterName="platform", nodegroupName="general", subnets=[nodes], nodeRole="arn:aws:iam::123456789012:role/n"
    )
    mark_nodegroup_unhealthy("123456789012", REGION, "platform", "general", [nodes])
    # WHEN the scheduled scan runs
    scan = invoke()
    # THEN the subnet's report carries the health issue as a finding, with the fix
    [finding] = [f for f in scan.subnet_reports()[nodes]["findings"] if "EKS reports" in f]
    assert finding.startswith(
        f"subnet {nodes}: EKS reports node group platform/general unhealthy with InsufficientFreeAddresses"
    )
    assert scan.summary["errors"] == []
    # AND the scan put an EKS Health Issue event on the bus, which the stack's rule delivers
    [delivered] = stack.delivered()
    assert (delivered["source"], delivered["detail-type"]) == ("subnet-monitor", "EKS Health Issue")
    # AND the failure path counts it and notifies the node group's subnet
    result = failures(delivered)
    assert failures_counted(aws, nodes) == 1.0
    [notification] = stack.notifications()
    assert notification["subject"] == f"IP exhaustion: {nodes} (us-east-1b), EKS node group general in cluster platform"
    assert "Free now    : 1 of 59 usable addresses" in notification["message"]
    assert result.summary["unparsed"] == 0


def _queue_arn(aws: boto3.Session, url: str) -> str:
    return aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
