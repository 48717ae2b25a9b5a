"""Time to exhaustion from synthetic used-address histories. Pure: no AWS, no mocks."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.forecast import (
    MAX_POINTS,
    MIN_POINTS,
    MIN_SPAN_SECONDS,
    TREND_MIN_Z,
    Series,
    fit_trend,
    hours_to_exhaustion,
    may_rise,
)

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
FIVE_MINUTES = 300.0
USABLE_SLASH_24 = 251


def line(count: int, start_used: float, per_hour: float, step: float = FIVE_MINUTES) -> list[tuple[float, float]]:
    return [(START + k * step, start_used + per_hour * k * step / 3600) for k in range(count)]


def test_a_perfect_rise_gives_the_exact_answer() -> None:
    # GIVEN a day of 5-minute scans, used rising by 24 addresses an hour from 100
    points = line(24, 100, per_hour=24)  # 2 hours: 100 .. 146

    # WHEN the forecast is made for a /24
    hours = hours_to_exhaustion(points, USABLE_SLASH_24)

    # THEN it is the straight line's answer: (251 - 146) / 24
    assert hours == pytest.approx((251 - 146) / 24, rel=1e-9)


def test_the_trend_reports_slope_level_and_significance() -> None:
    trend = fit_trend(line(24, 100, per_hour=24))
    assert trend is not None
    assert trend.slope_per_hour == pytest.approx(24)
    assert trend.level == pytest.approx(146)
    assert trend.latest == pytest.approx(146)
    assert trend.z > TREND_MIN_Z
    assert (trend.points, trend.span_hours) == (24, pytest.approx(23 / 12))
    assert trend.rising


def test_flat_consumption_gives_no_forecast() -> None:
    assert hours_to_exhaustion(line(48, 180, per_hour=0), USABLE_SLASH_24) is None


def test_falling_consumption_gives_no_forecast() -> None:
    assert hours_to_exhaustion(line(48, 200, per_hour=-6), USABLE_SLASH_24) is None


def test_a_noisy_rise_lands_close_to_the_truth() -> None:
    # GIVEN a day of 5-minute scans rising 3 an hour, with whole-address noise (sd 4)
    rng = random.Random(20260101)
    points = [(t, round(v + rng.gauss(0, 4))) for t, v in line(288, 1_000, per_hour=3)]
    truth = (4_091 - (1_000 + 3 * 287 / 12)) / 3  # a /20; the noiseless line's answer

    # WHEN the forecast is made
    hours = hours_to_exhaustion(points, 4_091)

    # THEN it is within 2 % of the noiseless answer
    assert hours is not None
    assert hours == pytest.approx(truth, rel=0.02)


def test_noise_without_a_trend_rarely_gives_a_forecast() -> None:
    # GIVEN 400 six-hour histories wandering around 150 with no trend at all
    series = []
    for seed in range(400):
        rng = random.Random(seed)
        series.append([(START + k * FIVE_MINUTES, 150 + rng.randint(-6, 6)) for k in range(72)])

    # WHEN each is forecast
    forecasts = [hours_to_exhaustion(points, USABLE_SLASH_24) for points in series]

    # THEN the significance test turns nearly all of them away: a one-sided 95 % test lets about
    # one in twenty through by chance, and no more than that
    false_alarms = sum(hours is not None for hours in forecasts)
    assert false_alarms / len(series) <= 0.08


@pytest.mark.parametrize("phase", range(0, 36, 3))
def test_a_swing_without_drift_gives_no_forecast_whatever_its_phase(phase: int) -> None:
    # GIVEN six hours of a +-20 swing with a three-hour period and no drift; seen from some phases
    # it rises over the window (plain Mann-Kendall calls that significant: z = 3.1 at phase 18)
    points = [(START + k * FIVE_MINUTES, 150 + round(20 * math.sin(2 * math.pi * (k + phase) / 36))) for k in range(72)]

    # WHEN the trend is fitted
    trend = fit_trend(points)

    # THEN its persistence is recognised and the rise, if any, is not significant
    assert trend is not None
    assert trend.persistence > 0.9
    assert not trend.rising
    assert hours_to_exhaustion(points, USABLE_SLASH_24) is None


def test_a_staircase_rise_is_a_trend() -> None:
    # GIVEN one more address every half hour (a task at a time), a day of 5-minute scans
    points = [(START + k * FIVE_MINUTES, 100 + k // 6) for k in range(288)]

    # WHEN / THEN the steps do not hide the rise: 2 addresses an hour from about 147
    hours = hours_to_exhaustion(points, USABLE_SLASH_24)
    assert hours is not None
    assert hours == pytest.approx((251 - 147.5) / 2, rel=0.02)


def test_a_deployment_burst_does_not_swing_the_forecast() -> None:
    # GIVEN a steady rise of 6 an hour, with a rolling deployment doubling 40 tasks for the last
    # three scans (the kind of burst that drags a least-squares slope)
    points = line(72, 100, per_hour=6)
    burst = [(t, v + 40) for t, v in points[-3:]]
    noisy = points[:-3] + burst

    # WHEN the forecast is made
    steady = hours_to_exhaustion(points, USABLE_SLASH_24)
    with_burst = hours_to_exhaustion(noisy, USABLE_SLASH_24)

    # THEN the burst barely moves it (Theil-Sen ignores a few wild points)
    assert steady is not None
    assert with_burst is not None
    assert with_burst == pytest.approx(steady, rel=0.05)


@pytest.mark.parametrize(
    "points",
    [
        [],
        line(MIN_POINTS - 1, 100, per_hour=60, step=3600),  # too few points
        line(7, 100, per_hour=60, step=60),  # enough points, 6 minutes of history
        [(START, 100.0)] * 20,  # one timestamp, repeated
    ],
    ids=["empty", "too-few-points", "too-short-span", "one-timestamp"],
)
def test_too_short_a_history_gives_no_forecast(points: list[tuple[float, float]]) -> None:
    assert fit_trend(points) is None
    assert hours_to_exhaustion(points, USABLE_SLASH_24) is None


def test_the_minimum_history_is_enough() -> None:
    count = MIN_POINTS
    step = MIN_SPAN_SECONDS / (count - 1)
    assert hours_to_exhaustion(line(count, 100, per_hour=10, step=step), USABLE_SLASH_24) is not None


def test_an_already_full_subnet_gives_zero() -> None:
    # GIVEN a rise that has reached every usable address
    points = line(24, 200, per_hour=30)  # 200 .. 257.5 > 251
    assert hours_to_exhaustion(points, USABLE_SLASH_24) == 0.0
    # AND one that reached it exactly at the newest scan
    exact = line(24, 251 - 23, per_hour=12)  # ends at 251
    assert hours_to_exhaustion(exact, USABLE_SLASH_24) == 0.0


def test_order_and_duplicate_timestamps_do_not_matter() -> None:
    points = line(48, 100, per_hour=5)
    shuffled = points[:]
    random.Random(3).shuffle(shuffled)
    # A timestamp read twice: the last value given for it wins.
    repeated = [*shuffled, (points[10][0], 999.0), points[10]]
    assert hours_to_exhaustion(shuffled, USABLE_SLASH_24) == hours_to_exhaustion(points, USABLE_SLASH_24)
    assert hours_to_exhaustion(repeated, USABLE_SLASH_24) == hours_to_exhaustion(points, USABLE_SLASH_24)


def test_long_histories_are_thinned_not_cut() -> None:
    # GIVEN a week of 5-minute scans (2016 points), a perfect rise
    points = line(2_016, 100, per_hour=1)

    # WHEN the trend is fitted
    trend = fit_trend(points)

    # THEN at most MAX_POINTS are used, still spanning the whole week, and the answer is exact
    assert trend is not None
    assert trend.points == MAX_POINTS
    assert trend.span_hours == pytest.approx(2_015 / 12)
    newest = 100 + 2_015 / 12
    assert hours_to_exhaustion(points, 4_091) == pytest.approx(4_091 - newest, rel=1e-9)


def test_a_negative_usable_count_is_refused() -> None:
    with pytest.raises(ValueError, match="usable"):
        hours_to_exhaustion(line(24, 100, per_hour=1), -1)


@given(
    count=st.integers(MIN_POINTS + 1, 120),
    step=st.floats(60, 3_600),
    start_used=st.integers(0, 1_000),
    per_hour=st.floats(0.05, 500),
    headroom=st.integers(1, 60_000),
)
def test_any_perfect_rise_is_answered_exactly(
    count: int, step: float, start_used: int, per_hour: float, headroom: int
) -> None:
    points = line(count, start_used, per_hour, step)
    if points[-1][0] - points[0][0] < MIN_SPAN_SECONDS:
        assert hours_to_exhaustion(points, 1) is None
        return
    newest = points[-1][1]
    usable = int(newest) + headroom
    assert hours_to_exhaustion(points, usable) == pytest.approx((usable - newest) / per_hour, rel=1e-6)


@given(values=st.lists(st.integers(0, 65_531), min_size=MIN_POINTS, max_size=100))
def test_consumption_that_never_rises_gives_no_forecast(values: list[int]) -> None:
    falling = sorted(values, reverse=True)
    points = [(START + k * FIVE_MINUTES * 10, float(v)) for k, v in enumerate(falling)]
    assert hours_to_exhaustion(points, 65_531) is None


@given(
    values=st.lists(st.integers(0, 40), min_size=1, max_size=90),
    drift=st.sampled_from([0.0, 0.02, 0.2, 1.0]),
)
def test_the_quick_screen_never_hides_a_rise(values: list[int], drift: float) -> None:
    # GIVEN any history: small integer counts (many ties), with or without a drift upwards
    points = [(START + k * FIVE_MINUTES, v + drift * k) for k, v in enumerate(values)]

    # WHEN the O(n log n) screen says no rise is possible
    trend = fit_trend(points)

    # THEN the full fit agrees: no trend, or none that is rising (the screen is a bound, not a guess)
    if not may_rise(points):
        assert trend is None or not trend.rising


def test_the_quick_screen_lets_a_real_rise_through() -> None:
    assert may_rise(line(24, 100, per_hour=24))
    assert not may_rise(line(48, 180, per_hour=0))
    assert not may_rise(line(48, 200, per_hour=-6))


def test_the_compact_series_forecasts_like_the_points_it_holds() -> None:
    # GIVEN a rising history as tuples, and the same points as the scan holds them (two arrays, unsorted in)
    points = line(24, 100, per_hour=24)
    shuffled = list(reversed(points))
    series = Series([t for t, _ in shuffled], [v for _, v in shuffled])

    # THEN the forecast is the same
    assert hours_to_exhaustion(series, 1_000) == hours_to_exhaustion(points, 1_000) is not None
    with pytest.raises(ValueError, match="3 timestamps but 2 values"):
        Series([1.0, 2.0, 3.0], [1.0, 2.0])
