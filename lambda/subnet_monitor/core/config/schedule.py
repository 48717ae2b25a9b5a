"""The collector's schedule: EventBridge Scheduler's ``rate()`` and ``cron()`` grammar and ranges, so an
expression Scheduler would refuse is refused at synth with the field that is wrong, not at deploy.

https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html (the fields, their ranges and
wildcards are those of https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from subnet_monitor.core.config.errors import ConfigError

RATE_PATTERN = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON_PATTERN = re.compile(r"^cron\((\S+ ){5}\S+\)$")
SECONDS_PER_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
# Scheduler documents a rate's value only as "a positive integer"; a year between scans is ours: no alarm
# window of the stack can tell a stopped monitor from one that scans less often (infra/timing.py).
RATE_MAX_SECONDS = 365 * SECONDS_PER_UNIT["day"]
NOT_A_SCHEDULE = "is not a schedule expression: rate(5 minutes) or cron(0/5 * * * ? *)"
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class CronField:
    """One field of a cron expression: its name, range, names for its values, and wildcards."""

    name: str
    low: int
    high: int
    wildcards: str
    names: tuple[str, ...] = ()

    def accepts(self, text: str) -> bool:
        """Whether ``text`` is one value of this field: a number in range, or one of its names."""
        return text.upper() in self.names or (text.isdigit() and self.low <= int(text) <= self.high)


CRON_FIELDS = (
    CronField("minutes", 0, 59, ",-*/"),
    CronField("hours", 0, 23, ",-*/"),
    CronField("day-of-month", 1, 31, ",-*?/LW"),
    CronField("month", 1, 12, ",-*/", MONTHS),
    CronField("day-of-week", 1, 7, ",-*?L#", WEEKDAYS),
    CronField("year", 1970, 2199, ",-*/"),
)


def schedule_period_seconds(expression: Any) -> int | None:
    """Seconds between runs of a ``rate(...)`` expression; ``None`` for a valid ``cron(...)``.

    Raises
    ------
    ConfigError
        when the expression is neither, or one Scheduler would refuse (key ``schedule``).
    """
    if isinstance(expression, str):
        rate = RATE_PATTERN.match(expression)
        if rate:
            value, unit = int(rate.group(1)), rate.group(2)
            # EventBridge wants the singular unit for 1 and the plural otherwise.
            if value == 0 or (value == 1) != (not unit.endswith("s")):
                raise ConfigError("schedule", expression, "needs a positive value, singular unit only for 1")
            seconds = value * SECONDS_PER_UNIT[unit.rstrip("s")]
            if seconds > RATE_MAX_SECONDS:
                raise ConfigError("schedule", expression, "is more than a year (365 days) between scans")
            return seconds
        if CRON_PATTERN.match(expression):
            _check_cron(expression)
            return None
    raise ConfigError("schedule", expression, NOT_A_SCHEDULE)


def _check_cron(expression: str) -> None:
    parts = expression[len("cron(") : -1].split(" ")
    for field, text in zip(CRON_FIELDS, parts, strict=True):
        if not _valid(field, text):
            raise ConfigError(
                "schedule",
                expression,
                f"has {field.name} {text!r}, not one of {field.low}-{field.high}"
                + (f" or {field.names[0]}-{field.names[-1]}" if field.names else "")
                + f", with the wildcards {' '.join(field.wildcards)}",
            )
    day_of_month, day_of_week = parts[2], parts[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ConfigError("schedule", expression, "needs ? in exactly one of day-of-month and day-of-week")


def _valid(field: CronField, text: str) -> bool:
    if text == "?":
        return "?" in field.wildcards
    if "#" in text:  # the nth weekday of the month: the field's only expression
        weekday, _, nth = text.partition("#")
        return "#" in field.wildcards and field.accepts(weekday) and nth in {"1", "2", "3", "4", "5"}
    return all(_item(field, item) for item in text.split(","))


def _item(field: CronField, item: str) -> bool:
    if "L" in field.wildcards and (item == "L" or (field.name == "day-of-month" and item == "LW")):
        return True
    if "W" in field.wildcards and item.endswith("W"):  # the weekday nearest a day of the month
        return field.accepts(item[:-1])
    if field.name == "day-of-week" and item.endswith("L"):  # the last such weekday of the month
        return field.accepts(item[:-1])
    start, slash, step = item.partition("/")
    if slash and ("/" not in field.wildcards or not step.isdigit() or not 1 <= int(step) <= field.high):
        return False
    if start == "*":
        return "*" in field.wildcards
    low, dash, high = start.partition("-")
    return field.accepts(low) and (not dash or ("-" in field.wildcards and field.accepts(high)))
