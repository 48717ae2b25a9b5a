"""The forecast's history as the collector keeps it itself. Pure.

The forecast (core/forecast.py) reads the last 6 hours of each subnet's free addresses, the fewest in each
5-minute period. Read back from CloudWatch every scan, that history costs one ``GetMetricData`` metric per
subnet per scan: $0.086 a subnet-month at ``rate(5 minutes)``, as much as the rest of the ``lean`` setting
bar its one metric (docs/scale-and-cost.md). The collector therefore keeps the same points in its DynamoDB
table (aws/history.py), where the whole estate's history is 16 items read and written once a scan, and reads
CloudWatch only for a subnet the table does not hold yet (the first scan, a new subnet).

Each item holds the subnets of one shard (core/risk.py ``shard_of``) as zlib-compressed JSON: a subnet's
free addresses rarely change from one period to the next, so a shard of 625 subnets (10,000 in all) is about
4 KB, and 129 KB if every value changed every period, within DynamoDB's 400 KB an item
(tests/core/test_history.py).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping

from subnet_monitor.core.forecast import Series

# The forecast's window, 6 hours at 5-minute resolution (72 points, the fewest free addresses in each period):
# long enough to see a trend, short enough to follow a change of pace. The CloudWatch read (scan.py) uses the
# same, so both give the forecast the same points.
WINDOW_SECONDS = 6 * 3600
PERIOD_SECONDS = 300


def with_point(series: Series | None, at: float, available: float) -> Series:
    """``series`` (oldest first) with the free addresses measured at ``at``: the fewest of its period, as
    CloudWatch's ``Minimum`` per period gives them, and nothing older than the window.

    >>> s = with_point(None, 600.0, 40)
    >>> s = with_point(s, 700.0, 38)   # same period: the fewest
    >>> list(with_point(s, 900.0, 41))
    [(600.0, 38.0), (900.0, 41.0)]
    >>> list(with_point(Series([0.0], [9.0]), WINDOW_SECONDS + 300.0, 8))
    [(21900.0, 8.0)]
    """
    period = at // PERIOD_SECONDS * PERIOD_SECONDS
    times, values = [], []
    for time, value in series or ():
        if time > period - WINDOW_SECONDS:
            times.append(time)
            values.append(value)
    if times and times[-1] == period:
        values[-1] = min(values[-1], available)
    else:
        times.append(period)
        values.append(available)
    return Series(times, values)


def within(series: Series, now: float) -> Series:
    """The points of ``series`` in the window before ``now`` (what a CloudWatch read of the window returns)."""
    start = now - WINDOW_SECONDS
    if not series or series[0][0] >= start:
        return series  # all of it (points are oldest first): no copy
    return Series(*zip(*((t, v) for t, v in series if t >= start), strict=True))


def encode(histories: Mapping[str, Series]) -> bytes:
    """One item's histories, compressed: ``{"subnet-…": [[periods since the first], [free addresses]]}``."""
    base = min((times for series in histories.values() for times, _ in series[:1]), default=0.0)
    payload = {
        "base": base,
        "subnets": {
            subnet_id: [
                [round((time - base) / PERIOD_SECONDS) for time, _ in series],
                [round(value) for _, value in series],
            ]
            for subnet_id, series in sorted(histories.items())
        },
    }
    return zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9)


def decode(data: bytes) -> dict[str, Series]:
    """:func:`encode`'s inverse. An item that does not read back (edited by hand, cut) gives nothing: those
    subnets' history is read from CloudWatch again, which is the safe side.

    >>> decode(encode({"subnet-0a": Series([600.0, 900.0], [40.0, 41.0])}))["subnet-0a"][-1]
    (900.0, 41.0)
    >>> decode(b"not zlib")
    {}
    """
    try:
        payload = json.loads(zlib.decompress(data))
        base = float(payload["base"])
        return {
            str(subnet_id): Series((base + period * PERIOD_SECONDS for period in periods), values)
            for subnet_id, (periods, values) in payload["subnets"].items()
        }
    except (zlib.error, ValueError, TypeError, KeyError, AttributeError):
        return {}
