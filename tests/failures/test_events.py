"""Failures read from real-shaped events (demo/failure_samples.py cites each shape): attributed to the
right subnet and workload, near misses not counted, bad records counted as unparsed, the notification
text, the EKS health findings and events. Pure: no AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fixtures import failure_samples as samples
from fixtures.failure_samples import NEAR_MISSES, SIGNALS, SUBNET_A, SUBNET_B
from subnet_monitor.aws.eks import health_issues
from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.models import HealthIssue, SubnetCapacity, SubnetState, Workload
from subnet_monitor.core.notices import sns_message_json
from subnet_monitor.failures.details import Signal
from subnet_monitor.failures.events import parse_event, parse_records
from subnet_monitor.failures.health import health_events, health_findings, with_health_findings
from subnet_monitor.failures.notify import (
    dedup_key,
    failure_datums,
    failure_finding,
    notification,
    with_interface_subnets,
)

NOW = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
STATE_A = SubnetState(SUBNET_A, "vpc-0123456789abcdef0", "eu-west-1a", "10.0.9.0/27", 2)


@pytest.mark.parametrize(
    ("sample", "signal", "subnets", "workload", "code"),
    [
        (
            "ecs-task-stopped",
            Signal.ECS_TASK_STOPPED,
            [SUBNET_A],
            Workload("ecs-service", "payments", "checkout-web"),
            "InsufficientFreeAddressesInSubnet",
        ),
        (
            "asg-launch-failed",
            Signal.ASG_LAUNCH_FAILED,
            [SUBNET_B],
            Workload("auto-scaling-group", "", "payments-ecs-asg"),
            "InsufficientFreeAddressesInSubnet",
        ),
        (
            "eks-nodegroup-health",
            Signal.EKS_NODEGROUP_HEALTH,
            [SUBNET_A],
            Workload("eks-nodegroup", "platform", "general"),
            "InsufficientFreeAddresses",
        ),
        (
            "eks-cluster-health",
            Signal.EKS_CLUSTER_HEALTH,
            [SUBNET_A, SUBNET_B],
            Workload("eks-cluster", "platform", "platform"),
            "InsufficientFreeAddresses",
        ),
        (
            "cloudtrail-create-eni",
            Signal.API_CALL_FAILED,
            [SUBNET_A],
            Workload("api-caller", "", "platform-eks-node"),
            "InsufficientFreeAddressesInSubnet",
        ),
        (
            "cloudtrail-assign-prefix",
            Signal.API_CALL_FAILED,
            [None],
            Workload("api-caller", "", "platform-eks-node"),
            "InsufficientCidrBlocks",
        ),
        (
            "ecs-placement-eni",
            Signal.ECS_PLACEMENT_ENI,
            [None],
            Workload("ecs-service", "payments", "ledger-api"),
            "RESOURCE:ENI",
        ),
    ],
)
def test_each_signal_is_attributed_to_its_subnet_and_workload(sample, signal, subnets, workload, code):
    # GIVEN a real-shaped event of the signal
    # WHEN it is read
    parsed = parse_event(SIGNALS[sample])
    # THEN it is one failure per subnet it names, of the right workload, nothing skipped
    assert [f.subnet_id for f in parsed.failures] == subnets
    assert {(f.signal, f.workload, f.code) for f in parsed.failures} == {(signal, workload, code)}
    assert (parsed.ignored, parsed.unparsed) == ([], [])
    failure = parsed.failures[0]
    assert (failure.account, failure.region, failure.time) == ("111122223333", "eu-west-1", "2026-11-24T18:59:41Z")


def test_the_event_says_where_and_what():
    ecs = parse_event(SIGNALS["ecs-task-stopped"]).failures[0]
    assert ecs.availability_zone == "eu-west-1a"
    assert ecs.details["stop_code"] == "TaskFailedToStart"
    assert ecs.details["task_arn"].endswith("task/payments/c13b4cb40f1f4fe4a2971f76ae5a47ad")
    asg = parse_event(SIGNALS["asg-launch-failed"]).failures[0]
    assert asg.availability_zone == "eu-west-1b"
    assert asg.reason.startswith("There are not enough free addresses in subnet")
    trail = parse_event(SIGNALS["cloudtrail-assign-prefix"]).failures[0]
    assert trail.details["network_interface_id"] == "eni-0c9d8e7f6a5b43210"
    assert trail.details["caller_arn"].endswith("assumed-role/platform-eks-node/i-0b22a22eec53b9321")


def test_a_standalone_task_is_named_by_its_group():
    event = samples.ecs_task_stopped(group="family:settlement-batch")
    [failure] = parse_event(event).failures
    assert failure.workload == Workload("ecs-task", "payments", "family:settlement-batch")


def test_a_reason_naming_no_subnet_falls_back_to_the_task_attachment():
    # GIVEN the reason as one public fixture has it: subnet ''
    event = samples.ecs_task_stopped(SUBNET_B, reason_subnet="")
    # THEN the ENI attachment's subnetId attributes the failure
    assert [f.subnet_id for f in parse_event(event).failures] == [SUBNET_B]


def test_an_asg_launch_of_an_eks_node_group_names_it():
    event = samples.asg_launch_unsuccessful(group="eks-general-3ec3b4a2-5c1d-4e5f-a6b7-8c9d0e1f2a3b")
    [failure] = parse_event(event).failures
    assert failure.details["eks_nodegroup"] == "general"
    assert "EKS node group general" in notification(failure, None, window_minutes=15, read_at="-")[1]["default"]


@pytest.mark.parametrize("name", sorted(NEAR_MISSES))
def test_near_misses_are_not_failures(name):
    # GIVEN a failure for another reason (capacity, quota, permissions) or another state of the task
    parsed = parse_event(NEAR_MISSES[name])
    # THEN nothing is counted, and the reason is kept for the log
    assert parsed.failures == []
    assert parsed.unparsed == []
    [ignored] = parsed.ignored
    assert ignored.why


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ("not json at all", "not an event object"),
        ({"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": "oops"}, "detail is not an object"),
        (
            {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {"lastStatus": "STOPPED"}},
            "detail.stoppedReason is missing",
        ),
        ({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}, "not a failure signal"),
        (
            {**samples.ecs_placement_failure(), "resources": []},
            "resources does not name the service",
        ),
        (
            {
                **samples.eks_health_issue(),
                "detail": {"clusterName": "platform", "code": "InsufficientFreeAddresses", "resourceIds": "x"},
            },
            "resourceIds is not a list",
        ),
    ],
)
def test_malformed_events_are_unparsed_not_raised(record, why):
    parsed = parse_event(record)
    assert parsed.failures == []
    [unparsed] = parsed.unparsed
    assert why in unparsed.why


def test_an_unreadable_attachment_is_skipped_not_raised():
    # GIVEN the reason names no subnet and the ENI attachment's details are not a list
    event = samples.ecs_task_stopped(SUBNET_B, reason_subnet="")
    event["detail"]["attachments"][0]["details"] = 7
    # THEN the failure is still counted, as one that names no subnet
    [failure] = parse_event(event).failures
    assert (failure.signal, failure.subnet_id) == (Signal.ECS_TASK_STOPPED, None)


def test_fields_aws_adds_are_ignored():
    # GIVEN an event with envelope and detail fields this function does not know
    event = {**SIGNALS["asg-launch-failed"], "replay-name": "r", "newEnvelopeField": 1}
    event["detail"] = {**event["detail"], "Origin": "EC2", "NewField": {"x": [1]}}
    # THEN it reads as without them
    assert parse_event(event) == parse_event(SIGNALS["asg-launch-failed"])


def test_a_bad_record_in_a_batch_keeps_the_other_records():
    # GIVEN an SQS batch: a failure, a body that is not JSON, a malformed event, another failure
    batch = samples.as_sqs_batch(
        SIGNALS["ecs-task-stopped"],
        "{not json",
        {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {}},
        SIGNALS["asg-launch-failed"],
    )
    # WHEN it is read
    parsed = parse_records(batch)
    # THEN both failures are there and the two bad records are counted as unparsed
    assert [f.subnet_id for f in parsed.failures] == [SUBNET_A, SUBNET_B]
    assert len(parsed.unparsed) == 2


def test_a_failure_naming_no_subnet_counts_as_unparsed_and_is_kept_per_workload():
    parsed = parse_records([SIGNALS["ecs-placement-eni"], SIGNALS["ecs-task-stopped"]])
    assert [f.signal for f in parsed.without_subnet] == [Signal.ECS_PLACEMENT_ENI]
    assert dedup_key(parsed.without_subnet[0]) == "workload#ecs-service/payments/ledger-api"
    assert dedup_key(parsed.failures[1]) == f"subnet#{SUBNET_A}"


def test_an_interface_names_the_subnet_once_read():
    parsed = parse_event(SIGNALS["cloudtrail-assign-prefix"])
    [resolved] = with_interface_subnets(parsed.failures, {"eni-0c9d8e7f6a5b43210": SUBNET_B})
    assert resolved.subnet_id == SUBNET_B


def test_every_failure_counts_in_one_datum_per_subnet():
    parsed = parse_records(
        [SIGNALS["ecs-task-stopped"]] * 3 + [SIGNALS["asg-launch-failed"], SIGNALS["ecs-placement-eni"]]
    )
    datums = failure_datums(parsed.failures, NOW)
    assert [(d["Dimensions"], d["Value"], d["Unit"]) for d in datums] == [
        ([{"Name": "SubnetId", "Value": SUBNET_A}], 3.0, "Count"),
        ([{"Name": "SubnetId", "Value": SUBNET_B}], 1.0, "Count"),
    ]
    assert {d["MetricName"] for d in datums} == {"IPExhaustionFailures"}


def test_the_notification_says_what_where_how_full_and_what_to_do():
    [failure] = parse_event(SIGNALS["ecs-task-stopped"]).failures
    subject, message, attributes = notification(failure, STATE_A, window_minutes=15, read_at="2026-11-24T19:00:02Z")
    message = message["default"]
    assert subject == f"IP exhaustion: {SUBNET_A} (eu-west-1a), ECS service checkout-web in cluster payments"
    assert len(subject) < 100
    for line in (
        "What failed : ECS service checkout-web in cluster payments",
        "Where       : account 111122223333, region eu-west-1, AZ eu-west-1a",
        f"Subnet      : {SUBNET_A} (10.0.9.0/27, vpc-0123456789abcdef0)",
        "Free now    : 2 of 27 usable addresses (DescribeSubnets at 2026-11-24T19:00:02Z)",
        "Stop code   : TaskFailedToStart",
    ):
        assert line in message.splitlines()
    assert "Fix         : give the service more room: add subnets" in message
    assert "within 15 minutes are counted in IPExhaustionFailures" in message
    assert attributes == {"signal": "ecs-task-stopped", "subnet_id": SUBNET_A}


@pytest.mark.parametrize(
    ("sample", "hint"),
    [
        ("ecs-placement-eni", "turn on ENI trunking"),
        ("asg-launch-failed", "VPCZoneIdentifier"),
        ("eks-nodegroup-health", "create a node group over larger subnets"),
        ("eks-cluster-health", "aws eks update-cluster-config"),
        ("cloudtrail-assign-prefix", "create-subnet-cidr-reservation --reservation-type prefix"),
    ],
)
def test_each_signal_has_its_fix(sample, hint):
    failure = parse_event(SIGNALS[sample]).failures[0]
    assert hint in notification(failure, None, window_minutes=5, read_at="-")[1]["default"]


def test_a_failure_is_an_error_finding_on_its_subnet_and_the_notification_says_it():
    [failure] = parse_event(SIGNALS["ecs-task-stopped"]).failures
    finding = failure_finding(failure)
    assert (finding.code, finding.severity, finding.subject) == ("failure.ecs-task-stopped", Severity.ERROR, SUBNET_A)
    assert finding.source.endswith("API_DeploymentConfiguration.html")
    subject, message, _ = notification(failure, STATE_A, window_minutes=15, read_at="-")
    message = message["default"]
    assert subject.startswith(f"IP exhaustion: {finding.subject} ")
    assert (
        message.splitlines()[0]
        == finding.message
        == "An ECS task stopped: its network interface could not get an address."
    )
    assert f"Fix         : {finding.fix}" in message.splitlines()


@pytest.mark.parametrize(
    ("sample", "subject", "source"),
    [
        ("ecs-placement-eni", "ECS service ledger-api in cluster payments", "container-instance-eni.html"),
        ("asg-launch-failed", SUBNET_B, None),
        ("eks-nodegroup-health", SUBNET_A, "cni-custom-network.html"),
        ("eks-cluster-health", SUBNET_A, "network-reqs.html"),
        ("cloudtrail-create-eni", SUBNET_A, None),
        ("cloudtrail-assign-prefix", "caller platform-eks-node", "subnet-cidr-reservation.html"),
    ],
)
def test_each_finding_names_its_subject_and_the_page_its_fix_comes_from(sample, subject, source):
    finding = failure_finding(parse_event(SIGNALS[sample]).failures[0])
    assert finding.subject == subject
    assert finding.source is None if source is None else finding.source.endswith(source)
    assert finding.to_dict()["severity"] == "error"


def test_a_failure_without_a_subnet_says_so_and_is_de_duplicated_per_workload():
    [failure] = parse_event(SIGNALS["ecs-placement-eni"]).failures
    subject, message, attributes = notification(failure, None, window_minutes=15, read_at="-")
    message = message["default"]
    assert subject == "IP exhaustion: ECS service ledger-api in cluster payments"
    assert "Subnet      : not named by the event" in message
    assert "More failures of this workload within 15 minutes" in message
    assert "subnet_id" not in attributes


def test_a_long_subject_is_cut_to_snss_limit():
    event = samples.asg_launch_unsuccessful(group="x" * 200)
    [failure] = parse_event(event).failures
    subject = notification(failure, None, window_minutes=15, read_at="-")[0]
    # SNS Publish: a subject "must be less than 100 characters long" (API_Publish.html).
    assert len(subject) == 99
    assert subject.endswith("~")


# --- EKS health, read by the scan ------------------------------------------------------------------


def test_only_address_issues_are_kept_from_a_health_block():
    health = {
        "issues": [
            {"code": "InsufficientFreeAddresses", "message": "m", "resourceIds": [SUBNET_A, "eks-asg-1"]},
            {"code": "AsgInstanceLaunchFailures", "message": "vCPU", "resourceIds": ["eks-asg-1"]},
            "garbage",
        ]
    }
    assert health_issues("platform", "general", health) == [
        HealthIssue("platform", "general", "InsufficientFreeAddresses", "m", (SUBNET_A, "eks-asg-1"))
    ]
    assert health_issues("platform", None, None) == []
    assert health_issues("platform", None, {"issues": "none"}) == []


def test_health_issues_become_findings_of_their_subnets():
    issues = [
        HealthIssue("platform", "general", "InsufficientFreeAddresses", "no room for nodes", (SUBNET_A, "eks-asg-1")),
        HealthIssue("platform", None, "InsufficientFreeAddresses", "", (SUBNET_A, SUBNET_B)),
    ]
    findings = health_findings(issues)
    assert sorted(findings) == [SUBNET_A, SUBNET_B]
    nodegroup, cluster = findings[SUBNET_A]
    assert nodegroup.sentence().startswith(
        f"subnet {SUBNET_A}: EKS reports node group platform/general unhealthy with InsufficientFreeAddresses "
        "(no room for nodes). Fix: new nodes cannot start"
    )
    assert "cluster platform unhealthy" in cluster.sentence()
    # Node group and cluster issues are told apart by code, each with its fix and the API page of its issue
    assert [(f.code, f.severity, f.subject) for f in (nodegroup, cluster)] == [
        ("eks-health.nodegroup-insufficient-free-addresses", Severity.ERROR, SUBNET_A),
        ("eks-health.cluster-insufficient-free-addresses", Severity.ERROR, SUBNET_A),
    ]
    assert cluster.fix is not None and cluster.fix.startswith("the control plane needs free addresses")
    assert nodegroup.source == "https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html"
    # Merged into the report's capacity; a subnet that was not measured gets none.
    earlier = Finding("headroom.short-at-max", Severity.ERROR, SUBNET_A, "earlier.")
    merged = with_health_findings({SUBNET_A: SubnetCapacity(findings=(earlier,))}, issues, measured=[SUBNET_A])
    assert merged[SUBNET_A].findings[0] == earlier
    assert len(merged[SUBNET_A].findings) == 3
    assert SUBNET_B not in merged


def test_health_issues_become_the_events_the_failure_path_reads():
    issue = HealthIssue("platform", "general", "InsufficientFreeAddresses", "m", (SUBNET_A,))
    [entry] = health_events([issue])
    assert (entry["Source"], entry["DetailType"]) == ("subnet-monitor", "EKS Health Issue")
    delivered = {**samples.eks_health_issue(), "detail": json.loads(entry["Detail"])}
    [failure] = parse_event(delivered).failures
    assert (failure.signal, failure.subnet_id, failure.workload) == (
        Signal.EKS_NODEGROUP_HEALTH,
        SUBNET_A,
        Workload("eks-nodegroup", "platform", "general"),
    )


def test_a_subject_sns_would_refuse_is_made_one_it_takes():
    # GIVEN an Auto Scaling group name holding a terminal escape, a carriage return, a tab and non-ASCII
    failure = parse_event(samples.asg_launch_unsuccessful(group="eks-ng\x1b[2J\r\tgrüße-" + "x" * 200)).failures[0]
    # WHEN it is notified
    subject, _, _ = notification(failure, STATE_A, window_minutes=15, read_at="-")
    # THEN the subject is printable ASCII without control characters, under SNS's 100 characters
    assert all(" " <= c <= "~" for c in subject)
    assert len(subject) < 100
    assert subject.startswith("IP exhaustion: ")


def test_a_message_past_snss_256_kb_is_cut_with_a_marker():
    # GIVEN a stopped task whose reason is 5 MB (the rest of the event as AWS writes it)
    event = samples.ecs_task_stopped()
    event["detail"]["stoppedReason"] = (
        "ResourceInitializationError: InsufficientFreeAddressesInSubnet " + "é" * 2_500_000
    )
    failure = parse_event(event).failures[0]
    # WHEN it is notified
    _, message, attributes = notification(failure, STATE_A, window_minutes=15, read_at="-")
    # THEN message (as published: one JSON text per protocol) and attributes fit one SNS message, and the
    # cut says so
    size = len(sns_message_json(message).encode()) + sum(len(k) + len("String") + len(v) for k, v in attributes.items())
    assert size <= 262_144
    message = message["default"]
    assert message.endswith("more bytes; the function's log holds the whole failure]")
    assert "Reason      : ResourceInitializationError: InsufficientFreeAddressesInSubnet éé" in message
