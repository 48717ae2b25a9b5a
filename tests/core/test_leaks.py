"""Which detached ENIs ``reclaim-enis --apply`` deletes, judged from documented ENI shapes.

The shapes (and their sources) are the consumers table's, in tests/core/test_consumers.py; here each
is detached as a leaked one is (``Status`` available, no ``Attachment``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core import leaks
from subnet_monitor.core.config import ConfigError
from subnet_monitor.core.leaks import MIN_OLDER_THAN, classify, parse_duration
from tests.core.test_consumers import (
    ALB,
    ECS_EC2_TASK,
    ECS_FARGATE_TASK,
    EKS_BRANCH,
    EKS_CONTROL_PLANE_ENI,
    LAMBDA_ENI,
    NAT_ENI,
    NLB,
    NODE,
    RDS_ENI,
    UNKNOWN_ENI,
    VPC_CNI_ENI,
    VPC_ENDPOINT_ENI,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CNI_TAGS = [
    {"Key": "node.k8s.amazonaws.com/instance_id", "Value": NODE},
    {"Key": "cluster.k8s.amazonaws.com/name", "Value": "platform"},
]


def detached(eni: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The ENI as a leaked one reads: ``available``, attached to nothing."""
    return {**eni, "Status": "available", "Attachment": None, **changes}


def cni_eni(created: datetime | str | None, **changes: Any) -> dict[str, Any]:
    """A leaked VPC CNI ENI whose ``createdAt`` tag says ``created`` (the CNI writes RFC 3339 with
    the node's offset: awsutils.go, createENITags, time.Now().Format(time.RFC3339))."""
    tags = list(CNI_TAGS)
    if created is not None:
        value = created if isinstance(created, str) else created.isoformat()
        tags.append({"Key": "node.k8s.amazonaws.com/createdAt", "Value": value})
    return detached(VPC_CNI_ENI, **{"TagSet": tags, **changes})


def test_an_old_leaked_cni_eni_is_deletable_with_its_age_and_addresses() -> None:
    candidate = classify(cni_eni(NOW - timedelta(hours=30)), now=NOW, older_than=HOUR)
    assert candidate.deletable
    assert candidate.origin == leaks.VPC_CNI
    assert candidate.age_hours == 30
    assert candidate.addresses == 4  # primary + 3 secondaries
    assert candidate.private_ips == ("10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13")
    assert candidate.cluster == "platform"


def test_prefixes_count_16_addresses_each_and_are_listed() -> None:
    eni = cni_eni(NOW - 2 * HOUR, Ipv4Prefixes=[{"Ipv4Prefix": "10.0.1.0/28"}, {"Ipv4Prefix": "10.0.1.16/28"}])
    candidate = classify(eni, now=NOW, older_than=HOUR)
    assert candidate.addresses == 4 + 2 * 16
    assert candidate.prefixes == ("10.0.1.0/28", "10.0.1.16/28")


def test_a_creation_time_with_an_offset_is_the_same_instant() -> None:
    candidate = classify(cni_eni("2026-12-02T11:00:00+02:00"), now=NOW, older_than=HOUR)
    assert candidate.age_hours == 3


def test_a_young_cni_eni_is_kept_and_says_why() -> None:
    candidate = classify(cni_eni(NOW - timedelta(minutes=20)), now=NOW, older_than=HOUR)
    assert not candidate.deletable
    assert candidate.age_hours == pytest.approx(0.33)
    assert "younger than --older-than 1 h" in candidate.reason


@pytest.mark.parametrize("value", [None, "yesterday", "2026-12-02T10:00:00"], ids=["absent", "garbage", "no-offset"])
def test_without_a_readable_creation_tag_the_age_is_unknown_and_nothing_is_deleted(value: str | None) -> None:
    candidate = classify(cni_eni(value), now=NOW, older_than=HOUR)
    assert candidate.age_hours is None
    assert not candidate.deletable
    assert "age unknown" in candidate.reason


@pytest.mark.parametrize(
    ("eni", "origin"),
    [
        pytest.param(LAMBDA_ENI, leaks.LAMBDA, id="lambda"),
        pytest.param(ALB, leaks.LOAD_BALANCER, id="alb"),
        pytest.param(NLB, leaks.LOAD_BALANCER, id="nlb"),
        pytest.param(VPC_ENDPOINT_ENI, leaks.VPC_ENDPOINT, id="endpoint"),
        pytest.param(ECS_FARGATE_TASK, leaks.ECS, id="ecs-fargate"),
        pytest.param(EKS_CONTROL_PLANE_ENI, leaks.EKS_CONTROL_PLANE, id="eks-control-plane"),
        pytest.param(NAT_ENI, leaks.NAT_GATEWAY, id="nat"),
        pytest.param(RDS_ENI, leaks.OTHER_AWS_SERVICE, id="rds"),
    ],
)
def test_requester_managed_enis_are_never_deletable(eni: dict[str, Any], origin: str) -> None:
    candidate = classify(detached(eni), now=NOW, older_than=HOUR)
    assert candidate.origin == origin
    assert not candidate.deletable
    assert candidate.reason.startswith("requester-managed")


def test_requester_managed_wins_even_over_the_cni_shape() -> None:
    """A CNI-tagged ENI flagged requester-managed is still not ours to delete."""
    eni = cni_eni(NOW - 48 * HOUR, RequesterManaged=True, RequesterId="amazon-aws")
    assert not classify(eni, now=NOW, older_than=HOUR).deletable


@pytest.mark.parametrize(
    ("eni", "origin"),
    [
        pytest.param(ECS_EC2_TASK, leaks.ECS, id="ecs-ec2-task"),
        pytest.param(EKS_BRANCH, leaks.EKS_VPC_RESOURCE_CONTROLLER, id="eks-branch"),
        pytest.param(UNKNOWN_ENI, leaks.UNKNOWN, id="unknown"),
    ],
)
def test_other_origins_are_listed_with_addresses_but_never_deletable(eni: dict[str, Any], origin: str) -> None:
    candidate = classify(detached(eni), now=NOW, older_than=HOUR)
    assert candidate.origin == origin
    assert candidate.age_hours is None
    assert candidate.addresses >= 1
    assert not candidate.deletable
    assert f"origin {origin}" in candidate.reason


def test_a_cni_tag_without_the_cni_description_is_not_the_shape_the_cni_deletes() -> None:
    eni = cni_eni(NOW - 48 * HOUR, Description="hand-made")
    candidate = classify(eni, now=NOW, older_than=HOUR)
    assert candidate.origin == leaks.VPC_CNI
    assert not candidate.deletable
    assert "shape" in candidate.reason


@pytest.mark.parametrize(
    "changes",
    [{"Status": "in-use"}, {"Attachment": {"InstanceId": NODE, "DeviceIndex": 1}}, {"Status": "attaching"}],
    ids=["in-use", "attached", "attaching"],
)
def test_an_eni_that_is_not_detached_is_not_deletable(changes: dict[str, Any]) -> None:
    candidate = classify(cni_eni(NOW - 48 * HOUR, **changes), now=NOW, older_than=HOUR)
    assert not candidate.deletable
    assert candidate.reason.startswith("not detached")


def test_a_named_cluster_deletes_only_enis_tagged_for_it() -> None:
    eni = cni_eni(NOW - 48 * HOUR)
    assert classify(eni, now=NOW, older_than=HOUR, cluster="platform").deletable
    other = classify(eni, now=NOW, older_than=HOUR, cluster="payments")
    assert not other.deletable
    assert "payments" in other.reason
    untagged = cni_eni(NOW - 48 * HOUR, TagSet=[t for t in eni["TagSet"] if "cluster" not in t["Key"]])
    assert classify(untagged, now=NOW, older_than=HOUR).deletable
    assert not classify(untagged, now=NOW, older_than=HOUR, cluster="platform").deletable


@given(age_minutes=st.integers(min_value=0, max_value=10_000), threshold_minutes=st.integers(5, 10_000))
def test_deletable_exactly_when_at_least_as_old_as_the_threshold(age_minutes: int, threshold_minutes: int) -> None:
    eni = cni_eni(NOW - timedelta(minutes=age_minutes))
    candidate = classify(eni, now=NOW, older_than=timedelta(minutes=threshold_minutes))
    assert candidate.deletable == (age_minutes >= threshold_minutes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("3600s", HOUR),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["3x", "-1h", "1.5h", "h", "", "1h 30m", "99999999999999w"])
def test_a_bad_duration_is_refused_naming_the_flag(text: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_duration(text)
    assert refused.value.key == "--older-than"


@pytest.mark.parametrize("text", ["0h", "4m", "299s"])
def test_a_threshold_below_the_cni_cool_down_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="at least 5m"):
        parse_duration(text)
    assert parse_duration(f"{int(MIN_OLDER_THAN.total_seconds())}s") == MIN_OLDER_THAN
