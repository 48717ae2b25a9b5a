"""The notification that names the subnets at risk: one per scan that has something to say (core/risk.py),
as plain text for e-mail and as a chat application's custom notification, within SNS's limits."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from subnet_monitor.core.models import Status, SubnetReport, Workload
from subnet_monitor.core.notices import Quote, code, plain, slack, sns_subject, with_chat
from subnet_monitor.core.risk import Change, Notice

# The SNS message attribute a subscription filter can use to take (or leave) these notifications; the
# failure path's notifications carry their failure signal in the same attribute.
SIGNAL = "subnet-status"
# A message is read by a person: past these many subnets it says how many more and where they are.
TEXT_LISTED_MAX = 50
CHAT_LISTED_MAX = 10
TRUNCATED = "\n[… cut: {} more bytes; the collector's subnet_report log records hold every subnet]"
WHERE_ELSE = (
    "Every subnet, with its figures: the collector's subnet_report log records (Logs Insights: filter message = "
    '"subnet_report" and status != "OK"), or subnet-monitor scan. What to do: subnet-monitor fix.'
)


def risk_notification(
    notices: Sequence[Notice],
    counts: dict[str, int],
    *,
    account: str,
    region: str,
    read_at: str,
    reminder_hours: float,
) -> tuple[str, dict[str, str], dict[str, str]]:
    """Subject, message (``default`` plain text, ``https`` the chat message; for ``MessageStructure=json``)
    and SNS message attributes of the one notification for ``notices`` (not empty).

    ``counts`` are this scan's ``SubnetsAtRisk`` and ``SubnetsCritical``, which the alarms watch.
    """
    subject = f"Subnets {_tally(notices)} ({account} {region})"
    intro = (
        f"The subnet monitor's scan of account {plain(account)}, {plain(region)} at {read_at}: "
        f"{counts.get('SubnetsAtRisk', 0)} subnets at risk, {counts.get('SubnetsCritical', 0)} of them CRITICAL. "
        f"Named here: the subnets whose status changed, and those still at risk {reminder_hours:g} h after they "
        "were last named."
    )
    lines = [intro, ""]
    for notice in notices[:TEXT_LISTED_MAX]:
        lines.extend(_text(notice))
    if len(notices) > TEXT_LISTED_MAX:
        lines.append(f"… and {len(notices) - TEXT_LISTED_MAX} more subnets.")
        lines.append("")
    lines.append(WHERE_ELSE)
    attributes = {"signal": SIGNAL}
    chat = json.dumps(_chat(notices, intro), ensure_ascii=False)
    return sns_subject(subject), with_chat("\n".join(lines), chat, attributes, TRUNCATED), attributes


def _tally(notices: Sequence[Notice]) -> str:
    """``at risk: 2 CRITICAL, 1 WARNING; 1 back to OK`` (counts of this notification's subnets)."""
    by_status = Counter(n.report.status for n in notices if n.change is not Change.RECOVERED)
    recovered = sum(n.change is Change.RECOVERED for n in notices)
    parts = [f"{by_status[s]} {s}" for s in (Status.CRITICAL, Status.WARNING) if by_status[s]]
    text = f"at risk: {', '.join(parts)}" if parts else ""
    if recovered:
        text += f"{'; ' if text else ''}{recovered} back to OK"
    return text


def _change(notice: Notice) -> str:
    if notice.change in (Change.WORSE, Change.BETTER) and notice.before is not None:
        return f"{notice.change}, was {notice.before}"
    return str(notice.change)


def _subnet(report: SubnetReport, quote: Quote) -> str:
    name = f" ({quote(report.name)})" if report.name else ""
    return (
        f"{report.subnet_id}{name}, {quote(report.availability_zone)}, {report.vpc_id}, {report.cidr}: "
        f"{report.available_ips} of {report.usable_ips} addresses free ({report.utilization_percent:g} % used)"
    )


def _workloads(workloads: Sequence[Workload], quote: Quote) -> str:
    return ", ".join(f"{w.kind} {quote(f'{w.cluster}/{w.name}' if w.cluster else w.name)}" for w in workloads)


def _text(notice: Notice) -> list[str]:
    report = notice.report
    lines = [f"{report.status} ({_change(notice)})  {_subnet(report, plain)}"]
    lines.extend(f"  - {plain(reason.reason)}" for reason in report.status_reasons)
    if report.workloads:
        lines.append(f"  Used by: {_workloads(report.workloads, plain)}")
    lines.append("")
    return lines


def _chat(notices: Sequence[Notice], intro: str) -> dict[str, Any]:
    """The Amazon Q Developer in chat applications (AWS Chatbot) custom notification, escaped as the failure
    path's is (failures/notify.chat_message says why)."""
    lines = [intro]
    for notice in notices[:CHAT_LISTED_MAX]:
        report = notice.report
        lines.append(f"*{report.status}* ({_change(notice)}) {_subnet(report, code)}")
        lines.extend(f"• {code(reason.reason)}" for reason in report.status_reasons)
        if report.workloads:
            lines.append(f"Used by: {_workloads(report.workloads, code)}")
    if len(notices) > CHAT_LISTED_MAX:
        lines.append(f"… and {len(notices) - CHAT_LISTED_MAX} more subnets (the e-mail lists up to {TEXT_LISTED_MAX}).")
    return {
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": slack(f"Subnets {_tally(notices)}"),
            "description": slack("\n".join(lines)),
            "nextSteps": [slack(WHERE_ELSE)],
        },
        "metadata": {
            "eventType": SIGNAL,
            "relatedResources": [n.report.subnet_id for n in notices[:CHAT_LISTED_MAX]],
        },
    }
