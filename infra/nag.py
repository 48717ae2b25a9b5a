"""cdk-nag (AwsSolutions) acknowledgements: every finding the stack accepts, with its reason.

cdk-nag v3 reports one finding per wildcard resource (``AwsSolutions-IAM5[Resource::…]``) and
accepts it through ``Validations.of(construct).acknowledge``. The finding IDs name resources the
way cdk-nag renders CloudFormation values (``{"Ref": "AWS::Partition"}`` as ``<AWS::Partition>``),
which :func:`nag_rendering` reproduces, so the IDs follow the account and region of each stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

if TYPE_CHECKING:
    from infra.stack import SubnetMonitorStack

# Validation rule IDs are "<plugin>::<rule>"; the plugin is the AwsSolutions pack.
PLUGIN = "AwsSolutions"
WILDCARD_RESOURCE = "AwsSolutions-IAM5[Resource::*]"
NOT_A_DLQ = "AwsSolutions-SQS3"


@dataclass(frozen=True)
class Acknowledgement:
    construct: IConstruct
    rule: str
    reason: str


def nag_rendering(stack: Stack, value: str) -> str:
    """Render a (possibly tokenised) string the way cdk-nag prints it in a finding ID."""
    return _render(stack.resolve(value))


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as cdk-nag does")


def acknowledgements(stack: SubnetMonitorStack) -> list[Acknowledgement]:
    """Every finding the stack accepts; :func:`acknowledge_findings` registers them."""
    role = stack.collector.role
    unscoped = "; ".join(f"{action}: {why}" for action, why in stack.collector.unscoped_actions.items())
    found = [
        Acknowledgement(
            role,
            WILDCARD_RESOURCE,
            "Resource '*' because IAM accepts no narrower resource for these actions (the Service "
            "Authorization Reference lists no resource type for them); the ECS listings and the one write "
            f"are narrowed by conditions instead: {unscoped}.",
        )
    ]
    for arn, actions in stack.collector.arn_scoped_actions:
        rendered = nag_rendering(stack, arn)
        found.append(
            Acknowledgement(
                role,
                f"AwsSolutions-IAM5[Resource::{rendered}]",
                f"{', '.join(actions)} on {rendered}: read-only calls on resources of this account and "
                "region that the collector discovers at scan time (clusters, and the services, tasks, "
                "container instances, capacity providers, node groups and Fargate profiles inside them), "
                "so no name is known at synth.",
            )
        )
    found.append(
        Acknowledgement(
            stack.schedule.dead_letter_queue,
            NOT_A_DLQ,
            "This queue is the dead-letter queue of the EventBridge Scheduler target (Target.DeadLetterConfig); "
            "cdk-nag only recognises queues named in another queue's RedrivePolicy. A DLQ for the DLQ would "
            "never receive anything.",
        )
    )
    found.extend(stack.failures.acknowledgements)
    return found


def acknowledge_findings(stack: SubnetMonitorStack) -> None:
    for item in acknowledgements(stack):
        Validations.of(item.construct).acknowledge(Acknowledgment(id=f"{PLUGIN}::{item.rule}", reason=item.reason))
