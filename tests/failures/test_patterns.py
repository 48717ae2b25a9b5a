"""The tests' EventBridge pattern matcher (tests/event_patterns.py) on the rules of the EventBridge user
guide's content-filtering examples, and against moto's matcher."""

from __future__ import annotations

import json

import pytest
from moto.events.models import EventPattern

from tests.event_patterns import matches

EVENT = {
    "source": "aws.ecs",
    "detail-type": "ECS Task State Change",
    "resources": ["arn:aws:ecs:eu-west-1:111122223333:task/payments/abc"],
    "detail": {
        "lastStatus": "STOPPED",
        "stoppedReason": "Unexpected EC2 error while attempting to Create Network Interface in subnet "
        "'subnet-0a1b2c3d4e5f60718': InsufficientFreeAddressesInSubnet",
        "attachments": [{"type": "eni", "status": "DELETED"}],
        "count": 3,
        "nothing": None,
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.ecs"]}, True),
        ({"source": ["aws.ec2", "aws.ecs"]}, True),
        ({"source": ["AWS.ECS"]}, False),  # exact, case-sensitive
        ({"detail": {"lastStatus": ["STOPPED"]}}, True),
        ({"detail": {"lastStatus": ["RUNNING"]}}, False),
        ({"detail": {"stoppedReason": [{"prefix": "Unexpected EC2 error"}]}}, True),
        ({"detail": {"stoppedReason": [{"prefix": "unexpected"}]}}, False),
        ({"detail": {"stoppedReason": [{"wildcard": "*InsufficientFreeAddressesInSubnet*"}]}}, True),
        ({"detail": {"stoppedReason": [{"wildcard": "*InsufficientCidrBlocks*"}]}}, False),
        ({"detail": {"stoppedReason": [{"wildcard": "Unexpected*subnet-0a1b2c3d4e5f60718*"}]}}, True),
        ({"resources": [{"prefix": "arn:aws:ecs:eu-west-1:"}]}, True),  # any element of an array
        ({"detail": {"attachments": {"type": ["elb"]}}}, False),
        ({"detail": {"stopCode": [{"exists": False}]}}, True),
        ({"detail": {"stopCode": [{"exists": True}]}}, False),
        ({"detail": {"lastStatus": [{"exists": True}]}}, True),
        ({"detail": {"stopCode": ["TaskFailedToStart"]}}, False),  # missing field
        ({"detail": {"lastStatus": [{"anything-but": ["RUNNING", "PENDING"]}]}}, True),
        ({"detail": {"lastStatus": [{"anything-but": "STOPPED"}]}}, False),
        ({"detail": {"lastStatus": [{"anything-but": {"prefix": "STOP"}}]}}, False),
        ({"detail": {"nothing": [None]}}, True),
        ({"detail": {"count": [3]}}, True),
        ({"detail": {"count": ["3"]}}, False),  # numbers are not strings
        ({"source": ["aws.ecs"], "detail": {"lastStatus": ["RUNNING"]}}, False),  # every field must match
    ],
)
def test_matcher_follows_eventbridge_and_agrees_with_moto(pattern, expected):
    assert matches(pattern, EVENT) is expected
    assert EventPattern.load(json.dumps(pattern)).matches_event(EVENT) is expected


def test_a_field_inside_an_array_of_objects_matches_when_any_element_does():
    # EventBridge flattens arrays of objects; moto 5.2 does not (so the rules never rely on it).
    assert matches({"detail": {"attachments": {"type": ["eni"]}}}, EVENT)
    assert not EventPattern.load(json.dumps({"detail": {"attachments": {"type": ["eni"]}}})).matches_event(EVENT)


def test_syntax_it_does_not_know_is_refused_not_guessed():
    with pytest.raises(ValueError, match="unsupported matcher"):
        matches({"detail": {"count": [{"numeric": [">", 1]}]}}, EVENT)
    with pytest.raises(ValueError, match="must be an object or an array"):
        matches({"source": "aws.ecs"}, EVENT)
