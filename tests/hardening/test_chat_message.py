"""The chat message of one failure, without AWS: bounded, and faithful to the names it neutralises."""

from __future__ import annotations

import json

from fixtures import failure_samples as samples
from subnet_monitor.core.models import SubnetState
from subnet_monitor.core.notices import CHAT_PROTOCOL, sns_message_json
from subnet_monitor.failures.events import parse_event
from subnet_monitor.failures.notify import chat_message, notification

STATE = SubnetState(samples.SUBNET_A, "vpc-0123456789abcdef0", "eu-west-1a", "10.0.9.0/27", 2)


def test_a_5_mb_reason_is_cut_in_the_chat_and_the_whole_message_fits_sns() -> None:
    # GIVEN a stopped task whose reason is 5 MB of markup
    event = samples.ecs_task_stopped()
    event["detail"]["stoppedReason"] = "InsufficientFreeAddressesInSubnet " + "*<!channel>*" * 400_000
    [failure] = parse_event(event).failures
    # WHEN it is notified
    _, message, attributes = notification(failure, STATE, window_minutes=15, read_at="-")
    chat = json.loads(message[CHAT_PROTOCOL])
    # THEN the chat shows the start of the reason, in code, cut with an ellipsis
    [reason] = [line for line in chat["content"]["description"].splitlines() if line.startswith("*Reason:*")]
    assert reason.startswith("*Reason:* `InsufficientFreeAddressesInSubnet *&lt;!channel&gt;**&lt;!channel&gt;*")
    assert reason.endswith("…`")
    assert len(reason) < 2_000
    # AND chat, e-mail and attributes fit one SNS message together (API_Publish: 262,144 bytes)
    size = len(sns_message_json(message).encode()) + sum(len(k) + len("String") + len(v) for k, v in attributes.items())
    assert 250_000 < size <= 262_144


def test_a_plain_name_reads_the_same_in_the_chat() -> None:
    # GIVEN the sample ECS service failure, whose names hold nothing to neutralise
    [failure] = parse_event(samples.ecs_task_stopped()).failures
    chat = chat_message(failure, STATE, window_minutes=15, read_at="2026-11-24T19:00:02Z")
    # THEN the chat says what the e-mail says, names in code, and nothing was changed in them
    description = chat["content"]["description"].splitlines()
    assert chat["content"]["title"] == f"IP exhaustion: {samples.SUBNET_A} (`eu-west-1a`)"
    assert "*What failed:* ECS service `checkout-web` in cluster `payments`" in description
    assert f"*Subnet:* {samples.SUBNET_A} (10.0.9.0/27, vpc-0123456789abcdef0)" in description
    assert "*Free now:* 2 of 27 usable addresses (DescribeSubnets at 2026-11-24T19:00:02Z)" in description
    assert chat["content"]["nextSteps"][0].startswith("give the service more room")
    assert chat["metadata"] == {"eventType": "failure.ecs-task-stopped", "relatedResources": [samples.SUBNET_A]}


def test_our_own_text_is_escaped_too() -> None:
    # GIVEN a prefix-delegation failure, whose fix names "<aligned range>" (our own placeholder)
    [failure] = parse_event(samples.assign_prefix_failed()).failures
    chat = chat_message(failure, None, window_minutes=15, read_at="-")
    # THEN it is shown as text, not parsed by Slack as a link or a mention
    assert "--cidr &lt;aligned range&gt;" in chat["content"]["nextSteps"][0]
