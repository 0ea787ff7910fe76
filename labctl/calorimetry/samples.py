"""The readings calorimetry works on, and the two things it asks of a series of them: the slope of Tr around a
time, and a temperature at a time between two readings."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from labctl.calorimetry.least_squares import SingularFit, slope


@dataclass(frozen=True)
class ThermalSample:
    """One poll's reaction-mass and jacket temperatures, both read at `t_s` (a poll with either missing is not a
    sample: a heat balance never guesses a temperature)."""

    t_s: float
    tr_c: float
    tj_c: float


def interpolate(ts: Sequence[float], ys: Sequence[float], t: float) -> float | None:
    """ys at t, linear between the two readings around it; None outside the series."""
    if not ts or t < ts[0] or t > ts[-1]:
        return None
    i = bisect.bisect_left(ts, t)
    if ts[i] == t:
        return ys[i]
    t0, t1 = ts[i - 1], ts[i]
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (t - t0) / (t1 - t0)


def window_slope(ts: Sequence[float], ys: Sequence[float], low: float, high: float) -> float | None:
    """The least-squares slope of the readings in [low, high]; None unless at least three readings span most
    of the window (a gap in the polls is not a flat line)."""
    i, j = bisect.bisect_left(ts, low), bisect.bisect_right(ts, high)
    if j - i < 3 or ts[j - 1] - ts[i] < 0.6 * (high - low):
        return None
    try:
        return slope(ts[i:j], ys[i:j])
    except SingularFit:
        return None
