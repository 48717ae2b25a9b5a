"""The deployed monitor never deletes: no statement of any synthesized template allows
``ec2:DeleteNetworkInterface`` (``reclaim-enis --apply`` runs with the operator's own credentials;
its policy is examples/reclaim-enis-policy.json)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import pytest

from infra import PROJECT_ROOT
from tests.infra.support import build
from tests.infra.test_notifications import BLOCK as NOTIFICATIONS_BLOCK
from tests.infra.test_stack import FULL_BLOCK

ENI_DELETE = "ec2:DeleteNetworkInterface"
# The AWS managed policies the stacks may attach, each checked to grant no EC2 write: a new one must
# be read and added here. https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchReadOnlyAccess.html
READ_ONLY_MANAGED_POLICIES = {"CloudWatchReadOnlyAccess"}
MANAGED_POLICY_KEYS = ("ManagedPolicyArns", "GuardrailPolicies")


@pytest.fixture(scope="module")
def templates() -> list[dict[str, Any]]:
    """Every stack of the app with every option on (two environments, Slack, Teams and paging), and of the
    default app."""
    built = [build({**FULL_BLOCK, **NOTIFICATIONS_BLOCK}), build(None)]
    return [b.template(i).to_json() for b in built for i in range(len(b.stacks))]


def statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every policy statement anywhere in a template: role policies, resource policies, inline documents."""
    if isinstance(node, dict):
        if "Effect" in node and ("Action" in node or "NotAction" in node):
            yield node
        for value in node.values():
            yield from statements(value)
    elif isinstance(node, list):
        for item in node:
            yield from statements(item)


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def allows(statement: dict[str, Any], action: str) -> bool:
    """The statement allows ``action``: an Allow whose Action matches it (IAM wildcards, any case), or
    whose NotAction does not exclude it."""
    if statement["Effect"] != "Allow":
        return False
    if "Action" in statement:
        return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in _listed(statement["Action"]))
    return not any(fnmatchcase(action.lower(), pattern.lower()) for pattern in _listed(statement["NotAction"]))


def test_the_matcher_sees_wildcards_and_not_action() -> None:
    assert allows({"Effect": "Allow", "Action": "ec2:Delete*"}, ENI_DELETE)
    assert allows({"Effect": "Allow", "Action": ["s3:GetObject", "*"]}, ENI_DELETE)
    assert allows({"Effect": "Allow", "NotAction": "s3:*"}, ENI_DELETE)
    assert not allows({"Effect": "Allow", "Action": "ec2:Describe*"}, ENI_DELETE)
    assert not allows({"Effect": "Deny", "Action": "*"}, ENI_DELETE)


def test_no_statement_allows_deleting_a_network_interface(templates: list[dict[str, Any]]) -> None:
    found = [s for template in templates for s in statements(template)]
    assert len(found) > 10  # the walk reaches the roles' and the resource policies' statements
    assert [s for s in found if allows(s, ENI_DELETE)] == []


def test_only_read_only_aws_managed_policies_are_attached(templates: list[dict[str, Any]]) -> None:
    attached = set()
    for template in templates:
        for resource in template["Resources"].values():
            for key in MANAGED_POLICY_KEYS:
                # An ARN is a string or an Fn::Join of the partition and ":iam::aws:policy/<name>".
                arns = json.dumps(resource.get("Properties", {}).get(key, []))
                attached.update(re.findall(r"policy/([\w+=,.@-]+)", arns))
    assert attached == READ_ONLY_MANAGED_POLICIES  # the Slack and Teams channels' guardrail is found


def test_the_operators_policy_deletes_only_network_interfaces_the_vpc_cni_tagged() -> None:
    """examples/reclaim-enis-policy.json: reading is all it allows besides the delete, and the delete
    needs the CNI's node and creation tags and the cluster's tag on the ENI."""
    policy = json.loads((PROJECT_ROOT / "examples" / "reclaim-enis-policy.json").read_text())
    allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    deleting = [s for s in allowed if allows(s, ENI_DELETE)]
    assert [s["Sid"] for s in deleting] == ["DeleteOnlyTheVpcCnisNetworkInterfacesOfOneCluster"]
    [delete] = deleting
    assert _listed(delete["Action"]) == [ENI_DELETE]
    assert delete["Resource"] == "arn:aws:ec2:*:*:network-interface/*"
    assert delete["Condition"]["Null"] == {
        "aws:ResourceTag/node.k8s.amazonaws.com/instance_id": "false",
        "aws:ResourceTag/node.k8s.amazonaws.com/createdAt": "false",
    }
    assert "aws:ResourceTag/cluster.k8s.amazonaws.com/name" in delete["Condition"]["StringEquals"]
    others = [a for s in allowed if s is not delete for a in _listed(s["Action"])]
    assert others == ["ec2:DescribeNetworkInterfaces"]
