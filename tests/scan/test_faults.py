"""Faults: one failing cluster, service, API call or metric batch never loses the others."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto.moto_api import state_manager

from fixtures.estate import hold_ecs_tasks_running, seed_estate
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.handlers import scan as handler
from subnet_monitor.render.text import COLUMNS, to_table
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
    assert result.summary["metrics_published"] == 2  # the default setting: AvailableIPCount and SubnetStatus
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
    # GIVEN 600 subnets (1,800 datums, the detailed setting's three a subnet without a workload: two PutMetricData
    # batches) and CloudWatch failing the first call
    subnets = tuple(vpc.subnet(prefix=28) for _ in range(600))
    failures = []

    def fail_first(**_: Any) -> None:
        if not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "InternalFailure", "Message": "try later"}}, "PutMetricData")

    clients.cloudwatch.meta.events.register("before-call.cloudwatch.PutMetricData", fail_first)

    # WHEN scanned and published
    outcome = run_scan(clients, ScanConfig(subnet_ids=subnets, metrics="detailed"), publish=True)

    # THEN the second batch was still sent, and the outcome says what was not published
    assert counter.calls["cloudwatch.PutMetricData"] == 2
    assert outcome.published is not None
    assert (outcome.published.datums_sent, outcome.published.datums_failed) == (800, 1000)
    summary = outcome.summary()
    assert (summary["metrics_published"], summary["metrics_not_published"]) == (800, 1000)
    [error] = summary["errors"]
    assert error["source"] == "cloudwatch"
    assert error["target"].startswith("PutMetricData batch 1 (1000 datums")
    stored = aws.client("cloudwatch").list_metrics(Namespace="Custom/VPC", MetricName="IPUtilization")["Metrics"]
    # the second batch holds datums 1,000 to 1,799: IPUtilization (the second of a subnet's three) of subnets 333 to 599
    assert len({m["Dimensions"][0]["Value"] for m in stored}) == 267


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


def test_denied_scaling_targets_leave_the_services_headroom_unknown(vpc: Vpc, clients: AwsClients) -> None:
    # GIVEN a service of 1 task, and Application Auto Scaling denied to the monitor
    subnet = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [subnet])

    def deny(**_: Any) -> None:
        raise access_denied("application-autoscaling:DescribeScalableTargets")

    clients.application_autoscaling.meta.events.register("before-call.*.DescribeScalableTargets", deny)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the subnet is still reported, but with no headroom planned at the desired count (the service may
    # scale further): the gap says why, and the denial is named
    [report] = outcome.reports
    assert report.subnet_id == subnet
    report_json = report.to_dict()
    assert "ips_needed_at_max" not in report_json
    assert "scale_headroom" not in report_json
    [gap] = report_json["gaps"]
    assert gap["read"] == "application-autoscaling:DescribeScalableTargets"
    assert gap["affects"] == ["ips_needed_at_max", "scale_headroom"]
    assert "not authorized" in gap["reason"]
    [error] = outcome.errors
    assert (error.source, error.target) == ("application-autoscaling", "DescribeScalableTargets (service maxima)")
    assert "not authorized" in error.message


def test_denied_network_interfaces_leave_consumers_unknown_and_the_subnet_not_plainly_ok(
    vpc: Vpc, clients: AwsClients
) -> None:
    # GIVEN a service subnet holding addresses, and DescribeNetworkInterfaces denied to the monitor
    subnet = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [subnet])
    vpc.consume(subnet, 4)

    def deny(**_: Any) -> None:
        raise access_denied("ec2:DescribeNetworkInterfaces")

    clients.ec2.meta.events.register("before-call.ec2.DescribeNetworkInterfaces", deny)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN consumers is absent (not an empty breakdown), the gap names the read and what it leaves unknown,
    [report] = outcome.reports
    report_json = report.to_dict()
    assert "consumers" not in report_json
    [gap] = report_json["gaps"]
    assert gap["read"] == "ec2:DescribeNetworkInterfaces"
    assert gap["affects"] == ["consumers", "free_prefix_blocks", "largest_free_block"]
    assert "AccessDenied" in gap["reason"]
    # a visibility.partial finding says so, the status stays OK but the table marks it and says why
    [partial] = [f for f in report_json["finding_details"] if f["code"] == "visibility.partial"]
    assert partial["severity"] == "warning"
    assert "ec2:DescribeNetworkInterfaces" in partial["message"]
    assert "not known: consumers, free_prefix_blocks, largest_free_block" in partial["message"]
    assert report_json["status"] == "OK"
    table = to_table(outcome.reports).splitlines()
    assert table[1].split()[COLUMNS.index("STATUS")] == "OK*"
    assert table[-1].startswith("* not fully seen")
    # and the scan's error (what ScanErrors counts) names the call
    [error] = outcome.errors
    assert error.target.startswith("DescribeNetworkInterfaces for 1 subnets")


def test_denied_auto_scaling_groups_leave_the_capacity_providers_subnets_without_headroom(
    aws: boto3.Session, clients: AwsClients
) -> None:
    # GIVEN the demo's estate, whose ECS capacity provider runs one container instance in each of three
    # subnets, and DescribeAutoScalingGroups denied to the monitor
    estate = seed_estate(aws.client)
    hold_ecs_tasks_running()

    def deny(**_: Any) -> None:
        raise access_denied("autoscaling:DescribeAutoScalingGroups")

    clients.autoscaling.meta.events.register("before-call.*.DescribeAutoScalingGroups", deny)

    # WHEN scanned
    try:
        outcome = run_scan(clients, ScanConfig(), publish=False)
    finally:
        state_manager.unset_transition("ecs::task")

    # THEN the group's subnets (found through their container instances) have no headroom figure, and a gap
    # says the group could not be read
    reports = {r.subnet_id: r.to_dict() for r in outcome.reports}
    for name in ("ecs-instances-a", "ecs-instances-b", "ecs-instances-c"):
        report = reports[estate.subnet_id(name)]
        assert "ips_needed_at_max" not in report, name
        assert "scale_headroom" not in report, name
        [gap] = [g for g in report["gaps"] if g["read"] == "autoscaling:DescribeAutoScalingGroups"]
        assert {"ips_needed_at_max", "scale_headroom", "workloads"} <= set(gap["affects"])
    # and an EKS subnet, which no capacity provider uses, keeps its figures and has no gap
    node_subnet = next(iter(estate.ids_with_role("eks-node")))
    assert "gaps" not in reports[node_subnet]


def test_addresses_no_visible_interface_holds_are_unattributed(vpc: Vpc, clients: AwsClients) -> None:
    # GIVEN a subnet shared with another account: 4 of its addresses are on interfaces the monitor cannot see
    subnet = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [subnet])
    vpc.consume(subnet, 3)
    vpc.ec2.create_network_interface(SubnetId=subnet, Description="other account", SecondaryPrivateIpAddressCount=3)

    def hide_other_accounts(parsed: dict[str, Any], **_: Any) -> None:
        interfaces = parsed.get("NetworkInterfaces", [])
        parsed["NetworkInterfaces"] = [eni for eni in interfaces if eni.get("Description") != "other account"]

    clients.ec2.meta.events.register("after-call.ec2.DescribeNetworkInterfaces", hide_other_accounts)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN what the visible interfaces do not explain is unattributed, and consumers adds up to used_ips
    [report] = outcome.reports
    report_json = report.to_dict()
    assert report_json["consumers"]["unattributed"] == 4
    assert sum(report_json["consumers"].values()) == report_json["used_ips"]
    assert "gaps" not in report_json


def test_full_visibility_adds_no_gap_and_no_mark(vpc: Vpc, clients: AwsClients) -> None:
    # GIVEN a service subnet whose every read succeeds
    subnet = vpc.subnet()
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [subnet])
    vpc.consume(subnet, 5)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the report has exactly the fields it had before gaps existed, consumers adds up, nothing is marked
    [report] = outcome.reports
    report_json = report.to_dict()
    assert set(report_json) == {
        "subnet_id", "vpc_id", "availability_zone", "cidr", "usable_ips", "available_ips", "used_ips",
        "utilization_percent", "roles", "workloads", "status", "status_reasons", "ips_needed_at_max",
        "scale_headroom", "consumers", "findings", "finding_details",
    }  # fmt: skip
    assert report_json["status_reasons"] == []
    assert "unattributed" not in report_json["consumers"]
    assert sum(report_json["consumers"].values()) == report_json["used_ips"]
    assert "visibility.partial" not in {f["code"] for f in report_json["finding_details"]}
    assert "*" not in to_table(outcome.reports)
