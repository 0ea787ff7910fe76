from __future__ import annotations

import pytest

from labctl.engine.trend import Trend


def ramp(
    trend: Trend, start: float, stop: float, k_per_s: float, *, every: float = 1.0, v0: float = 0.0
) -> None:
    t = start
    while t <= stop:
        trend.add(t, v0 + k_per_s * (t - start))
        t += every


def test_slope_of_a_ramp_in_k_per_minute() -> None:
    trend = Trend()
    ramp(trend, 0.0, 30.0, 0.1)
    assert trend.per_minute() == pytest.approx(6.0)


def test_falling_ramp_has_a_negative_slope() -> None:
    trend = Trend()
    ramp(trend, 0.0, 30.0, -0.05, v0=20.0)
    assert trend.per_minute() == pytest.approx(-3.0)


def test_flat_readings_have_zero_slope() -> None:
    trend = Trend()
    ramp(trend, 0.0, 30.0, 0.0, v0=4.0)
    assert trend.per_minute() == pytest.approx(0.0)


def test_none_until_the_window_spans_20_s() -> None:
    trend = Trend()
    ramp(trend, 0.0, 19.0, 0.1)
    assert trend.per_minute() is None
    trend.add(20.0, 2.0)
    assert trend.per_minute() == pytest.approx(6.0)


def test_none_with_fewer_than_three_points_even_over_a_long_span() -> None:
    trend = Trend()
    trend.add(0.0, 0.0)
    trend.add(30.0, 3.0)
    assert trend.per_minute() is None


def test_none_when_empty() -> None:
    assert Trend().per_minute() is None


def test_one_noisy_sample_barely_moves_the_slope() -> None:
    trend = Trend()
    ramp(trend, 0.0, 59.0, 0.0, v0=4.0)
    quiet = trend.per_minute()
    trend.add(60.0, 5.0)
    noisy = trend.per_minute()
    assert quiet == pytest.approx(0.0)
    assert noisy is not None
    assert abs(noisy) < 0.1


def test_old_points_drop_out_of_the_60_s_window() -> None:
    trend = Trend()
    ramp(trend, 0.0, 39.0, 0.0, v0=0.0)  # flat, then a ramp: only the ramp is left in the window
    ramp(trend, 40.0, 100.0, 0.1, v0=0.0)
    assert trend.per_minute() == pytest.approx(6.0)


def test_window_keeps_a_point_exactly_window_s_old() -> None:
    trend = Trend(window_s=60.0)
    trend.add(0.0, 100.0)
    ramp(trend, 10.0, 60.0, 0.1, every=10.0)
    with_outlier = trend.per_minute()
    trend.add(61.0, 5.1)
    assert with_outlier is not None
    assert with_outlier < 0  # the outlier at t=0 is still counted
    assert trend.per_minute() == pytest.approx(6.0)  # ...and gone once it is more than 60 s old


def test_repeated_or_earlier_timestamps_are_ignored() -> None:
    trend = Trend()
    ramp(trend, 0.0, 30.0, 0.1)
    trend.add(30.0, 100.0)
    trend.add(10.0, -100.0)
    assert trend.per_minute() == pytest.approx(6.0)


def test_clear_forgets_everything() -> None:
    trend = Trend()
    ramp(trend, 0.0, 30.0, 0.1)
    trend.clear()
    assert trend.per_minute() is None
    ramp(trend, 31.0, 61.0, -0.1)
    assert trend.per_minute() == pytest.approx(-6.0)
