"""What reading events yields: :class:`Failure` records, near misses and unreadable records.

Plain data, apart from the reader (:mod:`subnet_monitor.failures.events`, which runs on the Lambda with
Powertools' parser), so the scan and the CLI can explain failures without Powertools installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from subnet_monitor.core.models import Workload
from subnet_monitor.failures.details import Signal


@dataclass(frozen=True)
class Failure:
    """One failure attributed (when the event says where) to one subnet and one workload."""

    signal: Signal
    code: str
    reason: str
    subnet_id: str | None
    workload: Workload | None
    account: str
    region: str
    time: str
    event_id: str
    availability_zone: str | None = None
    # What else the event says that helps a person: task ARN, instance, caller, ENI…
    details: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The structured log record (``message = "exhaustion_failure"``)."""
        return {
            "signal": str(self.signal),
            "code": self.code,
            "reason": self.reason,
            "subnet_id": self.subnet_id,
            "availability_zone": self.availability_zone,
            "workload": self.workload.to_dict() if self.workload else None,
            "account": self.account,
            "region": self.region,
            "event_time": self.time,
            "event_id": self.event_id,
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class Skipped:
    """An event (or a record of a batch) that is not counted as a failure, and why."""

    why: str
    event_id: str | None = None
    source: str | None = None
    detail_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"why": self.why, "event_id": self.event_id, "source": self.source, "detail_type": self.detail_type}


@dataclass
class Parsed:
    """What a batch of records held: failures; near misses (``ignored``, other failures that reached
    us); records that could not be read (``unparsed``)."""

    failures: list[Failure] = field(default_factory=list)
    ignored: list[Skipped] = field(default_factory=list)
    unparsed: list[Skipped] = field(default_factory=list)

    def extend(self, other: Parsed) -> None:
        self.failures.extend(other.failures)
        self.ignored.extend(other.ignored)
        self.unparsed.extend(other.unparsed)

    @property
    def without_subnet(self) -> list[Failure]:
        return [failure for failure in self.failures if failure.subnet_id is None]
