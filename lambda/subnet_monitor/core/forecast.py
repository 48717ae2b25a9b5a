"""When a subnet runs out: a trend through its recent used-address history. Pure: no AWS, no I/O.

Why Theil–Sen and not least squares. The series is small (an hour to a day of scans, 12–288
points) and its values are integer steps with bursts: a rolling deployment doubles a service's
tasks for a few minutes, a node group scales out and back. Least squares lets one such burst
near either end swing the slope; the Theil–Sen estimator (the median of the slopes between
every pair of points) ignores up to ~29 % of wild points and is exact on a straight line
(Sen 1968, "Estimates of the regression coefficient based on Kendall's tau", JASA 63:1379).
At 288 points it is 41,328 pairs, a few milliseconds; longer series are thinned evenly to
:data:`MAX_POINTS` first.

When not to trust it. The same pairs give the Mann–Kendall statistic S (rising pairs minus
falling pairs). A forecast is made only when the rise is significant: z = (S − 1) / sqrt(Var S)
at least :data:`TREND_MIN_Z` (one-sided 95 %), with the variance corrected for tied values,
which integer address counts have plenty of (Gilbert 1987, "Statistical Methods for
Environmental Pollution Monitoring", ch. 16). The test assumes independent points, and a used-
address series is anything but: a daily swing seen over its rising half looks like a trend. So
Var S is inflated by the series' persistence, n/n* = 1 + (2/n)·Σ (n − k)·ρ^k with ρ the lag-1
autocorrelation of the residuals from the fitted line, when positive (the effective-sample-size
correction of Yue & Wang 2004, Water Resources Management 18:201, for AR(1) persistence). A
steady rise, even in steps or with bursts, stays significant; an oscillation, noise that hides
the trend, a flat line and a falling one give "no forecast" rather than a number.
"""

from __future__ import annotations

import itertools
import math
import statistics
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

SECONDS_PER_HOUR = 3600.0
# Fewer points, or a shorter stretch of time, say too little to call a trend: half an hour of
# 5-minute scans at the least (7 points). With 6 points a perfect rise has z = 2.6, so the
# significance test can pass; with fewer it barely can (5 points: z = 2.2, 4 points: 1.7).
MIN_POINTS = 6
MIN_SPAN_SECONDS = 1800.0
# Theil–Sen is quadratic in the number of points; a day of 5-minute scans is 288.
MAX_POINTS = 288
# One-sided 95 % quantile of the standard normal: the rise must be this significant.
TREND_MIN_Z = 1.645
# Residual spread below this (relative to the values' size) is rounding, not persistence.
RESIDUAL_EPSILON = 1e-18


class Series(Sequence[tuple[float, float]]):
    """``(epoch seconds, value)`` points, oldest first, held as two arrays of doubles.

    The history of 10,000 subnets is 720,000 points: 16 bytes each here, against ~100 as tuples of
    floats, which kept whole would take a quarter of a 256 MB function.

    >>> series = Series([60.0, 0.0], [5.0, 4.0])
    >>> list(series), len(series), series[-1]
    ([(0.0, 4.0), (60.0, 5.0)], 2, (60.0, 5.0))
    >>> list(series.map_values(lambda v: 10 - v))
    [(0.0, 6.0), (60.0, 5.0)]
    """

    __slots__ = ("_times", "_values")

    def __init__(self, times: Iterable[float] = (), values: Iterable[float] = ()) -> None:
        self._times = array("d", times)
        self._values = array("d", values)
        if len(self._times) != len(self._values):
            raise ValueError(f"{len(self._times)} timestamps but {len(self._values)} values")
        if any(later < earlier for earlier, later in itertools.pairwise(self._times)):
            order = sorted(range(len(self._times)), key=self._times.__getitem__)
            self._times = array("d", (self._times[i] for i in order))
            self._values = array("d", (self._values[i] for i in order))

    def map_values(self, function: Callable[[float], float]) -> Series:
        """The same timestamps with each value passed through ``function``."""
        return Series(self._times, map(function, self._values))

    def __len__(self) -> int:
        return len(self._times)

    @overload
    def __getitem__(self, index: int) -> tuple[float, float]: ...
    @overload
    def __getitem__(self, index: slice) -> Series: ...
    def __getitem__(self, index: int | slice) -> tuple[float, float] | Series:
        if isinstance(index, slice):
            return Series(self._times[index], self._values[index])
        return self._times[index], self._values[index]

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return zip(self._times, self._values, strict=True)


@dataclass(frozen=True)
class Trend:
    """A robust straight line through the history.

    ``slope_per_hour``: addresses per hour (Theil–Sen). ``level``: the line's value at the newest
    point, i.e. the used addresses now without the noise; ``latest``: the newest point as
    measured. ``z``: the Mann–Kendall statistic, corrected for ties and persistence, positive
    when rising; ``z >= TREND_MIN_Z`` means the rise is significant. ``persistence``: lag-1
    autocorrelation of the residuals (0 for a clean line or white noise, near 1 for a swing).
    """

    slope_per_hour: float
    level: float
    latest: float
    z: float
    persistence: float
    points: int
    span_hours: float

    @property
    def rising(self) -> bool:
        return self.slope_per_hour > 0 and self.z >= TREND_MIN_Z


def _clean(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Oldest first, one value per timestamp (the last one given wins), finite values only."""
    by_time: dict[float, float] = {}
    for timestamp, value in points:
        if math.isfinite(timestamp) and math.isfinite(value):
            by_time[float(timestamp)] = float(value)
    return sorted(by_time.items())


def _thin(series: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    """At most ``limit`` points spread evenly over the series, first and last kept."""
    count = len(series)
    if count <= limit:
        return series
    step = (count - 1) / (limit - 1)
    return [series[round(index * step)] for index in range(limit)]


def _mann_kendall_z(score: int, values: Sequence[float], variance_factor: float) -> float:
    count = len(values)
    ties = Counter(values).values()
    variance = (count * (count - 1) * (2 * count + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties)) / 18
    if variance <= 0 or score == 0:
        return 0.0
    # Continuity correction: S moves in steps of 2 (Gilbert 1987, ch. 16).
    return (score - 1 if score > 0 else score + 1) / math.sqrt(variance * variance_factor)


def _lag1_autocorrelation(residuals: Sequence[float], scale: float) -> float:
    """Lag-1 autocorrelation; 0 when the residuals are (numerically) all the same."""
    mean = statistics.fmean(residuals)
    centred = [residual - mean for residual in residuals]
    spread = sum(value * value for value in centred)
    # A perfect line leaves only rounding noise, which has no persistence worth the name.
    if spread <= RESIDUAL_EPSILON * len(residuals) * scale * scale:
        return 0.0
    return sum(a * b for a, b in itertools.pairwise(centred)) / spread


def _persistence_factor(rho: float, count: int) -> float:
    """n/n* for AR(1) persistence ``rho`` (Yue & Wang 2004); 1 when ``rho`` is not positive."""
    if rho <= 0:
        return 1.0
    return 1 + 2 / count * sum((count - lag) * rho**lag for lag in range(1, count))


def may_rise(points: Sequence[tuple[float, float]]) -> bool:
    """Whether :func:`fit_trend` could call this history rising; ``False`` only when it cannot.

    The persistence correction only ever inflates the variance (n/n* ≥ 1), so z is at most
    (S − 1) / sqrt(Var S) with the tie correction alone; that bound, with S counted in O(n log n)
    (earlier values below minus above each point), settles a flat, noisy or falling history — most
    subnets, most scans — without the O(n²) pairs of the slope.
    """
    values = [value for _, value in _thin(_clean(points), MAX_POINTS)]
    score = 0
    seen: list[float] = []
    for value in values:
        score += bisect_left(seen, value) - (len(seen) - bisect_right(seen, value))
        insort(seen, value)
    return score > 0 and _mann_kendall_z(score, values, 1.0) >= TREND_MIN_Z


def fit_trend(points: Sequence[tuple[float, float]]) -> Trend | None:
    """Theil–Sen line and Mann–Kendall z of ``(epoch seconds, used addresses)`` points.

    ``None`` when there are fewer than :data:`MIN_POINTS` distinct timestamps or they span less
    than :data:`MIN_SPAN_SECONDS`.
    """
    series = _thin(_clean(points), MAX_POINTS)
    if len(series) < MIN_POINTS:
        return None
    newest = series[-1][0]
    span_seconds = newest - series[0][0]
    if span_seconds < MIN_SPAN_SECONDS:
        return None
    # Hours before the newest point: small numbers, so no precision lost to epoch magnitudes.
    hours = [(timestamp - newest) / SECONDS_PER_HOUR for timestamp, _ in series]
    values = [value for _, value in series]
    slopes: list[float] = []
    score = 0
    for i in range(len(series) - 1):
        hour_i, value_i = hours[i], values[i]
        for j in range(i + 1, len(series)):
            rise = values[j] - value_i
            slopes.append(rise / (hours[j] - hour_i))
            score += (rise > 0) - (rise < 0)
    slope = statistics.median(slopes)
    # Sen's intercept: the median of what each point says the line is at the newest time.
    level = statistics.median(value - slope * hour for hour, value in zip(hours, values, strict=True))
    residuals = [value - (level + slope * hour) for hour, value in zip(hours, values, strict=True)]
    rho = _lag1_autocorrelation(residuals, scale=max(1.0, *(abs(value) for value in values)))
    return Trend(
        slope_per_hour=slope,
        level=level,
        latest=values[-1],
        z=_mann_kendall_z(score, values, _persistence_factor(rho, len(values))),
        persistence=rho,
        points=len(series),
        span_hours=span_seconds / SECONDS_PER_HOUR,
    )


def hours_to_exhaustion(points: Sequence[tuple[float, float]], usable: int) -> float | None:
    """Hours until a subnet's used addresses reach ``usable``, from its recent history.

    ``points`` are ``(epoch seconds, used addresses)``, any order. ``None`` — no forecast — when
    the history is too short (:func:`fit_trend`), when consumption is flat or falling, or when
    the rise is not significant against the noise and the series' own swings (Mann–Kendall z,
    corrected for persistence, below :data:`TREND_MIN_Z`).
    Otherwise (usable − level now) / slope, where the level is the fitted line at the newest
    point; 0.0 when a rising subnet is already full (the line or the newest point at
    ``usable``). A subnet that filled up and stays full is flat, so it gets ``None`` like any
    flat one: its status and ``AvailableIPCount`` say it is full, the forecast only says when.

    >>> hour = 3600
    >>> hours_to_exhaustion([(k * hour, 100 + 10 * k) for k in range(6)], usable=251)
    10.1
    """
    if usable < 0:
        raise ValueError(f"usable must be 0 or more, got {usable}")
    if not may_rise(points):
        return None
    trend = fit_trend(points)
    if trend is None or not trend.rising:
        return None
    if trend.level >= usable or trend.latest >= usable:
        return 0.0
    return (usable - trend.level) / trend.slope_per_hour
