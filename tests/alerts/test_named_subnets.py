"""The collector names the subnets at risk in one notification per scan with something to say, end to end:
the real handler on moto, the stack's table and topic, the notification read from a queue subscribed to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from fixtures.estate import moto_client_factory
from fixtures.failure_stack import LocalFailureStack
from subnet_monitor.aws.risk import RISK_KEY_PREFIX
from subnet_monitor.core.config import ENV_FAILURE_DEDUP_TABLE, ENV_FAILURE_TOPIC_ARN, ScanConfig
from subnet_monitor.failures.patterns import DEFAULT_PATTERNS
from subnet_monitor.handlers import scan as scan_handler
from tests.conftest import Invocation, Invoke
from tests.moto_estate import REGION, Vpc

SIGNAL = "subnet-status"


@pytest.fixture
def stack(aws: boto3.Session) -> LocalFailureStack:
    return LocalFailureStack.create(moto_client_factory(None, region=REGION), DEFAULT_PATTERNS)


@pytest.fixture
def scan(stack: LocalFailureStack, invoke: Invoke) -> Callable[..., tuple[Invocation, list[dict[str, Any]]]]:
    """A scheduled scan with the collector's environment as the stack renders it; what it named."""
    scan_handler._records.cache_clear()
    scan_handler._notifier.cache_clear()

    def run(config: ScanConfig | None = None) -> tuple[Invocation, list[dict[str, Any]]]:
        env = {
            **(config or ScanConfig()).to_env(),
            ENV_FAILURE_DEDUP_TABLE: stack.table_name,
            ENV_FAILURE_TOPIC_ARN: stack.topic_arn,
        }
        result = invoke(env=env)
        return result, [n for n in stack.notifications() if n["attributes"].get("signal") == SIGNAL]

    return run


def free(vpc: Vpc, subnet_id: str) -> None:
    """Delete every ENI in the subnet: its addresses are free again."""
    enis = vpc.ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])
    for eni in enis["NetworkInterfaces"]:
        vpc.ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])


@pytest.fixture
def estate(vpc: Vpc) -> dict[str, str]:
    """A service over a 92 % full /26 (CRITICAL) and a roomy /24 (OK)."""
    full = vpc.subnet(prefix=26, tags={"Name": "prod-tasks-a"})
    roomy = vpc.subnet(tags={"Name": "prod-tasks-b"})
    vpc.consume(full, 54)  # 59 usable, 5 left
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "checkout", [full, roomy])
    return {"full": full, "roomy": roomy}


def test_a_subnet_is_named_when_it_becomes_at_risk_changes_or_recovers_and_not_in_between(
    scan, vpc: Vpc, estate: dict[str, str]
) -> None:
    full, roomy = estate["full"], estate["roomy"]

    # WHEN the first scan finds a CRITICAL subnet
    first, named = scan()
    # THEN one notification names it, with where it is, its figures, why, and what uses it
    [notice] = named
    assert notice["subject"] == "Subnets at risk: 1 CRITICAL (123456789012 us-east-1)"
    # (a queue gets the "default" text: the e-mail's; the chat message is tested in tests/alerts/test_message.py)
    text = notice["message"]
    assert f"CRITICAL (new)  {full} (prod-tasks-a), us-east-1a, {vpc.vpc_id}" in text
    assert "5 of 59 addresses free (91.53 % used)" in text
    assert "  - 91.53% used, at or above criticalPercent (90%)" in text
    assert "  Used by: ecs-service payments/checkout" in text
    assert roomy not in text
    assert first.summary["subnets_named"] == 1

    # WHEN the next scan finds the same THEN nothing is named
    second, named = scan()
    assert (named, second.summary["subnets_named"]) == ([], 0)

    # WHEN the roomy subnet fills to WARNING (80 % or more) and the full one is freed
    vpc.consume(roomy, 205)  # 251 usable, 46 left: 81.67 % used
    free(vpc, full)
    third, named = scan()
    # THEN one notification names both changes, the one at risk first
    [notice] = named
    assert notice["subject"] == "Subnets at risk: 1 WARNING; 1 back to OK (123456789012 us-east-1)"
    text = notice["message"]
    assert text.index(f"WARNING (new)  {roomy}") < text.index(f"OK (back to OK)  {full}")
    assert third.health()["SubnetsAtRisk"] == [1.0]


def test_the_record_lives_under_the_collectors_own_keys(aws: boto3.Session, scan, stack, estate) -> None:
    scan()
    # (the table's other items: the EKS health episodes' scan counter, the forecast's history)
    items = [
        i for i in aws.client("dynamodb").scan(TableName=stack.table_name)["Items"] if i["pk"]["S"].startswith("risk#")
    ]
    # one item for the shard of the one subnet named, holding it
    [item] = items
    assert item["pk"]["S"] == f"{RISK_KEY_PREFIX}{estate['full'][-1]}"
    assert estate["full"] in item["subnets"]["S"]
    # AND it expires after the records' retention (TTL), as the table's other items do
    assert "expires_at" in item


def test_a_notification_that_could_not_be_sent_is_sent_by_the_next_scan(scan, estate) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "denied"}}, "Publish")

    # GIVEN SNS refuses the first scan's notification
    notifier = scan_handler._notifier
    scan_handler._notifier.cache_clear()
    sns = boto3.client("sns", region_name=REGION)
    sns.meta.events.register("before-call.sns.Publish", refuse)
    scan_handler._notifier = lambda arn: scan_handler.TopicNotifier(sns, arn)  # type: ignore[assignment]
    try:
        refused, named = scan()
    finally:
        scan_handler._notifier = notifier
    # THEN the scan says so (result, log, ScanErrors) and keeps every other result
    assert named == []
    [error] = refused.summary["errors"]
    assert (error["source"], error["target"]) == ("sns", "Publish naming 1 subnets")
    assert refused.health()["ScanErrors"] == [1.0]
    assert refused.summary["metrics_not_published"] == 0
    # AND the next scan names the subnet: nothing was recorded as said
    _, named = scan()
    assert [n["message"].count("CRITICAL (new)") for n in named] == [1]


def test_past_fifty_subnets_the_message_says_how_many_more(scan, vpc: Vpc) -> None:
    # GIVEN 55 subnets at risk in one scan
    subnets = [vpc.subnet(prefix=28) for _ in range(55)]
    for subnet in subnets:
        vpc.consume(subnet, 10)  # 11 usable, 1 left
    vpc.ecs_cluster("payments")
    for start in range(0, 55, 16):  # a service takes at most 16 subnets
        vpc.ecs_service("payments", f"svc-{start}", subnets[start : start + 16])
    # WHEN scanned THEN one notification, listing 50 and saying there are 5 more
    _, [notice] = scan()
    assert notice["subject"] == "Subnets at risk: 55 CRITICAL (123456789012 us-east-1)"
    text = notice["message"]
    assert text.count("CRITICAL (new)") == 50
    assert "… and 5 more subnets." in text
    assert "subnet_report" in text
