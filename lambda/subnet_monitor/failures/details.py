"""What the ``detail`` of each failure signal says, read with small pydantic models.

One model per detail shape this function reads, with only the fields it uses. Lenient where AWS is:
fields AWS adds are ignored, an optional field of the wrong type reads as absent, a list or object of
the wrong type reads as empty. Strict only where the signal cannot be read without the field (a
:data:`Required` text): the model then fails validation, and the event ends as an unparsed record
(:func:`subnet_monitor.failures.events.parse_event`). A field needed only once the event is known to be
an address failure is checked then (:func:`_needed`), so a near miss stays ignored, as it always was.

Each model's :meth:`observe` says what the event reports: an :class:`Observed` failure, or why it is a
near miss (a ``str``). It raises :class:`MalformedError` for the few checks a field type cannot carry.
Pure: no AWS imports, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel, to_pascal

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
ENI_ATTACHMENT_TYPES = ("eni", "ElasticNetworkInterface")


class Signal(StrEnum):
    """Which kind of failure was observed."""

    ECS_TASK_STOPPED = "ecs-task-stopped"
    ECS_PLACEMENT_ENI = "ecs-placement-eni"
    ASG_LAUNCH_FAILED = "asg-launch-failed"
    EKS_NODEGROUP_HEALTH = "eks-nodegroup-health"
    EKS_CLUSTER_HEALTH = "eks-cluster-health"
    API_CALL_FAILED = "api-call-failed"


class MalformedError(ValueError):
    """A field the signal needs is missing or of the wrong type."""


@dataclass(frozen=True)
class Observed:
    """One failure as a detail reports it, before it is attributed to each subnet it names."""

    signal: Signal
    code: str
    reason: str
    workload: Workload
    subnets: list[str]
    availability_zone: str | None = None
    details: dict[str, str] = field(default_factory=dict)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _objects(value: Any) -> list[Any]:
    return [item for item in _list(value) if isinstance(item, Mapping)]


def _object(value: Any) -> Any:
    return value if isinstance(value, Mapping) else {}


# An optional text: absent when missing, empty or not a string.
Text = Annotated[str | None, BeforeValidator(_text)]
# A text the signal cannot be read without: the model fails validation when it is missing or empty.
Required = Annotated[str, StringConstraints(strict=True, min_length=1)]


class _Shape(BaseModel):
    # Fields are named as the event spells them (camelCase); AWS adds fields: ignore what is not read.
    model_config = ConfigDict(alias_generator=to_camel, extra="ignore", frozen=True)


class _NameValue(_Shape):
    name: Text = None
    value: Text = None


class _Attachment(_Shape):
    type: Text = None
    details: Annotated[list[_NameValue], BeforeValidator(_objects)] = []


class EcsTaskStateChange(_Shape):
    """ECS Task State Change: ``stoppedReason`` names the error and usually the subnet; the task's ENI
    attachment names the subnet too. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
    """

    SOURCE: ClassVar[str] = "aws.ecs"
    DETAIL_TYPE: ClassVar[str] = "ECS Task State Change"

    stopped_reason: Required
    cluster_arn: Text = None
    last_status: Text = None
    group: Text = None
    task_arn: Text = None
    stop_code: Text = None
    launch_type: Text = None
    availability_zone: Text = None
    attachments: Annotated[list[_Attachment], BeforeValidator(_objects)] = []

    def observe(self, resources: list[Any]) -> Observed | str:
        code = _exhaustion_code(self.stopped_reason)
        if self.last_status != "STOPPED" or not code:
            return f"task not stopped for lack of addresses: {self.stopped_reason}"
        cluster = _arn_name(_needed(self.cluster_arn, "clusterArn"), "cluster/")
        group = self.group or ""
        if group.startswith(ECS_SERVICE_GROUP_PREFIX):
            workload = Workload(KIND_ECS_SERVICE, cluster, group.removeprefix(ECS_SERVICE_GROUP_PREFIX))
        else:
            workload = Workload(KIND_ECS_TASK, cluster, group or "standalone")
        details = {"task_arn": self.task_arn, "stop_code": self.stop_code, "launch_type": self.launch_type}
        return Observed(
            signal=Signal.ECS_TASK_STOPPED,
            code=code,
            reason=self.stopped_reason,
            workload=workload,
            subnets=_subnets_in(self.stopped_reason) or self._attachment_subnets(),
            availability_zone=self.availability_zone,
            details={key: value for key, value in details.items() if value},
        )

    def _attachment_subnets(self) -> list[str]:
        """``subnetId`` of the task's ENI attachment(s)."""
        return [
            item.value
            for attachment in self.attachments
            if attachment.type in ENI_ATTACHMENT_TYPES
            for item in attachment.details
            if item.name == "subnetId" and item.value and SUBNET_ID_PATTERN.match(item.value)
        ]


class EcsServiceAction(_Shape):
    """ECS Service Action ``SERVICE_TASK_PLACEMENT_FAILURE`` with reason ``RESOURCE:ENI``: no container
    instance had an ENI attachment left. It names container instances, never a subnet; the event's
    ``resources`` name the service. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html
    """

    SOURCE: ClassVar[str] = "aws.ecs"
    DETAIL_TYPE: ClassVar[str] = "ECS Service Action"

    cluster_arn: Text = None
    event_name: Text = None
    reason: Text = None
    container_instance_arns: Annotated[list[Any], BeforeValidator(_list)] = []

    def observe(self, resources: list[Any]) -> Observed | str:
        if self.event_name != ECS_PLACEMENT_FAILURE or self.reason != ECS_PLACEMENT_ENI_REASON:
            return f"not an ENI placement failure: {self.event_name} {self.reason}"
        cluster = _arn_name(_needed(self.cluster_arn, "clusterArn"), "cluster/")
        service_arn = resources[0] if resources and isinstance(resources[0], str) else ""
        if ":service/" not in service_arn:
            raise MalformedError("resources does not name the service")
        details = {"service_arn": service_arn}
        if self.container_instance_arns:
            details["container_instances"] = str(len(self.container_instance_arns))
        return Observed(
            signal=Signal.ECS_PLACEMENT_ENI,
            code=ECS_PLACEMENT_ENI_REASON,
            reason=f"service could not place a task: {ECS_PLACEMENT_ENI_REASON} (no container instance had a free ENI)",
            workload=Workload(KIND_ECS_SERVICE, cluster, service_arn.rsplit("/", 1)[-1]),
            subnets=[],
            details=details,
        )


class _LaunchPlace(_Shape):
    subnet_id: Text = Field(None, alias="Subnet ID")
    availability_zone: Text = Field(None, alias="Availability Zone")


class Ec2InstanceLaunchUnsuccessful(_Shape):
    """EC2 Instance Launch Unsuccessful: ``StatusMessage`` says why, ``Details`` names the subnet and AZ.
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html
    """

    SOURCE: ClassVar[str] = "aws.autoscaling"
    DETAIL_TYPE: ClassVar[str] = "EC2 Instance Launch Unsuccessful"
    # Auto Scaling spells its detail in PascalCase.
    model_config = ConfigDict(alias_generator=to_pascal)

    status_message: Required
    auto_scaling_group_name: Required
    details: Annotated[_LaunchPlace, BeforeValidator(_object)] = _LaunchPlace()

    def observe(self, resources: list[Any]) -> Observed | str:
        if not _exhaustion_code(self.status_message):
            return f"launch failed otherwise: {self.status_message}"
        subnet = self.details.subnet_id
        group = self.auto_scaling_group_name
        details = {"auto_scaling_group": group}
        nodegroup = EKS_NODEGROUP_ASG.match(group)
        if nodegroup:
            details["eks_nodegroup"] = nodegroup.group("nodegroup")
        return Observed(
            signal=Signal.ASG_LAUNCH_FAILED,
            code=INSUFFICIENT_ADDRESSES,
            reason=self.status_message,
            workload=Workload(KIND_AUTO_SCALING_GROUP, "", group),
            subnets=[subnet] if subnet and SUBNET_ID_PATTERN.match(subnet) else _subnets_in(self.status_message),
            availability_zone=self.details.availability_zone,
            details=details,
        )


class EksHealthIssue(_Shape):
    """The scan's ``EKS Health Issue`` event (:func:`subnet_monitor.failures.health.health_events`): an
    EKS ``Issue`` with its cluster and node group. https://docs.aws.amazon.com/eks/latest/APIReference/API_Issue.html
    """

    SOURCE: ClassVar[str] = EVENT_SOURCE
    DETAIL_TYPE: ClassVar[str] = EKS_HEALTH_DETAIL_TYPE

    code: Required
    cluster_name: Text = None
    nodegroup_name: Text = None
    message: Text = None
    # Our own event: a resourceIds that is not a list is a bug to see, not a field to skip.
    resource_ids: Any = []

    def observe(self, resources: list[Any]) -> Observed | str:
        if self.code != EKS_INSUFFICIENT_FREE_ADDRESSES:
            return f"health issue {self.code}"
        cluster, nodegroup = _needed(self.cluster_name, "clusterName"), self.nodegroup_name
        if not isinstance(self.resource_ids, list):
            raise MalformedError("resourceIds is not a list")
        return Observed(
            signal=Signal.EKS_NODEGROUP_HEALTH if nodegroup else Signal.EKS_CLUSTER_HEALTH,
            code=self.code,
            reason=self.message or self.code,
            workload=Workload(KIND_EKS_NODEGROUP, cluster, nodegroup)
            if nodegroup
            else Workload(KIND_EKS_CLUSTER, cluster, cluster),
            subnets=[r for r in self.resource_ids if isinstance(r, str) and SUBNET_ID_PATTERN.match(r)],
        )


class _InterfaceSpec(_Shape):
    subnet_id: Text = None


class _InterfaceSet(_Shape):
    items: Annotated[list[_InterfaceSpec], BeforeValidator(_objects)] = []


class _Request(_Shape):
    subnet_id: Text = None
    network_interface_id: Text = None
    network_interface_set: Annotated[_InterfaceSet, BeforeValidator(_object)] = _InterfaceSet()


class _SessionIssuer(_Shape):
    user_name: Text = None


class _SessionContext(_Shape):
    session_issuer: Annotated[_SessionIssuer, BeforeValidator(_object)] = _SessionIssuer()


class _UserIdentity(_Shape):
    arn: Text = None
    invoked_by: Text = None
    session_context: Annotated[_SessionContext, BeforeValidator(_object)] = _SessionContext()


class AwsApiCallViaCloudTrail(_Shape):
    """AWS API Call via CloudTrail: a failed EC2 call; ``requestParameters`` name the subnet
    (CreateNetworkInterface, RunInstances) or only the network interface (AssignPrivateIpAddresses).
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    """

    SOURCE: ClassVar[str] = "aws.ec2"
    DETAIL_TYPE: ClassVar[str] = "AWS API Call via CloudTrail"

    event_name: Required
    error_code: Text = None
    error_message: Text = None
    request_parameters: Annotated[_Request, BeforeValidator(_object)] = _Request()
    user_identity: Annotated[_UserIdentity, BeforeValidator(_object)] = _UserIdentity()

    def observe(self, resources: list[Any]) -> Observed | str:
        # EC2 writes client errors as Client.<Code>.
        error_code = (self.error_code or "").removeprefix("Client.")
        error_message = self.error_message or ""
        code = _exhaustion_code(f"{error_code} {error_message}")
        if not code:
            return f"{self.event_name} failed otherwise: {error_code}"
        request, identity = self.request_parameters, self.user_identity
        # Who made the call: the role behind an assumed-role session, else the service or the ARN.
        issuer = identity.session_context.session_issuer
        caller = issuer.user_name or identity.invoked_by or identity.arn or "unknown caller"
        details = {"call": self.event_name, "caller_arn": identity.arn or caller}
        if request.network_interface_id:
            details["network_interface_id"] = request.network_interface_id
        # RunInstances may name its subnets per interface only.
        subnets = [request.subnet_id, *(item.subnet_id for item in request.network_interface_set.items)]
        return Observed(
            signal=Signal.API_CALL_FAILED,
            code=code,
            reason=f"{self.event_name}: {self.error_code}: {error_message}".rstrip(": "),
            workload=Workload(KIND_API_CALLER, "", caller),
            subnets=[subnet for subnet in subnets if subnet and SUBNET_ID_PATTERN.match(subnet)],
            details=details,
        )


Detail = (
    EcsTaskStateChange | EcsServiceAction | Ec2InstanceLaunchUnsuccessful | EksHealthIssue | AwsApiCallViaCloudTrail
)
# The detail model of each (source, detail-type) this function reads.
DETAILS: dict[tuple[str, str], type[Detail]] = {
    (model.SOURCE, model.DETAIL_TYPE): model
    for model in (
        EcsTaskStateChange,
        EcsServiceAction,
        Ec2InstanceLaunchUnsuccessful,
        EksHealthIssue,
        AwsApiCallViaCloudTrail,
    )
}


def _exhaustion_code(text: str) -> str | None:
    """The EC2 error code a reason text means, when it means "no address left"."""
    if INSUFFICIENT_CIDR_BLOCKS in text:
        return INSUFFICIENT_CIDR_BLOCKS
    if any(marker in text for marker in EXHAUSTION_MARKERS):
        return INSUFFICIENT_ADDRESSES
    return None


def _subnets_in(text: str) -> list[str]:
    return [match.group(1) for match in SUBNET_IN_TEXT.finditer(text)]


def _needed(value: str | None, name: str) -> str:
    if value is None:
        raise MalformedError(f"detail.{name} is missing or not a string")
    return value


def _arn_name(arn: str, marker: str) -> str:
    if marker not in arn:
        raise MalformedError(f"{arn!r} is not an ARN with {marker}")
    return arn.split(marker, 1)[1].split("/", maxsplit=1)[0]
