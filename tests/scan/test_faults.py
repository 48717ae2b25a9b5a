"""Faults: one failing cluster, service, API call or metric batch never loses the others."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.handlers import scan as handler
from subnet_monitor.scan import run_scan
from tests.conftest import Invoke
from tests.moto_estate import CallCounter, Vpc


def access_denied(operation: str) -> ClientError:
    message = f"User: arn:aws:sts::123456789012:assumed-role/monitor is not authorized to perform: {operation}"
    return ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, operation)


def test_unknown_subnet_id_is_named_and_the_rest_published(aws: boto3.Session, vpc: Vpc, invoke: Invoke) -> None:
    # GIVEN a service subnet and a well-formed subnet ID that exists nowhere
    used = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [used])
    ghost = "subnet-0123456789abcdef0"

    # WHEN the handler runs with the ghost listed
    result = invoke(ScanConfig(subnet_ids=(ghost,)))

    # THEN the error names it, and the real subnet is still measured and published
    assert result.summary["errors"] == [
        {
            "source": "ec2",
            "target": ghost,
            "error": "subnet not found in this account and region (or it has no IPv4 CIDR)",
        }
    ]
    assert set(result.subnet_reports()) == {used}
    assert result.summary["metrics_published"] == 3  # AvailableIPCount, IPUtilization, ScaleHeadroom
    assert result.health()["ScanErrors"] == [1.0]


def test_access_denied_on_one_cluster_keeps_the_others(aws: boto3.Session, vpc: Vpc, invoke: Invoke) -> None:
    # GIVEN two ECS clusters, and a role that may not list the services of one of them
    ours, theirs = vpc.subnet(), vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [ours])
    vpc.ecs_cluster("restricted")
    vpc.ecs_service("restricted", "secret", [theirs])

    def deny_restricted(params: dict[str, Any], **_: Any) -> None:
        if params.get("cluster") == "restricted":
            raise access_denied("ecs:ListServices")

    handler._clients().ecs.meta.events.register("before-parameter-build.ecs.ListServices", deny_restricted)

    # WHEN the handler runs
    result = invoke(ScanConfig())

    # THEN the other cluster is discovered and published; the failure names the cluster and is counted
    assert set(result.subnet_reports()) == {ours}
    [error] = result.summary["errors"]
    assert (error["source"], error["target"]) == ("ecs", "restricted")
    assert "AccessDenied" in error["error"]
    assert result.health()["ScanErrors"] == [1.0]


def test_eks_denied_entirely_keeps_ecs(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN ECS and EKS clusters, and a role with no EKS permission at all
    ecs_subnet, eks_subnet = vpc.subnet(), vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [ecs_subnet])
    vpc.eks_cluster("platform", [eks_subnet])

    def deny(**_: Any) -> None:
        raise access_denied("eks:ListClusters")

    clients.eks.meta.events.register("before-call.eks.ListClusters", deny)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN ECS is reported and the EKS failure is recorded
    assert [r.subnet_id for r in outcome.reports] == [ecs_subnet]
    assert [(e.source, e.target) for e in outcome.errors] == [("eks", "ListClusters")]


class _Body:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_: Any) -> Any:
        yield self._payload


def test_throttling_is_retried_by_the_adaptive_retry_mode(clients: AwsClients, vpc: Vpc, counter: CallCounter) -> None:
    # GIVEN ECS answers the first two ListClusters calls with a throttling error
    subnet = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [subnet])
    sent = []

    def throttle(request: Any, **_: Any) -> AWSResponse | None:
        sent.append(request.url)
        if len(sent) > 2:
            return None  # let moto answer
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return AWSResponse(request.url, 400, {"x-amzn-requestid": "throttled"}, _Body(body))

    clients.ecs.meta.events.register_first("before-send.ecs.ListClusters", throttle)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN botocore retried (3 sends for 1 call) and the scan completed without errors
    assert clients.ecs.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 10}
    assert len(sent) == 3
    assert counter.calls["ecs.ListClusters"] == 1
    assert outcome.errors == []
    assert [r.subnet_id for r in outcome.reports] == [subnet]


def test_one_failed_metric_batch_does_not_stop_the_others(
    aws: boto3.Session, vpc: Vpc, clients: AwsClients, counter: CallCounter
) -> None:
    # GIVEN 600 subnets (1,200 datums: two PutMetricData batches) and CloudWatch failing the first call
    subnets = tuple(vpc.subnet(prefix=28) for _ in range(600))
    failures = []

    def fail_first(**_: Any) -> None:
        if not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "try later"}}, "PutMetricData")

    clients.cloudwatch.meta.events.register("before-call.cloudwatch.PutMetricData", fail_first)

    # WHEN scanned and published
    outcome = run_scan(clients, ScanConfig(subnet_ids=subnets), publish=True)

    # THEN the second batch was still sent, and the outcome says what was not published
    assert counter.calls["cloudwatch.PutMetricData"] == 2
    assert outcome.published is not None
    assert (outcome.published.datums_sent, outcome.published.datums_failed) == (200, 1000)
    summary = outcome.summary()
    assert (summary["metrics_published"], summary["metrics_not_published"]) == (200, 1000)
    [error] = summary["errors"]
    assert error["source"] == "cloudwatch"
    assert error["target"].startswith("PutMetricData batch 1 (1000 datums")
    stored = aws.client("cloudwatch").list_metrics(Namespace="Custom/VPC", MetricName="IPUtilization")["Metrics"]
    assert len({m["Dimensions"][0]["Value"] for m in stored}) == 100


def test_a_region_without_ecs_or_eks_gives_an_empty_report(clients: AwsClients) -> None:
    # GIVEN an account with no clusters WHEN scanned THEN nothing is reported and nothing failed
    outcome = run_scan(clients, ScanConfig(), publish=True)
    assert (outcome.reports, outcome.errors) == ([], [])
    assert outcome.published is not None
    assert outcome.published.calls == 0


def test_one_failed_describe_subnets_batch_keeps_the_other(vpc: Vpc, clients: AwsClients) -> None:
    # GIVEN 250 listed subnets, more than one batch of 200 IDs, so the region is read first (one page
    # at most) and then two DescribeSubnets batches of 200 and 50; the region read and the first batch fail
    subnets = tuple(vpc.subnet(prefix=28) for _ in range(250))
    calls = []

    def fail_first(**_: Any) -> None:
        calls.append(1)
        if len(calls) <= 2:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "try later"}}, "DescribeSubnets")

    clients.ec2.meta.events.register("before-call.ec2.DescribeSubnets", fail_first)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(subnet_ids=subnets, discover_ecs=False, discover_eks=False), publish=False)

    # THEN the second batch is measured, the failure names the batch, and no subnet of it is called unknown
    assert len(outcome.reports) == 50
    [error] = outcome.errors
    assert (error.source, error.target.split(" (")[0]) == ("ec2", "DescribeSubnets for 200 subnets")


def test_a_failed_region_read_falls_back_to_ids(vpc: Vpc, clients: AwsClients) -> None:
    # GIVEN 250 listed subnets and the region-wide DescribeSubnets failing
    subnets = tuple(vpc.subnet(prefix=28) for _ in range(250))
    calls = []

    def fail_first(**_: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "try later"}}, "DescribeSubnets")

    clients.ec2.meta.events.register("before-call.ec2.DescribeSubnets", fail_first)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(subnet_ids=subnets, discover_ecs=False, discover_eks=False), publish=False)

    # THEN the two batches by ID read every subnet, and nothing was lost, so nothing is reported
    assert len(outcome.reports) == 250
    assert outcome.errors == []
    assert len(calls) == 3


def test_denied_scaling_targets_keep_the_services_at_their_desired_count(vpc: Vpc, clients: AwsClients) -> None:
    # GIVEN a service of 1 task, and Application Auto Scaling denied to the monitor
    subnet = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [subnet])

    def deny(**_: Any) -> None:
        raise access_denied("application-autoscaling:DescribeScalableTargets")

    clients.application_autoscaling.meta.events.register("before-call.*.DescribeScalableTargets", deny)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the service and its subnet are still reported, planned at its desired count, and the denial is named
    [report] = outcome.reports
    assert report.subnet_id == subnet
    assert report.capacity.ips_needed_at_max == 2  # desiredCount 1, surging to 200 %
    [error] = outcome.errors
    assert (error.source, error.target) == ("application-autoscaling", "DescribeScalableTargets (service maxima)")
    assert "not authorized" in error.message
