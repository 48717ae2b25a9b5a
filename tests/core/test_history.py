"""The forecast's history as the collector keeps it (core/history.py): the same points a CloudWatch read of
the window gives, and an item that reads back as written."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.forecast import Series
from subnet_monitor.core.history import PERIOD_SECONDS, WINDOW_SECONDS, decode, encode, with_point, within

START = 1_764_000_000.0  # a period boundary (divisible by 300)


@given(scans=st.lists(st.tuples(st.floats(0, 3 * WINDOW_SECONDS), st.integers(0, 65_531)), min_size=1, max_size=200))
def test_the_kept_history_is_the_fewest_free_addresses_per_period_within_the_window(
    scans: list[tuple[float, int]],
) -> None:
    # GIVEN scans at any times (in order), each measuring some free addresses
    scans.sort()
    series = None
    for offset, available in scans:
        series = with_point(series, START + offset, available)
    # THEN the history holds, per 5-minute period of the last 6 hours, the fewest free addresses measured in it
    last = START + scans[-1][0]
    expected: dict[float, int] = {}
    for offset, available in scans:
        period = (START + offset) // PERIOD_SECONDS * PERIOD_SECONDS
        if period > last // PERIOD_SECONDS * PERIOD_SECONDS - WINDOW_SECONDS:
            expected[period] = min(available, expected.get(period, available))
    assert list(series) == sorted((t, float(v)) for t, v in expected.items())
    # AND it is at most the window's 72 periods, as the CloudWatch read of the window is
    assert len(series) <= WINDOW_SECONDS // PERIOD_SECONDS


@given(
    histories=st.dictionaries(
        st.from_regex(r"subnet-[0-9a-f]{17}", fullmatch=True),
        st.lists(
            st.tuples(st.integers(0, 10_000), st.integers(0, 65_531)), min_size=1, max_size=72, unique_by=lambda p: p[0]
        ),
        max_size=30,
    )
)
def test_an_item_reads_back_as_written(histories: dict[str, list[tuple[int, int]]]) -> None:
    series = {
        subnet_id: Series([START + PERIOD_SECONDS * p for p, _ in points], [float(v) for _, v in points])
        for subnet_id, points in histories.items()
    }
    assert {k: list(v) for k, v in decode(encode(series)).items()} == {k: list(v) for k, v in series.items()}


def shard(value) -> dict[str, Series]:
    """625 subnets (a shard of 10,000) with the window's 72 periods each."""
    return {
        f"subnet-{i:017x}": Series([START + PERIOD_SECONDS * p for p in range(72)], [value(i, p) for p in range(72)])
        for i in range(625)
    }


def test_a_shard_of_10000_subnets_fits_an_item_even_when_every_value_changes() -> None:
    # DynamoDB's item limit is 400 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html)
    steady = shard(lambda i, p: float(200 - p // 24 - i % 7))  # a few changes a day
    noise = random.Random(15)
    churning = shard(lambda i, p: float(noise.randint(0, 65_531)))  # the worst case: every period, any value
    assert len(encode(steady)) < 10_000
    assert len(encode(churning)) < 400 * 1024 * 0.5


def test_points_older_than_the_window_are_not_the_forecasts() -> None:
    series = Series([START, START + WINDOW_SECONDS], [5.0, 4.0])
    assert list(within(series, START + WINDOW_SECONDS + 1)) == [(START + WINDOW_SECONDS, 4.0)]
    assert list(within(series, START + 3 * WINDOW_SECONDS)) == []
