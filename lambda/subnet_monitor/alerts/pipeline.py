"""After each scheduled scan: name the subnets whose status changed in one notification (core/risk.py).

Read the records → decide the notices → publish one message → save the records. Whatever fails is an
error of the scan (``ScanErrors`` alarms on it), and the notification errs on the side of being sent:
records that cannot be read are taken as none (every subnet at risk is named again, and nothing is saved
over them), and records are saved only once the message is out (one that could not be sent is tried
again at the next scan).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from subnet_monitor.alerts.message import risk_notification
from subnet_monitor.aws.clients import AWS_ERRORS
from subnet_monitor.aws.failures import TopicNotifier
from subnet_monitor.aws.risk import RiskRecords, UnreadRecordsError
from subnet_monitor.core.metrics import risk_counts
from subnet_monitor.core.models import ScanError, SubnetReport
from subnet_monitor.core.risk import Notified, changes

SECONDS_PER_HOUR = 3600


@dataclass
class RiskOutcome:
    """What the notification step did: the subnets named (by change), and what went wrong."""

    named: dict[str, str] = field(default_factory=dict)  # subnet ID -> change
    sent: bool = False
    errors: list[ScanError] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"subnets_named": len(self.named), "risk_notification_sent": self.sent}


def notify_risk(
    reports: Sequence[SubnetReport],
    records: RiskRecords,
    notifier: TopicNotifier,
    *,
    reminder_hours: float,
    account: str,
    region: str,
    now: float,
) -> RiskOutcome:
    """Name the subnets this scan should (new, worse, better, still at risk, back to OK) in one message."""
    outcome = RiskOutcome()
    before: dict[str, Notified] = {}
    loaded = True
    try:
        before = records.load()
    except (*AWS_ERRORS, UnreadRecordsError) as error:
        outcome.errors.append(ScanError(source="dynamodb", target="read the subnets last named", message=str(error)))
        loaded = False
    notices, after = changes(reports, before, now=now, reminder_seconds=reminder_hours * SECONDS_PER_HOUR)
    if notices:
        subject, message, attributes = risk_notification(
            notices,
            risk_counts(reports),
            account=account,
            region=region,
            read_at=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            reminder_hours=reminder_hours,
        )
        try:
            notifier.publish(subject, message, attributes)
        except AWS_ERRORS as error:
            outcome.errors.append(
                ScanError(source="sns", target=f"Publish naming {len(notices)} subnets", message=str(error))
            )
            return outcome
        outcome.sent = True
        outcome.named = {notice.report.subnet_id: str(notice.change) for notice in notices}
    if not loaded:
        return outcome  # saving now would drop the records it could not read
    try:
        records.save(before, after, now)
    except AWS_ERRORS as error:
        outcome.errors.append(ScanError(source="dynamodb", target="record the subnets named", message=str(error)))
    return outcome
