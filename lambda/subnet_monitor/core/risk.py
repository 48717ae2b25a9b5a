"""Which subnets the collector names in a notification, scan after scan. Pure.

The two verdict alarms count the subnets at risk (``SubnetsAtRisk``, ``SubnetsCritical``), so they cost
the same for 10 subnets or 10,000; the collector names the subnets itself, and remembers what it last
said about each so that a subnet is named when its status changes, not every five minutes:

- WARNING or CRITICAL and not named before: ``new``;
- worse (WARNING to CRITICAL) or better (CRITICAL to WARNING) than when last named: ``worse``, ``better``;
- at risk and named at the same status ``riskReminderHours`` ago or longer: ``still at risk``;
- OK again after being named: ``back to OK`` (and forgotten).

A subnet that this scan did not report (a read failed, the subnet is gone or no longer selected), or
reported OK but partial (a read it needs failed, so a figure that would raise its status is unknown), keeps
its record: the scan cannot say it is OK. A record is dropped once :data:`RECORD_RETENTION_SECONDS` pass
without the subnet being reported (the subnet, then, is gone).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from subnet_monitor.core.metrics import STATUS_LEVEL
from subnet_monitor.core.models import Status, SubnetReport

# Five weeks, as the EKS health episodes in the same table (aws/failures.py): longer than any gap between
# two scans of a rate() schedule or a monthly cron().
RECORD_RETENTION_SECONDS = 35 * 86_400
# The records are kept in this many items, by the last character of the subnet ID (hexadecimal, so
# spread evenly), so that one item stays far below DynamoDB's 400 KB: 10,000 subnets at risk are some
# 30 KB an item. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
SHARDS = tuple("0123456789abcdef")
# How fresh a record's ``seen`` is kept: refreshing it daily, not every scan, leaves an item unwritten on
# the scans that change nothing, and a day is fine-grained enough against five weeks of retention.
SEEN_REFRESH_SECONDS = 86_400


class Change(StrEnum):
    NEW = "new"
    WORSE = "worse"
    BETTER = "better"
    STILL = "still at risk"
    RECOVERED = "back to OK"


@dataclass(frozen=True)
class Notified:
    """What the last notification said about a subnet (``status``), and when (epoch seconds); ``seen``,
    when a scan last reported the subnet."""

    status: Status
    at: float
    seen: float


@dataclass(frozen=True)
class Notice:
    """One subnet named in this scan's notification, and why."""

    report: SubnetReport
    change: Change
    before: Status | None


def changes(
    reports: Iterable[SubnetReport], records: Mapping[str, Notified], *, now: float, reminder_seconds: float
) -> tuple[list[Notice], dict[str, Notified]]:
    """The notices this scan sends (CRITICAL first, then WARNING, then back to OK, each in report order)
    and the records to keep once they are sent.

    >>> from subnet_monitor.core.models import SubnetReport
    >>> def report(status):
    ...     return SubnetReport("subnet-0a", "vpc-1", "az", "10.0.0.0/24", 251, 9, 242, 96.4, (), (), Status(status))
    >>> notices, kept = changes([report("CRITICAL")], {}, now=100.0, reminder_seconds=3600)
    >>> [(n.change.value, n.report.status.value) for n in notices], kept["subnet-0a"].status.value
    ([('new', 'CRITICAL')], 'CRITICAL')
    >>> changes([report("CRITICAL")], kept, now=200.0, reminder_seconds=3600)[0]
    []
    >>> [n.change.value for n in changes([report("OK")], kept, now=300.0, reminder_seconds=3600)[0]]
    ['back to OK']
    """
    kept = {subnet_id: record for subnet_id, record in records.items() if now - record.seen < RECORD_RETENTION_SECONDS}
    notices: list[Notice] = []
    for report in reports:
        record = kept.get(report.subnet_id)
        if record is not None and report.status is Status.OK and report.partial:
            continue  # OK for want of a figure the scan could not read: not "back to OK" (docs/verdict.md)
        change = _change(report.status, record, now, reminder_seconds)
        if change is Change.RECOVERED:
            del kept[report.subnet_id]
        elif change is not None:
            kept[report.subnet_id] = Notified(report.status, now, now)
        elif record is not None and now - record.seen >= SEEN_REFRESH_SECONDS:
            kept[report.subnet_id] = Notified(record.status, record.at, now)
        if change is not None:
            notices.append(Notice(report, change, record.status if record else None))
    order = {Status.CRITICAL: 0, Status.WARNING: 1, Status.OK: 2}
    notices.sort(key=lambda notice: order[notice.report.status])
    return notices, kept


def _change(status: Status, record: Notified | None, now: float, reminder_seconds: float) -> Change | None:
    if status is Status.OK:
        return Change.RECOVERED if record is not None else None
    if record is None:
        return Change.NEW
    if STATUS_LEVEL[status] > STATUS_LEVEL[record.status]:
        return Change.WORSE
    if STATUS_LEVEL[status] < STATUS_LEVEL[record.status]:
        return Change.BETTER
    return Change.STILL if now - record.at >= reminder_seconds else None


def shard_of(subnet_id: str) -> str:
    """The item that holds a subnet's record: its ID's last character (one of :data:`SHARDS`)."""
    last = subnet_id[-1:].lower()
    return last if last in SHARDS else SHARDS[0]


def encode(records: Mapping[str, Notified]) -> str:
    """One item's records as compact JSON (``{"subnet-…": ["WARNING", at, seen]}``), sorted for stable items."""
    return json.dumps(
        {subnet_id: [str(r.status), round(r.at), round(r.seen)] for subnet_id, r in sorted(records.items())},
        separators=(",", ":"),
    )


def decode(text: str) -> dict[str, Notified]:
    """:func:`encode`'s inverse. An entry that does not read back (an item edited by hand) is dropped: the
    subnet is then named again, which is the safe side.

    >>> decode(encode({"subnet-0a": Notified(Status.WARNING, 10.0, 20.0)}))
    {'subnet-0a': Notified(status=<Status.WARNING: 'WARNING'>, at=10.0, seen=20.0)}
    >>> decode('{"subnet-0a": ["MAYBE", 1, 2], "subnet-0b": 7}')
    {}
    """
    try:
        raw = json.loads(text)
    except ValueError:
        return {}
    records = {}
    for subnet_id, value in raw.items() if isinstance(raw, dict) else ():
        try:
            status, at, seen = value
            records[subnet_id] = Notified(Status(status), float(at), float(seen))
        except (TypeError, ValueError):
            continue
    return records
