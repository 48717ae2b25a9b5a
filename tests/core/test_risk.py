"""Which subnets the collector names, scan after scan (core/risk.py)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.models import Gap, Status, SubnetCapacity, SubnetReport
from subnet_monitor.core.risk import (
    RECORD_RETENTION_SECONDS,
    SHARDS,
    Change,
    Notified,
    changes,
    decode,
    encode,
    shard_of,
)

HOUR = 3600.0
REMINDER = 24 * HOUR
SCAN = 300.0  # rate(5 minutes)


def report(subnet_id: str, status: Status | str) -> SubnetReport:
    return SubnetReport(subnet_id, "vpc-1", "eu-west-1a", "10.0.0.0/24", 251, 9, 242, 96.41, (), (), Status(status))


def named(statuses: list[str], *, every: float = SCAN, reminder: float = REMINDER) -> list[str | None]:
    """The change named at each scan of one subnet whose status is ``statuses[i]`` at scan ``i``."""
    records: dict[str, Notified] = {}
    said: list[str | None] = []
    for index, status in enumerate(statuses):
        notices, records = changes([report("subnet-0a", status)], records, now=index * every, reminder_seconds=reminder)
        said.append(str(notices[0].change) if notices else None)
    return said


def test_a_subnet_is_named_when_its_status_changes_and_not_in_between() -> None:
    assert named(["OK", "WARNING", "WARNING", "CRITICAL", "CRITICAL", "WARNING", "OK", "OK"]) == [
        None,
        "new",
        None,
        "worse",
        None,
        "better",
        "back to OK",
        None,
    ]


def test_a_subnet_still_at_risk_is_named_again_after_the_reminder_hours() -> None:
    # a scan an hour: named at 0 h, quiet until 24 h after, named then, and so on
    said = named(["CRITICAL"] * 50, every=HOUR)
    assert [hour for hour, change in enumerate(said) if change] == [0, 24, 48]
    assert said[24] == "still at risk"


def test_a_subnet_the_scan_did_not_report_keeps_its_record_until_the_retention() -> None:
    # GIVEN a subnet named CRITICAL
    _, records = changes([report("subnet-0a", "CRITICAL")], {}, now=0.0, reminder_seconds=REMINDER)
    # WHEN scans stop reporting it (a read failed, or it is gone) THEN it is not called back to OK
    notices, kept = changes([report("subnet-0b", "OK")], records, now=SCAN, reminder_seconds=REMINDER)
    assert notices == []
    assert "subnet-0a" in kept
    # AND when it is reported again, at the same status, it is not named again
    assert changes([report("subnet-0a", "CRITICAL")], kept, now=2 * SCAN, reminder_seconds=REMINDER)[0] == []
    # AND past the retention without a report, the record is dropped (the subnet is gone)
    later = changes([], kept, now=RECORD_RETENTION_SECONDS + SCAN, reminder_seconds=REMINDER)[1]
    assert later == {}


def test_a_partial_ok_is_not_called_back_to_ok() -> None:
    # GIVEN a subnet named WARNING (short at maximum)
    _, records = changes([report("subnet-0a", "WARNING")], {}, now=0.0, reminder_seconds=REMINDER)
    # WHEN a scan that could not read its ENIs (a gap: its headroom unknown) judges it OK
    gap = Gap("ec2:DescribeNetworkInterfaces", "AccessDenied", ("scale_headroom",))
    partial = replace(report("subnet-0a", "OK"), capacity=SubnetCapacity(gaps=(gap,)))
    assert partial.partial
    notices, kept = changes([partial], records, now=SCAN, reminder_seconds=REMINDER)
    # THEN it is not named back to OK, and its record stays, so a full scan finding it WARNING names nothing
    assert notices == []
    assert changes([report("subnet-0a", "WARNING")], kept, now=2 * SCAN, reminder_seconds=REMINDER)[0] == []


def test_notices_put_critical_first_then_warning_then_back_to_ok() -> None:
    records = {"subnet-0c": Notified(Status.WARNING, 0.0, 0.0)}
    reports = [report("subnet-0a", "WARNING"), report("subnet-0c", "OK"), report("subnet-0b", "CRITICAL")]
    notices, _ = changes(reports, records, now=SCAN, reminder_seconds=REMINDER)
    assert [(n.report.subnet_id, n.change) for n in notices] == [
        ("subnet-0b", Change.NEW),
        ("subnet-0a", Change.NEW),
        ("subnet-0c", Change.RECOVERED),
    ]
    assert notices[2].before is Status.WARNING


STATUSES = st.lists(st.sampled_from(["OK", "WARNING", "CRITICAL"]), min_size=1, max_size=60)


@given(statuses=STATUSES)
def test_every_change_of_status_is_named_and_nothing_else_within_the_reminder(statuses: list[str]) -> None:
    # 60 scans at 5 minutes: all within one reminder period
    said = named(statuses)
    for index, (status, change) in enumerate(zip(statuses, said, strict=True)):
        before = statuses[index - 1] if index else "OK"
        assert (change is not None) == (status != before), (index, statuses, said)
        if status == "OK" and change:
            assert change == "back to OK"


@given(ids=st.lists(st.from_regex(r"subnet-[0-9a-f]{17}", fullmatch=True), max_size=40, unique=True), data=st.data())
def test_records_read_back_as_written_and_every_subnet_has_one_shard(ids: list[str], data: st.DataObject) -> None:
    records = {
        subnet_id: Notified(
            data.draw(st.sampled_from(list(Status))),
            float(data.draw(st.integers(0, 2**31))),
            float(data.draw(st.integers(0, 2**31))),
        )
        for subnet_id in ids
    }
    assert decode(encode(records)) == records
    assert all(shard_of(subnet_id) in SHARDS for subnet_id in ids)
