"""What a failure becomes: its metric datums, its de-duplication key, its :class:`Finding` (what
failed, the fix to suggest, the AWS page the fix comes from) and the notification a person reads,
rendered from that finding."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.metrics import DIMENSION_SUBNET, IP_EXHAUSTION_FAILURES
from subnet_monitor.core.models import (
    KIND_ECS_SERVICE,
    KIND_ECS_TASK,
    KIND_EKS_CLUSTER,
    KIND_EKS_NODEGROUP,
    SubnetState,
    Workload,
)
from subnet_monitor.core.notices import Quote, code, plain, slack, sns_subject, with_chat
from subnet_monitor.core.subnet import usable_ips
from subnet_monitor.failures.details import KIND_API_CALLER, KIND_AUTO_SCALING_GROUP, Signal
from subnet_monitor.failures.patterns import (
    INSUFFICIENT_CIDR_BLOCKS,
)
from subnet_monitor.failures.records import Failure

# How the notification labels a failure's details.
DETAIL_LABELS = {
    "task_arn": "Task",
    "stop_code": "Stop code",
    "launch_type": "Launch type",
    "service_arn": "Service",
    "container_instances": "Instances",
    "auto_scaling_group": "ASG",
    "eks_nodegroup": "Node group",
    "call": "API call",
    "caller_arn": "Caller",
    "network_interface_id": "ENI",
}
TRUNCATED = "\n[… cut: {} more bytes; the function's log holds the whole failure]"


def with_interface_subnets(failures: Sequence[Failure], subnet_of: Mapping[str, str]) -> list[Failure]:
    """Fill in the subnet of failures that name only a network interface (AssignPrivateIpAddresses)."""
    resolved = []
    for failure in failures:
        interface = failure.details.get("network_interface_id")
        if failure.subnet_id is None and interface in subnet_of:
            failure = replace(failure, subnet_id=subnet_of[interface])  # noqa: PLW2901
        resolved.append(failure)
    return resolved


def failure_datums(failures: Iterable[Failure], timestamp: datetime) -> list[dict[str, Any]]:
    """``IPExhaustionFailures{SubnetId}``: every failure counts, one datum per subnet."""
    counts = Counter(failure.subnet_id for failure in failures if failure.subnet_id)
    return [
        {
            "MetricName": IP_EXHAUSTION_FAILURES,
            "Dimensions": [{"Name": DIMENSION_SUBNET, "Value": subnet_id}],
            "Timestamp": timestamp,
            "Value": float(count),
            "Unit": "Count",
        }
        for subnet_id, count in sorted(counts.items())
    ]


def dedup_key(failure: Failure) -> str:
    """At most one notification per subnet per window; a failure naming no subnet is de-duplicated
    per workload instead."""
    if failure.subnet_id:
        return f"subnet#{failure.subnet_id}"
    if failure.workload:
        return f"workload#{failure.workload.kind}/{failure.workload.cluster}/{failure.workload.name}"
    return f"signal#{failure.signal}"


# Where each fix comes from, when an AWS page says it (none for a launch or an API call in general).
_FIX_SOURCES = {
    Signal.ECS_TASK_STOPPED: "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html",
    Signal.ECS_PLACEMENT_ENI: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html",
    Signal.EKS_NODEGROUP_HEALTH: "https://docs.aws.amazon.com/eks/latest/userguide/cni-custom-network.html",
    Signal.EKS_CLUSTER_HEALTH: "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html",
}
PREFIX_FIX_SOURCE = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html"
FINDING_CODE_PREFIX = "failure."


def failure_finding(failure: Failure) -> Finding:
    """The failure as a :class:`Finding`, the form the notification is rendered from.

    ``code`` is ``failure.<signal>`` (``failure.ecs-task-stopped``…): the signal says what to do; the
    AWS error code stays in the reason. ``subject`` is the subnet, or the workload when the event names
    no subnet. ``message`` says what failed; ``fix`` is :func:`fix_hint`; ``source`` is the AWS page the
    fix comes from, when there is one.
    """
    return Finding(
        code=f"{FINDING_CODE_PREFIX}{failure.signal}",
        severity=Severity.ERROR,
        subject=failure.subnet_id or workload_text(failure.workload),
        message=f"{_WHAT_FAILED[failure.signal]}.",
        fix=fix_hint(failure),
        source=PREFIX_FIX_SOURCE if failure.code == INSUFFICIENT_CIDR_BLOCKS else _FIX_SOURCES.get(failure.signal),
    )


def fix_hint(failure: Failure, quote: Quote = str) -> str:
    """What a person can do about it, specific to the signal; ``quote`` writes the names an event
    brought (the subnet ID is checked against its pattern when the event is read)."""
    subnet = failure.subnet_id or "the subnet"
    leftovers = (
        f"free addresses held by leftover ENIs (aws ec2 describe-network-interfaces --filters "
        f"Name=subnet-id,Values={subnet} Name=status,Values=available)"
    )
    if failure.code == INSUFFICIENT_CIDR_BLOCKS:
        return (
            f"{subnet} has free addresses but no free aligned /28 for a prefix (VPC CNI prefix delegation). Create a "
            f"subnet CIDR reservation of type prefix (aws ec2 create-subnet-cidr-reservation --reservation-type prefix "
            f"--subnet-id {subnet} --cidr <aligned range>) or move prefix-mode nodes to a new, larger subnet."
        )
    if failure.signal is Signal.ECS_TASK_STOPPED:
        return (
            f"give the {'service' if failure.workload and failure.workload.kind == KIND_ECS_SERVICE else 'task'} "
            "more room: add subnets (other AZs, or larger ones) to its awsvpcConfiguration.subnets, lower the "
            f"deployment's maximumPercent so a rolling deployment needs fewer extra addresses, or {leftovers}."
        )
    if failure.signal is Signal.ECS_PLACEMENT_ENI:
        return (
            "the container instances have no ENI attachment left for awsvpc tasks: turn on ENI trunking (aws ecs "
            "put-account-setting-default --name awsvpcTrunking --value enabled, then replace the instances), use "
            "instance types with more ENIs, or let the capacity provider add instances."
        )
    if failure.signal is Signal.ASG_LAUNCH_FAILED:
        target = (
            f"EKS node group {quote(failure.details['eks_nodegroup'])} (a new node group over larger subnets)"
            if "eks_nodegroup" in failure.details
            else "Auto Scaling group's VPCZoneIdentifier"
        )
        return f"add subnets with free addresses to the {target}, or {leftovers}."
    if failure.signal is Signal.EKS_NODEGROUP_HEALTH:
        return (
            "new nodes cannot start: create a node group over larger subnets (or add a secondary VPC CIDR and use "
            f"VPC CNI custom networking for pods), or {leftovers}."
        )
    if failure.signal is Signal.EKS_CLUSTER_HEALTH:
        return (
            "the control plane needs free addresses in its subnets for cluster operations: free some, or associate "
            "other subnets (aws eks update-cluster-config --resources-vpc-config subnetIds=...)."
        )
    return f"add addresses for the caller's workload (a larger or extra subnet), or {leftovers}."


_WHAT_FAILED = {
    Signal.ECS_TASK_STOPPED: "An ECS task stopped: its network interface could not get an address",
    Signal.ECS_PLACEMENT_ENI: "ECS could not place a task: no container instance had a network interface left",
    Signal.ASG_LAUNCH_FAILED: "Auto Scaling could not launch an instance: the subnet had no free address",
    Signal.EKS_NODEGROUP_HEALTH: "EKS node group unhealthy: InsufficientFreeAddresses",
    Signal.EKS_CLUSTER_HEALTH: "EKS cluster unhealthy: InsufficientFreeAddresses",
    Signal.API_CALL_FAILED: "An EC2 call failed: no address left in the subnet",
}


def workload_text(workload: Workload | None, quote: Quote = str) -> str:
    """``ECS service web in cluster payments``…; ``quote`` writes the names (the chat message sets
    them as code)."""
    if workload is None:
        return "-"
    labels = {
        KIND_ECS_SERVICE: "ECS service",
        KIND_ECS_TASK: "ECS task group",
        KIND_EKS_NODEGROUP: "EKS node group",
        KIND_EKS_CLUSTER: "EKS cluster",
        KIND_AUTO_SCALING_GROUP: "Auto Scaling group",
        KIND_API_CALLER: "caller",
    }
    label = labels.get(workload.kind, workload.kind)
    if workload.kind == KIND_EKS_CLUSTER or not workload.cluster:
        return f"{label} {quote(workload.name)}"
    return f"{label} {quote(workload.name)} in cluster {quote(workload.cluster)}"


def notification(
    failure: Failure, state: SubnetState | None, *, window_minutes: int, read_at: str
) -> tuple[str, dict[str, str], dict[str, str]]:
    """Subject, message and SNS message attributes of the one notification for a failure.

    ``state`` is the subnet as EC2 describes it right now (``None`` when the event names no subnet or
    the read failed). The message is one text per protocol, for ``Publish`` with
    ``MessageStructure=json``: ``default`` (e-mail and every other protocol) the plain text, ``https``
    the chat message (:func:`chat_message`). The names and texts an event brings are shown, not obeyed:
    control characters are written as escapes (on their own line), chat markup is neutralised.
    """
    finding = failure_finding(failure)
    where = workload_text(failure.workload, plain)
    zone = (state.availability_zone if state else None) or failure.availability_zone
    subject = f"IP exhaustion: {finding.subject}"
    if failure.subnet_id:
        # The subject is the subnet: say where it is and whose it is.
        subject += f"{f' ({zone})' if zone else ''}, {where}"
    lines = [
        finding.message,
        "",
        f"What failed : {where}",
        f"Reason      : {plain(failure.reason)}",
        f"Where       : account {plain(failure.account) or '-'}, region {plain(failure.region) or '-'}"
        + (f", AZ {plain(zone)}" if zone else ""),
    ]
    if failure.subnet_id and state is not None:
        usable = usable_ips(state.cidr)
        lines.append(f"Subnet      : {state.subnet_id} ({state.cidr}, {state.vpc_id})")
        lines.append(f"Free now    : {state.available_ips} of {usable} usable addresses (DescribeSubnets at {read_at})")
    elif failure.subnet_id:
        lines.append(f"Subnet      : {failure.subnet_id} (its free addresses could not be read now)")
    else:
        lines.append("Subnet      : not named by the event")
    lines.extend(
        [
            *(f"{DETAIL_LABELS.get(key, key):<12}: {plain(value)}" for key, value in failure.details.items()),
            f"Fix         : {fix_hint(failure, plain)}",
            f"When        : {plain(failure.time) or '-'} (event {plain(failure.event_id) or '-'})",
            "",
            _window_sentence(failure, window_minutes),
        ]
    )
    attributes = {"signal": str(failure.signal)}
    if failure.subnet_id:
        attributes["subnet_id"] = failure.subnet_id
    chat = json.dumps(chat_message(failure, state, window_minutes=window_minutes, read_at=read_at), ensure_ascii=False)
    return sns_subject(subject), with_chat("\n".join(lines), chat, attributes, TRUNCATED), attributes


def chat_message(failure: Failure, state: SubnetState | None, *, window_minutes: int, read_at: str) -> dict[str, Any]:
    """The failure as a chat application's custom notification.

    The schema (``version`` "1.0", ``source`` "custom", ``content`` with ``textType`` "client-markdown",
    ``title``, ``description``, ``nextSteps``) is Amazon Q Developer in chat applications' (formerly AWS
    Chatbot) custom notification: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html.
    With ``client-markdown`` it is rendered in the chat's own markup (Slack's mrkdwn), so a name like
    ``*urgent*``, ``<!channel>`` or ``<http://x|click>`` would be bold text, a channel-wide ping or a
    disguised link. Every name and text an event brings is set as inline code (:func:`code`), and all
    text has ``&``, ``<`` and ``>`` written as HTML entities, Slack's own escaping rule: "Slack uses &, <,
    and > as control characters for special parsing in text objects, so they must be converted to HTML
    entities" (https://api.slack.com/reference/surfaces/formatting#escaping).
    """
    finding = failure_finding(failure)
    zone = (state.availability_zone if state else None) or failure.availability_zone
    where = workload_text(failure.workload, code)
    zone_text = f" ({code(zone)})" if zone else ""
    title = f"IP exhaustion: {failure.subnet_id}{zone_text}" if failure.subnet_id else f"IP exhaustion: {where}"
    lines = [
        finding.message,
        f"*What failed:* {where}",
        f"*Reason:* {code(failure.reason)}",
        f"*Where:* account {code(failure.account)}, region {code(failure.region)}"
        + (f", AZ {code(zone)}" if zone else ""),
    ]
    if failure.subnet_id and state is not None:
        lines.append(f"*Subnet:* {state.subnet_id} ({state.cidr}, {state.vpc_id})")
        lines.append(
            f"*Free now:* {state.available_ips} of {usable_ips(state.cidr)} usable addresses "
            f"(DescribeSubnets at {read_at})"
        )
    elif failure.subnet_id:
        lines.append(f"*Subnet:* {failure.subnet_id} (its free addresses could not be read now)")
    else:
        lines.append("*Subnet:* not named by the event")
    lines.extend(f"*{DETAIL_LABELS.get(key, key)}:* {code(value)}" for key, value in failure.details.items())
    lines.append(f"*When:* {code(failure.time)} (event {code(failure.event_id)})")
    lines.append(_window_sentence(failure, window_minutes))
    metadata: dict[str, Any] = {"eventType": finding.code}
    if failure.subnet_id:
        metadata["relatedResources"] = [failure.subnet_id]
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": slack(title),
            "description": slack("\n".join(lines)),
            "nextSteps": [slack(fix_hint(failure, code))],
        },
        "metadata": metadata,
    }


def _window_sentence(failure: Failure, window_minutes: int) -> str:
    return (
        f"More failures {'in this subnet' if failure.subnet_id else 'of this workload'} within {window_minutes} "
        "minutes are counted"
        + (f" in IPExhaustionFailures (Custom/VPC, SubnetId={failure.subnet_id})" if failure.subnet_id else "")
        + " but not notified again."
    )
