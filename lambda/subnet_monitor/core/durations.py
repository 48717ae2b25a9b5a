"""Durations as users type them on the command line: ``30s``, ``5m``, ``1h30m``, ``2d``, ``1w``."""

from __future__ import annotations

import re
from datetime import timedelta

from subnet_monitor.core.config.errors import ConfigError

_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(
    text: str, *, flag: str, at_least: timedelta = timedelta(seconds=1), too_short: str = "must be longer than zero"
) -> timedelta:
    """``90m``, ``6h``, ``2d``, ``1h30m`` as a duration of at least ``at_least`` (else ``too_short``
    says why).

    >>> parse_duration("1h30m", flag="--interval")
    datetime.timedelta(seconds=5400)

    Raises
    ------
    ConfigError
        naming ``flag``: not a duration (``3x``, ``-1h``, ``1.5h``, a bare ``5``), shorter than
        ``at_least``, or too long for a ``timedelta``.
    """
    if not _WHOLE.fullmatch(text.strip()):
        raise ConfigError(flag, text, "must be a duration such as 30s, 5m, 6h, 2d or 1h30m (units s, m, h, d, w)")
    try:
        duration = timedelta(seconds=sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(text)))
    except OverflowError:
        raise ConfigError(flag, text, "is longer than a datetime can hold") from None
    if duration < at_least:
        raise ConfigError(flag, text, too_short)
    return duration
