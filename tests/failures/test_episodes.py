"""EKS health issues counted once per episode, end to end on moto: the real scan handler (with the
stack's table in its environment) puts its events on the bus, the stack's rules deliver them, the real
event handler counts and notifies; IPExhaustionFailures is read back from CloudWatch and the
notifications from the topic, as a user would see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from fixtures.failure_stack import LocalFailureStack, mark_nodegroup_unhealthy
from subnet_monitor.core.config import ENV_FAILURE_DEDUP_TABLE, ENV_FAILURE_TOPIC_ARN, ScanConfig
from subnet_monitor.core.models import EKS_INSUFFICIENT_FREE_ADDRESSES, HealthIssue
from subnet_monitor.failures.health import episode_key
from subnet_monitor.handlers import scan as scan_handler
from tests.conftest import Invocation as ScanInvocation
from tests.conftest import Invoke
from tests.failures.support import Invocation, failures_counted
from tests.moto_estate import REGION, Vpc

ACCOUNT = "123456789012"
CLUSTER = "platform"


@dataclass
class Scanned:
    """One scheduled scan and what its events did on the failure path."""

    scan: ScanInvocation
    delivered: list[Invocation]

    def health_findings(self, subnet_id: str) -> list[str]:
        return [f for f in self.scan.subnet_reports()[subnet_id]["findings"] if "EKS reports" in f]


@pytest.fixture
def scan(
    stack: LocalFailureStack, invoke: Invoke, failures: Callable[..., Invocation], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Scanned]:
    """Run the scheduled scan with the environment the stack gives the collector (its table named),
    then hand every event the rules delivered to the event function, as EventBridge would."""
    scan_handler._episodes.cache_clear()

    def run(*, table: bool = True) -> Scanned:
        env = ScanConfig().to_env()
        if table:
            env[ENV_FAILURE_DEDUP_TABLE] = stack.table_name
            env[ENV_FAILURE_TOPIC_ARN] = stack.topic_arn
        else:  # the event function's environment (set by ``failures``) names them too: not the collector's
            monkeypatch.delenv(ENV_FAILURE_DEDUP_TABLE, raising=False)
            monkeypatch.delenv(ENV_FAILURE_TOPIC_ARN, raising=False)
        result = invoke(env=env)
        return Scanned(result, [failures(event) for event in stack.delivered()])

    return run


@pytest.fixture
def nodes(vpc: Vpc) -> str:
    """A node group subnet 58 addresses full (1 of 59 left), and an EKS cluster."""
    subnet = vpc.subnet(prefix=26, az="us-east-1b")
    vpc.consume(subnet, 58)
    vpc.eks_cluster(CLUSTER, [vpc.subnet()])
    return subnet


def nodegroup(vpc: Vpc, name: str, subnets: list[str]) -> None:
    vpc.eks.create_nodegroup(
        clusterName=CLUSTER, nodegroupName=name, subnets=subnets, nodeRole=f"arn:aws:iam::{ACCOUNT}:role/nodes"
    )


def heal(name: str) -> None:
    """EKS clears the node group's health issue (the subnet got room): ``health.issues`` is empty."""
    from moto.eks.models import eks_backends  # noqa: PLC0415 - moto's state, as mark_nodegroup_unhealthy sets it

    eks_backends[ACCOUNT][REGION].clusters[CLUSTER].nodegroups[name].health = {"issues": []}


def test_an_issue_that_persists_over_three_scans_is_counted_and_notified_once(aws, stack, scan, vpc, nodes):
    # GIVEN a node group whose subnet EKS reports out of addresses, and stays so
    nodegroup(vpc, "general", [nodes])
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "general", [nodes])
    # WHEN three scheduled scans see it
    scans = [scan() for _ in range(3)]
    # THEN every scan's report still carries the finding (the state)
    assert [len(s.health_findings(nodes)) for s in scans] == [1, 1, 1]
    # AND only the first put an event, so the failure is counted once and notified once
    assert [len(s.delivered) for s in scans] == [1, 0, 0]
    assert failures_counted(aws, nodes) == 1.0
    notifications = stack.notifications()
    [notification] = [n for n in notifications if n["attributes"]["signal"] != "subnet-status"]
    assert notification["subject"] == f"IP exhaustion: {nodes} (us-east-1b), EKS node group general in cluster platform"
    # AND the collector named the subnet at risk once too, on the first scan (docs/metrics.md)
    [named] = [n for n in notifications if n["attributes"]["signal"] == "subnet-status"]
    assert nodes in named["message"]
    assert [s.scan.summary["subnets_named"] for s in scans] == [1, 0, 0]
    # AND the Lambda result says which scan started the episode and which saw it go on
    assert [s.scan.summary["eks_health_episodes"] for s in scans] == [
        {"started": 1, "continuing": 0},
        {"started": 0, "continuing": 1},
        {"started": 0, "continuing": 1},
    ]
    assert all(s.scan.summary["errors"] == [] for s in scans)


def test_without_the_table_every_scan_counts_the_issue_again(aws, stack, scan, vpc, nodes):
    # GIVEN the same persisting issue, and a collector run without FAILURE_DEDUP_TABLE (not as the stack deploys it)
    nodegroup(vpc, "general", [nodes])
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "general", [nodes])
    # WHEN three scans see it THEN each puts its event and each is counted (the behaviour before episodes)
    scans = [scan(table=False) for _ in range(3)]
    assert [len(s.delivered) for s in scans] == [1, 1, 1]
    assert failures_counted(aws, nodes) == 3.0


def test_an_issue_that_goes_away_and_comes_back_is_a_second_episode(aws, stack, scan, vpc, nodes):
    nodegroup(vpc, "general", [nodes])
    # GIVEN an issue seen by two scans
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "general", [nodes])
    first = [scan(), scan()]
    # WHEN one scan no longer sees it, and the next sees it again
    heal("general")
    healed = scan()
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "general", [nodes])
    back = [scan(), scan()]
    # THEN the scan without it has no finding and puts nothing
    assert (healed.health_findings(nodes), healed.delivered) == ([], [])
    assert "eks_health_episodes" not in healed.scan.summary
    # AND its return starts a second episode: counted twice in all, one event per episode
    assert [len(s.delivered) for s in [*first, healed, *back]] == [1, 0, 0, 1, 0]
    assert failures_counted(aws, nodes) == 2.0
    # AND the second is not notified: the subnet was notified within the 15-minute window
    assert len([n for n in stack.notifications() if n["attributes"]["signal"] != "subnet-status"]) == 1
    [counted] = back[0].delivered
    assert counted.logged("exhaustion_failure")[0]["notification"] == "suppressed"


def test_two_node_groups_in_one_subnet_are_two_episodes(aws, stack, scan, vpc, nodes):
    # GIVEN two node groups over the same full subnet, both reported unhealthy
    for name in ("general", "batch"):
        nodegroup(vpc, name, [nodes])
        mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, name, [nodes])
    # WHEN three scans see both
    scans = [scan() for _ in range(3)]
    # THEN each node group is one episode: two failures counted on the subnet, not six and not one
    assert [len(s.delivered) for s in scans] == [2, 0, 0]
    assert failures_counted(aws, nodes) == 2.0
    assert [s.scan.summary["eks_health_episodes"] for s in scans][-1] == {"started": 0, "continuing": 2}
    # AND one healing and failing again counts that node group alone again
    heal("batch")
    scan()
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "batch", [nodes])
    again = scan()
    assert again.scan.summary["eks_health_episodes"] == {"started": 1, "continuing": 1}
    [delivered] = again.delivered
    assert delivered.logged("exhaustion_failure")[0]["workload"]["name"] == "batch"
    assert failures_counted(aws, nodes) == 3.0


def test_without_dynamodb_the_scan_keeps_its_results_and_counts_the_issue_again(aws, stack, scan, vpc, nodes):
    nodegroup(vpc, "general", [nodes])
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "general", [nodes])
    first = scan()
    # GIVEN the table is gone (deleted, or DynamoDB unreachable) while the issue persists
    aws.client("dynamodb").delete_table(TableName=stack.table_name)
    # WHEN the next scan runs
    broken = scan()
    # THEN its reports, findings and metrics are all there
    reports = broken.scan.subnet_reports()
    assert set(reports) == set(first.scan.subnet_reports())
    assert reports[nodes]["available_ips"] == 1
    assert len(broken.health_findings(nodes)) == 1
    assert broken.scan.summary["metrics_not_published"] == 0
    # AND the errors are said: in the result, logged, and counted in ScanErrors (the forecast's history, the
    # episodes, and the record of the subnets named at risk all live in the same table)
    errors = broken.scan.summary["errors"]
    assert [(e["source"], e["target"]) for e in errors] == [
        ("dynamodb", "read the forecast's history"),
        ("dynamodb", "keep the forecast's history"),
        ("dynamodb", "count the scan (EKS health episodes)"),
        ("dynamodb", "read the subnets last named"),
    ]
    assert all("ResourceNotFoundException" in e["error"] for e in errors)
    assert [r["source"] for r in broken.scan.records if r.get("message") == "scan_error"] == ["dynamodb"] * 4
    assert broken.scan.health()["ScanErrors"] == [4.0]
    # AND the subnet at risk is named again rather than not at all
    assert broken.scan.summary["subnets_named"] == 1
    # AND the issue is put again and counted again: a repeat rather than a miss
    assert len(broken.delivered) == 1
    assert failures_counted(aws, nodes) == 2.0


def test_an_event_that_could_not_be_put_is_put_by_the_next_scan(aws, stack, scan, vpc, nodes):
    nodegroup(vpc, "general", [nodes])
    mark_nodegroup_unhealthy(ACCOUNT, REGION, CLUSTER, "general", [nodes])

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "PutEvents")

    # GIVEN EventBridge refuses the first scan's event
    scan_handler._clients().events.meta.events.register("before-call.events.PutEvents", refuse)
    refused = scan()
    scan_handler._clients().events.meta.events.unregister("before-call.events.PutEvents", refuse)
    assert refused.delivered == []
    assert refused.scan.summary["errors"][0]["source"] == "events"
    # WHEN the next scan sees the same issue THEN it starts the episode, and the failure is counted once
    retried = scan()
    assert retried.scan.summary["eks_health_episodes"] == {"started": 1, "continuing": 0}
    assert failures_counted(aws, nodes) == 1.0
    assert len([n for n in stack.notifications() if n["attributes"]["signal"] != "subnet-status"]) == 1


SUBNETS = st.lists(st.from_regex(r"subnet-[0-9a-f]{17}", fullmatch=True), min_size=1, max_size=16, unique=True)


@given(subnets=SUBNETS, data=st.data())
def test_an_issue_is_the_same_whatever_the_order_of_its_subnets(subnets: list[str], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(subnets))
    one = HealthIssue(CLUSTER, "general", EKS_INSUFFICIENT_FREE_ADDRESSES, "one message", tuple(subnets))
    other = HealthIssue(CLUSTER, "general", EKS_INSUFFICIENT_FREE_ADDRESSES, "reworded", tuple(shuffled))
    assert episode_key(one) == episode_key(other)
    # and a subnet more or less, another node group or the cluster itself is another issue
    grown = HealthIssue(CLUSTER, "general", EKS_INSUFFICIENT_FREE_ADDRESSES, "", (*subnets, "subnet-" + "f" * 18))
    assert len({episode_key(one), episode_key(grown), episode_key(HealthIssue(CLUSTER, "batch", **_rest(one)))}) == 3
    assert episode_key(HealthIssue(CLUSTER, None, **_rest(one))) != episode_key(one)


def _rest(issue: HealthIssue) -> dict[str, Any]:
    return {"code": issue.code, "message": issue.message, "resource_ids": issue.resource_ids}
