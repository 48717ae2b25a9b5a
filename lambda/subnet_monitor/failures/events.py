"""Failures that already happened because a subnet ran out of addresses: read from events, attributed
to a subnet and a workload, explained to a person. Pure: no AWS imports, no I/O.

Signals (patterns in :mod:`subnet_monitor.failures.patterns`):

- ``ECS Task State Change``: a task stopped because its ENI could not get an address;
- ``ECS Service Action``: the scheduler could not place an awsvpc task, no container instance had a
  free ENI attachment (``RESOURCE:ENI``);
- ``EC2 Instance Launch Unsuccessful``: Auto Scaling could not launch an instance, the subnet had no
  free address (capacity providers and EKS node groups alike);
- ``EKS Health Issue``: the scan's own event for an EKS node group or cluster health issue
  ``InsufficientFreeAddresses`` (EKS sends no event for these);
- ``AWS API Call via CloudTrail`` (optional): a failed ``CreateNetworkInterface``,
  ``AssignPrivateIpAddresses`` or ``RunInstances``.

An event becomes :class:`Failure` records (one per subnet it names), an :class:`Ignored` record
(a near miss: a failure for another reason) or an :class:`Unparsed` record (not an event we can read).
Nothing here raises on a bad event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from subnet_monitor.core.config import SUBNET_ID_PATTERN
from subnet_monitor.core.models import (
    KIND_ECS_SERVICE,
    KIND_ECS_TASK,
    KIND_EKS_CLUSTER,
    KIND_EKS_NODEGROUP,
    Workload,
)
from subnet_monitor.failures.patterns import (
    ASG_NO_ADDRESS_MESSAGES,
    ECS_PLACEMENT_ENI_REASON,
    ECS_PLACEMENT_FAILURE,
    EKS_HEALTH_DETAIL_TYPE,
    EKS_INSUFFICIENT_FREE_ADDRESSES,
    EVENT_SOURCE,
    INSUFFICIENT_ADDRESSES,
    INSUFFICIENT_CIDR_BLOCKS,
    NOT_SUFFICIENT_ADDRESSES_MESSAGE,
)

# Workload kinds only failures name (the scan's kinds are in models).
KIND_AUTO_SCALING_GROUP = "auto-scaling-group"
KIND_API_CALLER = "api-caller"
# Texts that mean "no address left" wherever AWS writes a reason.
EXHAUSTION_MARKERS = (
    INSUFFICIENT_ADDRESSES,
    INSUFFICIENT_CIDR_BLOCKS,
    NOT_SUFFICIENT_ADDRESSES_MESSAGE,
    *ASG_NO_ADDRESS_MESSAGES,
)
SUBNET_IN_TEXT = re.compile(r"\b(subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?)\b")
# EKS names a managed node group's Auto Scaling group eks-<node group>-<uuid>.
EKS_NODEGROUP_ASG = re.compile(r"^eks-(?P<nodegroup>.+)-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")
ECS_SERVICE_GROUP_PREFIX = "service:"
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
# SNS refuses a subject over 100 characters.
SNS_SUBJECT_MAX = 100
# EventBridge PutEvents takes at most 10 entries a call.


class Signal(StrEnum):
    """Which kind of failure was observed."""

    ECS_TASK_STOPPED = "ecs-task-stopped"
    ECS_PLACEMENT_ENI = "ecs-placement-eni"
    ASG_LAUNCH_FAILED = "asg-launch-failed"
    EKS_NODEGROUP_HEALTH = "eks-nodegroup-health"
    EKS_CLUSTER_HEALTH = "eks-cluster-health"
    API_CALL_FAILED = "api-call-failed"


@dataclass(frozen=True)
class Failure:
    """One failure attributed (when the event says where) to one subnet and one workload."""

    signal: Signal
    code: str
    reason: str
    subnet_id: str | None
    workload: Workload | None
    account: str
    region: str
    time: str
    event_id: str
    availability_zone: str | None = None
    # What else the event says that helps a person: task ARN, instance, caller, ENI…
    details: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The structured log record (``message = "exhaustion_failure"``)."""
        return {
            "signal": str(self.signal),
            "code": self.code,
            "reason": self.reason,
            "subnet_id": self.subnet_id,
            "availability_zone": self.availability_zone,
            "workload": self.workload.to_dict() if self.workload else None,
            "account": self.account,
            "region": self.region,
            "event_time": self.time,
            "event_id": self.event_id,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Skipped:
    """An event (or a record of a batch) that is not counted as a failure, and why."""

    why: str
    event_id: str | None = None
    source: str | None = None
    detail_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"why": self.why, "event_id": self.event_id, "source": self.source, "detail_type": self.detail_type}


@dataclass
class Parsed:
    """What a batch of records held: failures; near misses (``ignored``, other failures that reached
    us); records that could not be read (``unparsed``)."""

    failures: list[Failure] = field(default_factory=list)
    ignored: list[Skipped] = field(default_factory=list)
    unparsed: list[Skipped] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.failures.extend(other.failures)
        self.ignored.extend(other.ignored)
        self.unparsed.extend(other.unparsed)

    @property
    def without_subnet(self) -> list[Failure]:
        return [failure for failure in self.failures if failure.subnet_id is None]


class _MalformedError(ValueError):
    """A field the signal needs is missing or of the wrong type."""


def parse_records(payload: Any) -> Parsed:
    """Read a Lambda payload: one EventBridge event, an SQS batch of them (``Records[].body``) or a
    list. A record that cannot be read is counted in ``unparsed`` and the others are still read."""
    parsed = Parsed()
    if isinstance(payload, Mapping) and isinstance(payload.get("Records"), list):
        records: Iterable[Any] = payload["Records"]
    elif isinstance(payload, list):
        records = payload
    else:
        records = [payload]
    for record in records:
        if isinstance(record, Mapping) and "body" in record and "detail-type" not in record:
            try:
                record = json.loads(record["body"])  # noqa: PLW2901 - the record is its body
            except (TypeError, ValueError) as error:
                parsed.unparsed.append(Skipped(why=f"record body is not JSON ({error})"))
                continue
        parsed.extend(parse_event(record))
    return parsed


def parse_event(event: Any) -> Parsed:
    """The failures one EventBridge event reports, or why it reports none."""
    if not isinstance(event, Mapping):
        return Parsed(unparsed=[Skipped(why=f"not an event object ({type(event).__name__})")])
    envelope = Skipped(
        why="",
        event_id=_text(event.get("id")),
        source=_text(event.get("source")),
        detail_type=_text(event.get("detail-type")),
    )
    reader = _READERS.get((envelope.source or "", envelope.detail_type or ""))
    if reader is None:
        return Parsed(unparsed=[replace(envelope, why="not a failure signal this function reads")])
    detail = event.get("detail")
    try:
        if not isinstance(detail, Mapping):
            raise _MalformedError("detail is not an object")
        context = _Context(
            account=_text(event.get("account")) or "",
            region=_text(event.get("region")) or "",
            time=_text(event.get("time")) or "",
            event_id=envelope.event_id or "",
        )
        return reader(context, detail, event)
    except _MalformedError as error:
        return Parsed(unparsed=[replace(envelope, why=str(error))])


@dataclass(frozen=True)
class _Context:
    account: str
    region: str
    time: str
    event_id: str

    def failure(self, signal: Signal, **kwargs: Any) -> Failure:
        return Failure(
            signal=signal, account=self.account, region=self.region, time=self.time, event_id=self.event_id, **kwargs
        )

    def ignored(self, source: str, detail_type: str, why: str) -> Parsed:
        return Parsed(ignored=[Skipped(why=why, event_id=self.event_id, source=source, detail_type=detail_type)])


def _ecs_task(context: _Context, detail: Mapping[str, Any], event: Mapping[str, Any]) -> Parsed:
    """ECS Task State Change: ``stoppedReason`` names the error and usually the subnet; the task's ENI
    attachment names the subnet too. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
    """
    reason = _required_text(detail, "stoppedReason")
    if detail.get("lastStatus") != "STOPPED" or not _exhaustion_code(reason):
        return context.ignored("aws.ecs", "ECS Task State Change", f"task not stopped for lack of addresses: {reason}")
    cluster = _arn_name(_required_text(detail, "clusterArn"), "cluster/")
    group = _text(detail.get("group")) or ""
    if group.startswith(ECS_SERVICE_GROUP_PREFIX):
        workload = Workload(KIND_ECS_SERVICE, cluster, group.removeprefix(ECS_SERVICE_GROUP_PREFIX))
    else:
        workload = Workload(KIND_ECS_TASK, cluster, group or "standalone")
    subnets = _subnets_in(reason) or _attachment_subnets(detail.get("attachments"))
    details = {
        key: value
        for key, value in (
            ("task_arn", _text(detail.get("taskArn"))),
            ("stop_code", _text(detail.get("stopCode"))),
            ("launch_type", _text(detail.get("launchType"))),
        )
        if value
    }
    return _per_subnet(
        context,
        subnets,
        signal=Signal.ECS_TASK_STOPPED,
        code=_exhaustion_code(reason) or INSUFFICIENT_ADDRESSES,
        reason=reason,
        workload=workload,
        availability_zone=_text(detail.get("availabilityZone")),
        details=details,
    )


def _ecs_service(context: _Context, detail: Mapping[str, Any], event: Mapping[str, Any]) -> Parsed:
    """ECS Service Action ``SERVICE_TASK_PLACEMENT_FAILURE`` with reason ``RESOURCE:ENI``: no container
    instance had an ENI attachment left. It names container instances, never a subnet.
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
    """
    name, reason = _text(detail.get("eventName")), _text(detail.get("reason"))
    if name != ECS_PLACEMENT_FAILURE or reason != ECS_PLACEMENT_ENI_REASON:
        return context.ignored("aws.ecs", "ECS Service Action", f"not an ENI placement failure: {name} {reason}")
    cluster = _arn_name(_required_text(detail, "clusterArn"), "cluster/")
    resources = event.get("resources")
    service_arn = resources[0] if isinstance(resources, list) and resources and isinstance(resources[0], str) else ""
    if ":service/" not in service_arn:
        raise _MalformedError("resources does not name the service")
    instances = detail.get("containerInstanceArns")
    count = len(instances) if isinstance(instances, list) else 0
    return _per_subnet(
        context,
        [],
        signal=Signal.ECS_PLACEMENT_ENI,
        code=ECS_PLACEMENT_ENI_REASON,
        reason=f"service could not place a task: {ECS_PLACEMENT_ENI_REASON} (no container instance had a free ENI)",
        workload=Workload(KIND_ECS_SERVICE, cluster, service_arn.rsplit("/", 1)[-1]),
        availability_zone=None,
        details={"service_arn": service_arn, "container_instances": str(count)}
        if count
        else {"service_arn": service_arn},
    )


def _asg_launch(context: _Context, detail: Mapping[str, Any], event: Mapping[str, Any]) -> Parsed:
    """EC2 Instance Launch Unsuccessful: ``StatusMessage`` says why, ``Details`` names the subnet and AZ.
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
    """
    message = _required_text(detail, "StatusMessage")
    group = _required_text(detail, "AutoScalingGroupName")
    if not _exhaustion_code(message):
        return context.ignored(
            "aws.autoscaling", "EC2 Instance Launch Unsuccessful", f"launch failed otherwise: {message}"
        )
    where = detail.get("Details") if isinstance(detail.get("Details"), Mapping) else {}
    subnet = _text(where.get("Subnet ID"))
    subnets = [subnet] if subnet and SUBNET_ID_PATTERN.match(subnet) else _subnets_in(message)
    details = {"auto_scaling_group": group}
    nodegroup = EKS_NODEGROUP_ASG.match(group)
    if nodegroup:
        details["eks_nodegroup"] = nodegroup.group("nodegroup")
    return _per_subnet(
        context,
        subnets,
        signal=Signal.ASG_LAUNCH_FAILED,
        code=INSUFFICIENT_ADDRESSES,
        reason=message,
        workload=Workload(KIND_AUTO_SCALING_GROUP, "", group),
        availability_zone=_text(where.get("Availability Zone")),
        details=details,
    )


def _eks_health(context: _Context, detail: Mapping[str, Any], event: Mapping[str, Any]) -> Parsed:
    """The scan's ``EKS Health Issue`` event (:func:`health_events`): an EKS ``Issue`` with its cluster
    and node group. https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html"""
    code = _required_text(detail, "code")
    if code != EKS_INSUFFICIENT_FREE_ADDRESSES:
        return context.ignored(EVENT_SOURCE, EKS_HEALTH_DETAIL_TYPE, f"health issue {code}")
    cluster = _required_text(detail, "clusterName")
    nodegroup = _text(detail.get("nodegroupName"))
    resource_ids = detail.get("resourceIds", [])
    if not isinstance(resource_ids, list):
        raise _MalformedError("resourceIds is not a list")
    subnets = [r for r in resource_ids if isinstance(r, str) and SUBNET_ID_PATTERN.match(r)]
    return _per_subnet(
        context,
        subnets,
        signal=Signal.EKS_NODEGROUP_HEALTH if nodegroup else Signal.EKS_CLUSTER_HEALTH,
        code=code,
        reason=_text(detail.get("message")) or code,
        workload=Workload(KIND_EKS_NODEGROUP, cluster, nodegroup)
        if nodegroup
        else Workload(KIND_EKS_CLUSTER, cluster, cluster),
        availability_zone=None,
        details={},
    )


def _api_call(context: _Context, detail: Mapping[str, Any], event: Mapping[str, Any]) -> Parsed:
    """AWS API Call via CloudTrail: a failed EC2 call; ``requestParameters`` name the subnet
    (CreateNetworkInterface, RunInstances) or only the network interface (AssignPrivateIpAddresses).
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    """
    call = _required_text(detail, "eventName")
    error_code = (_text(detail.get("errorCode")) or "").removeprefix("Client.")
    error_message = _text(detail.get("errorMessage")) or ""
    code = _exhaustion_code(f"{error_code} {error_message}")
    if not code:
        return context.ignored("aws.ec2", "AWS API Call via CloudTrail", f"{call} failed otherwise: {error_code}")
    request = detail.get("requestParameters") if isinstance(detail.get("requestParameters"), Mapping) else {}
    subnets = _request_subnets(request)
    identity = detail.get("userIdentity") if isinstance(detail.get("userIdentity"), Mapping) else {}
    caller = _caller(identity)
    details = {"call": call, "caller_arn": _text(identity.get("arn")) or caller}
    interface = _text(request.get("networkInterfaceId"))
    if interface:
        details["network_interface_id"] = interface
    return _per_subnet(
        context,
        subnets,
        signal=Signal.API_CALL_FAILED,
        code=code,
        reason=f"{call}: {_text(detail.get('errorCode'))}: {error_message}".rstrip(": "),
        workload=Workload(KIND_API_CALLER, "", caller),
        availability_zone=None,
        details=details,
    )


_READERS = {
    ("aws.ecs", "ECS Task State Change"): _ecs_task,
    ("aws.ecs", "ECS Service Action"): _ecs_service,
    ("aws.autoscaling", "EC2 Instance Launch Unsuccessful"): _asg_launch,
    (EVENT_SOURCE, EKS_HEALTH_DETAIL_TYPE): _eks_health,
    ("aws.ec2", "AWS API Call via CloudTrail"): _api_call,
}


def _per_subnet(context: _Context, subnets: Sequence[str], *, signal: Signal, **fields: Any) -> Parsed:
    """One failure per subnet the event names, or one without a subnet when it names none."""
    return Parsed(
        failures=[context.failure(signal, subnet_id=subnet, **fields) for subnet in dict.fromkeys(subnets) or [None]]
    )


def _exhaustion_code(text: str) -> str | None:
    """The EC2 error code a reason text means, when it means "no address left"."""
    if INSUFFICIENT_CIDR_BLOCKS in text:
        return INSUFFICIENT_CIDR_BLOCKS
    if any(marker in text for marker in EXHAUSTION_MARKERS):
        return INSUFFICIENT_ADDRESSES
    return None


def _subnets_in(text: str) -> list[str]:
    return [match.group(1) for match in SUBNET_IN_TEXT.finditer(text)]


def _attachment_subnets(attachments: Any) -> list[str]:
    """``subnetId`` of the task's ENI attachment(s)."""
    found = []
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, Mapping) or attachment.get("type") not in ("eni", "ElasticNetworkInterface"):
            continue
        for item in attachment.get("details") or []:
            value = item.get("value") if isinstance(item, Mapping) and item.get("name") == "subnetId" else None
            if isinstance(value, str) and SUBNET_ID_PATTERN.match(value):
                found.append(value)
    return found


def _request_subnets(request: Mapping[str, Any]) -> list[str]:
    """``subnetId`` of CreateNetworkInterface and RunInstances, and RunInstances'
    ``networkInterfaceSet.items[].subnetId``."""
    found = [request["subnetId"]] if isinstance(request.get("subnetId"), str) else []
    interfaces = request.get("networkInterfaceSet")
    items = interfaces.get("items") if isinstance(interfaces, Mapping) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("subnetId"), str):
            found.append(item["subnetId"])
    return [subnet for subnet in found if SUBNET_ID_PATTERN.match(subnet)]


def _caller(identity: Mapping[str, Any]) -> str:
    """Who made the call: the role behind an assumed-role session, else the service or the ARN."""
    session = identity.get("sessionContext")
    issuer = session.get("sessionIssuer") if isinstance(session, Mapping) else None
    name = _text(issuer.get("userName")) if isinstance(issuer, Mapping) else None
    return name or _text(identity.get("invokedBy")) or _text(identity.get("arn")) or "unknown caller"


def _arn_name(arn: str, marker: str) -> str:
    if marker not in arn:
        raise _MalformedError(f"{arn!r} is not an ARN with {marker}")
    return arn.split(marker, 1)[1].split("/", maxsplit=1)[0]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _required_text(detail: Mapping[str, Any], key: str) -> str:
    value = _text(detail.get(key))
    if value is None:
        raise _MalformedError(f"detail.{key} is missing or not a string")
    return value
