"""The duration grammar of ``--interval`` and ``--older-than`` (core/durations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.config import ConfigError
from subnet_monitor.core.durations import parse_duration

UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


@given(st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(sorted(UNITS))), min_size=1, max_size=4))
def test_a_duration_is_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    total = sum((n * UNITS[unit] for n, unit in parts), timedelta(0))
    if total < timedelta(seconds=1):
        with pytest.raises(ConfigError, match="longer than zero"):
            parse_duration(text, flag="--interval")
    else:
        assert parse_duration(text, flag="--interval") == total


def test_the_minimum_and_its_reason_are_the_callers() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_duration("59s", flag="--every", at_least=timedelta(minutes=1), too_short="must be at least 1m")
    assert (refused.value.key, refused.value.reason) == ("--every", "must be at least 1m")
