"""``reclaim-enis`` output: the candidates table and totals, and the JSON contract (docs/reclaim.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from subnet_monitor.core.leaks import Candidate, Reclaimed
from subnet_monitor.core.models import ScanError
from subnet_monitor.render.terminal import table

COLUMNS = ("ENI", "SUBNET", "ORIGIN", "AGE_H", "ADDRESSES", "/28s", "DELETE", "WHY")
NUMERIC_COLUMNS = {3, 4, 5}
UNKNOWN_AGE = "?"


def to_json(candidates: Sequence[Candidate], reclaimed: Reclaimed | None, errors: Sequence[ScanError] = ()) -> str:
    """``{"candidates": [...], "deleted": [...], "skipped": [...], "failed": [...], "errors": [...]}``;
    without ``--apply`` the last four are empty."""
    done = reclaimed or Reclaimed()
    document: dict[str, Any] = {
        "candidates": [candidate.to_dict() for candidate in candidates],
        "deleted": [
            {
                "network_interface_id": c.network_interface_id,
                "subnet_id": c.subnet_id,
                "addresses": c.addresses,
                "prefixes": list(c.prefixes),
            }
            for c in done.deleted
        ],
        "skipped": [{"network_interface_id": eni_id, "reason": reason} for eni_id, reason in done.skipped],
        "failed": [{"network_interface_id": eni_id, "error": error} for eni_id, error in done.failed],
        "errors": [error.to_dict() for error in errors],
    }
    return json.dumps(document, indent=2)


def to_text(candidates: Sequence[Candidate], *, applied: bool) -> str:
    """The candidates, deletable first then by subnet, and what they would free."""
    ordered = sorted(candidates, key=lambda c: (not c.deletable, c.subnet_id, c.network_interface_id))
    rows = [COLUMNS]
    for c in ordered:
        rows.append(
            (
                c.network_interface_id,
                c.subnet_id,
                c.origin,
                UNKNOWN_AGE if c.age_hours is None else f"{c.age_hours:g}",
                str(c.addresses),
                str(len(c.prefixes)),
                "yes" if c.deletable else "no",
                c.reason,
            )
        )
    lines = table(rows, NUMERIC_COLUMNS)
    if not candidates:
        return "no detached ENIs (status available) found"
    deletable = [c for c in candidates if c.deletable]
    verb = "to delete" if applied else "would be deleted with --apply"
    prefixes = sum(len(c.prefixes) for c in deletable)
    lines.append(
        f"{len(candidates)} detached ENIs holding {sum(c.addresses for c in candidates)} addresses; "
        f"{len(deletable)} {verb}, freeing {sum(c.addresses for c in deletable)} addresses"
        + (f" ({prefixes} /28 prefixes among them)" if prefixes else "")
    )
    if any(c.age_hours is None for c in candidates):
        lines.append(f"AGE_H {UNKNOWN_AGE}: no tag says when the ENI was created")
    return "\n".join(lines)


def applied_text(reclaimed: Reclaimed) -> str:
    """One line per ENI ``--apply`` deleted, left alone or failed to delete, then the totals."""
    lines = [
        f"deleted {c.network_interface_id} in {c.subnet_id}: {c.addresses} addresses freed"
        + (f" ({', '.join(c.prefixes)})" if c.prefixes else "")
        for c in reclaimed.deleted
    ]
    lines += [f"left alone {eni_id}: {reason}" for eni_id, reason in reclaimed.skipped]
    lines += [f"failed {eni_id}: {error}" for eni_id, error in reclaimed.failed]
    lines.append(
        f"{len(reclaimed.deleted)} deleted ({sum(c.addresses for c in reclaimed.deleted)} addresses freed), "
        f"{len(reclaimed.skipped)} left alone, {len(reclaimed.failed)} failed"
    )
    return "\n".join(lines)
