"""The notification naming the subnets at risk, as people and chat applications read it: names from outside
(a subnet's Name tag, a cluster's name) are shown, never obeyed, and the message fits SNS."""

from __future__ import annotations

import json

from subnet_monitor.alerts.message import CHAT_LISTED_MAX, risk_notification
from subnet_monitor.core.models import Status, StatusReason, SubnetReport, Workload
from subnet_monitor.core.notices import SNS_MESSAGE_MAX_BYTES, sns_message_json
from subnet_monitor.core.risk import Change, Notice

HOSTILE = "prod\n<!channel> *urgent* `x` \u202etxt.exe"


def notice(subnet_id: str = "subnet-0a", *, name: str | None = HOSTILE, reason: str = "91% used") -> Notice:
    report = SubnetReport(
        subnet_id,
        "vpc-1",
        "eu-west-1a",
        "10.0.0.0/24",
        251,
        9,
        242,
        96.41,
        (),
        (Workload("ecs-service", "pay<ments>", "check\nout"),),
        Status.CRITICAL,
        status_reasons=(StatusReason("utilization.critical", Status.CRITICAL, reason),),
        name=name,
    )
    return Notice(report, Change.NEW, None)


def render(notices: list[Notice]) -> tuple[str, dict[str, str], dict[str, str]]:
    counts = {"SubnetsAtRisk": len(notices), "SubnetsCritical": len(notices)}
    return risk_notification(
        notices, counts, account="123456789012", region="eu-west-1", read_at="2026-12-02T12:00:00Z", reminder_hours=24
    )


def test_a_hostile_name_cannot_add_lines_pings_or_markup() -> None:
    subject, message, attributes = render([notice()])
    text = message["default"]
    # the e-mail: the name's line break and bidi override are written as escapes, on the subnet's one line
    assert "prod\\x0a<!channel>" in text and "\\u202e" in text
    assert not any(line.startswith("<!channel>") for line in text.splitlines())
    assert "check\\x0aout" in text
    # the chat: every outside name is inline code, and <, >, & are entities: no ping, link or bold
    chat = json.loads(message["https"])
    description = chat["content"]["description"]
    assert "<!channel>" not in description and "&lt;!channel&gt;" in description
    assert "`prod\\x0a&lt;!channel&gt; *urgent* ˋxˋ \\u202etxt.exe`" in description
    assert "pay&lt;ments&gt;" in description
    # and SNS's subject rules: printable ASCII, one line, under 100 characters
    assert subject == "Subnets at risk: 1 CRITICAL (123456789012 eu-west-1)"
    assert attributes == {"signal": "subnet-status"}


def test_the_message_fits_sns_however_long_the_reasons() -> None:
    # GIVEN 200 subnets, each with a reason of 10 KB (an EKS health message can be long)
    notices = [notice(f"subnet-{i:017x}", reason="x" * 10_000) for i in range(200)]
    _, message, attributes = render(notices)
    # THEN the publish is within SNS's 256 KB, the e-mail cut with a marker saying where the rest is
    size = len(sns_message_json(message).encode()) + sum(len(k) + len(v) + len("String") for k, v in attributes.items())
    assert size <= SNS_MESSAGE_MAX_BYTES
    assert "the collector's subnet_report log records hold every subnet" in message["default"]
    # AND the chat lists the first ten and says how many more
    chat = json.loads(message["https"])
    assert len(chat["metadata"]["relatedResources"]) == CHAT_LISTED_MAX
    assert "… and 190 more subnets" in chat["content"]["description"]
