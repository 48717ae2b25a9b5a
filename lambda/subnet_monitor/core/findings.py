"""One shape for every "problem plus fix" the project reports: a scan finding on a subnet, a design
check result, a failure notification. Renderers (text table, JSON, HTML, SNS) work from this form;
:meth:`Finding.sentence` is the one-line prose the JSON report's ``findings`` list has always carried.
Pure: no AWS imports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding matters. A design check's PASS/WARN/FAIL map to OK/WARNING/ERROR."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """A problem (or a passed check) and what to do about it.

    ``code``: a stable identifier a user can filter or suppress on (``headroom.short``,
    ``design.service-cidr``, ``failure.ecs-task-stopped``…). ``subject``: what it is about (a subnet
    ID, ``cluster/nodegroup``, a VPC). ``message``: the problem in full sentences, without the fix.
    ``fix``: what to do, or ``None`` when nothing is to be done. ``source``: the AWS page or the
    document section the rule comes from, when there is one.
    """

    code: str
    severity: Severity
    subject: str
    message: str
    fix: str | None = None
    source: str | None = None

    def sentence(self) -> str:
        """The finding as one line of prose: the message, then ``Fix: …`` when there is a fix.

        >>> Finding("x", Severity.WARNING, "subnet-1", "subnet-1 is short.", "add a subnet.").sentence()
        'subnet-1 is short. Fix: add a subnet.'
        """
        return f"{self.message} Fix: {self.fix}" if self.fix else self.message

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (keys as the fields; ``fix`` and ``source`` ``null`` when absent)."""
        return {**asdict(self), "severity": self.severity.value}
