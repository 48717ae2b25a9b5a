"""The EventBridge event patterns of the failure signals: the one definition the stack's rules, the
parser, the tests and the demo all use. Pure data.

Each pattern is as narrow as the event allows: a source, a detail-type and the field that says the
failure was about addresses. What a pattern cannot say (e.g. which subnet), the parser reads from
the event (:mod:`subnet_monitor.failures.events`). Syntax used: plain values, ``prefix`` and ``wildcard``
(https://docs.aws.amazon.com/eventbridge/latest/ref/eb-event-patterns-content-based-filtering.html).
"""

from __future__ import annotations

from typing import Any

from subnet_monitor.core.models import EKS_INSUFFICIENT_FREE_ADDRESSES

# The scan turns EKS health issues (EKS sends no event for them) into custom events of this source;
# a custom source may be anything that does not start with "aws.".
EVENT_SOURCE = "subnet-monitor"
EKS_HEALTH_DETAIL_TYPE = "EKS Health Issue"

# EC2's error codes for "no address left": the subnet has no free address, or (prefix delegation)
# no free aligned /28. CloudTrail writes EC2 client errors with a "Client." prefix.
INSUFFICIENT_ADDRESSES = "InsufficientFreeAddressesInSubnet"
INSUFFICIENT_CIDR_BLOCKS = "InsufficientCidrBlocks"
# AssignPrivateIpAddresses/CreateNetworkInterface may also answer InvalidParameterValue with this
# message when the subnet cannot give the addresses asked for (AWS support, quoted in
# https://github.com/cilium/cilium/pull/31016).
NOT_SUFFICIENT_ADDRESSES_MESSAGE = "There aren't sufficient free Ipv4 addresses or prefixes"
# Auto Scaling's StatusMessage for a launch the subnet had no address for (real event quoted in
# https://github.com/PrairieLearn/PrairieLearn/issues/3271), and EC2's own message for the error code.
ASG_NO_ADDRESS_MESSAGES = (
    "There are not enough free addresses in subnet",
    "The specified subnet does not have enough free addresses",
)
# ECS Service Action: the scheduler found no container instance with a free ENI attachment for an
# awsvpc task. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html
ECS_PLACEMENT_ENI_REASON = "RESOURCE:ENI"
ECS_PLACEMENT_FAILURE = "SERVICE_TASK_PLACEMENT_FAILURE"

# Rule name -> pattern. The names become construct IDs and the table in docs/failures.md.
ECS_TASK_STOPPED: dict[str, Any] = {
    "source": ["aws.ecs"],
    "detail-type": ["ECS Task State Change"],
    # Only the final STOPPED change: a stopping task also reports DEPROVISIONING with the same reason.
    "detail": {"lastStatus": ["STOPPED"], "stoppedReason": [{"wildcard": f"*{INSUFFICIENT_ADDRESSES}*"}]},
}
ECS_PLACEMENT_ENI: dict[str, Any] = {
    "source": ["aws.ecs"],
    "detail-type": ["ECS Service Action"],
    "detail": {"eventName": [ECS_PLACEMENT_FAILURE], "reason": [ECS_PLACEMENT_ENI_REASON]},
}
ASG_LAUNCH_UNSUCCESSFUL: dict[str, Any] = {
    "source": ["aws.autoscaling"],
    "detail-type": ["EC2 Instance Launch Unsuccessful"],
    "detail": {"StatusMessage": [{"prefix": message} for message in ASG_NO_ADDRESS_MESSAGES]},
}
EKS_HEALTH: dict[str, Any] = {
    "source": [EVENT_SOURCE],
    "detail-type": [EKS_HEALTH_DETAIL_TYPE],
    "detail": {"code": [EKS_INSUFFICIENT_FREE_ADDRESSES]},
}
CLOUDTRAIL_CALLS = ("CreateNetworkInterface", "AssignPrivateIpAddresses", "RunInstances")
CLOUDTRAIL_ERROR_CODE: dict[str, Any] = {
    "source": ["aws.ec2"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["ec2.amazonaws.com"],
        "eventName": list(CLOUDTRAIL_CALLS),
        "errorCode": [
            f"{prefix}{code}"
            for code in (INSUFFICIENT_ADDRESSES, INSUFFICIENT_CIDR_BLOCKS)
            for prefix in ("Client.", "")
        ],
    },
}
CLOUDTRAIL_ERROR_MESSAGE: dict[str, Any] = {
    "source": ["aws.ec2"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["ec2.amazonaws.com"],
        "eventName": list(CLOUDTRAIL_CALLS),
        "errorCode": ["Client.InvalidParameterValue", "InvalidParameterValue"],
        "errorMessage": [{"prefix": NOT_SUFFICIENT_ADDRESSES_MESSAGE}],
    },
}

# The rules every stack has, and the ones ``cloudTrailFailures`` adds (they need a CloudTrail trail).
DEFAULT_PATTERNS: dict[str, dict[str, Any]] = {
    "EcsTaskStopped": ECS_TASK_STOPPED,
    "EcsPlacementEni": ECS_PLACEMENT_ENI,
    "AsgLaunchUnsuccessful": ASG_LAUNCH_UNSUCCESSFUL,
    "EksHealth": EKS_HEALTH,
}
CLOUDTRAIL_PATTERNS: dict[str, dict[str, Any]] = {
    "CloudTrailErrorCode": CLOUDTRAIL_ERROR_CODE,
    "CloudTrailErrorMessage": CLOUDTRAIL_ERROR_MESSAGE,
}
