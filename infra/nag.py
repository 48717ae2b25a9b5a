"""cdk-nag (AwsSolutions) acknowledgements: every finding the stack accepts, with its reason.

cdk-nag v3 reports one finding per wildcard resource (``AwsSolutions-IAM5[Resource::…]``) and
accepts it through ``Validations.of(construct).acknowledge``. Each construct acknowledges its own
findings, next to the grant that causes them (:func:`acknowledge`); this module imports nothing of
the stack. The finding IDs name resources the
way cdk-nag renders CloudFormation values (``{"Ref": "AWS::Partition"}`` as ``<AWS::Partition>``),
which :func:`nag_rendering` reproduces, so the IDs follow the account and region of each stack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

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


def acknowledge(items: Iterable[Acknowledgement]) -> list[Acknowledgement]:
    """Accept each finding on its construct; returns the items, for the construct to keep."""
    found = list(items)
    for item in found:
        Validations.of(item.construct).acknowledge(Acknowledgment(id=f"{PLUGIN}::{item.rule}", reason=item.reason))
    return found


def acknowledgements(scope: IConstruct) -> list[Acknowledgement]:
    """Every finding accepted under ``scope``: each construct keeps its own in ``acknowledgements``."""
    return [item for construct in scope.node.find_all() for item in getattr(construct, "acknowledgements", ())]
