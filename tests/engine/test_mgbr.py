"""The MgBr loss estimate: half-life 4 h at −40 °C, minutes at −20 °C, seconds at 0 °C, nothing below −45 °C."""

from __future__ import annotations

import math

import pytest

from labctl.engine.mgbr import MgBrDecay


def _hold(tr_c: float | None, seconds: float, present: bool = True) -> MgBrDecay:
    decay = MgBrDecay([present])
    decay.advance(0.0, tr_c, 0)
    decay.advance(seconds, tr_c, 0)
    return decay


def test_half_is_lost_in_four_hours_at_minus_40() -> None:
    assert _hold(-40.0, 4 * 3600).lost == pytest.approx(0.5, rel=1e-6)


def test_minutes_at_minus_20_and_seconds_at_0() -> None:
    decay = MgBrDecay([True])
    half_life_m20 = math.log(2) / decay.rate_per_s(-20.0)
    half_life_0 = math.log(2) / decay.rate_per_s(0.0)
    assert 3 * 60 < half_life_m20 < 10 * 60
    assert 5 < half_life_0 < 60


def test_nothing_is_lost_below_minus_45_or_when_no_mgbr_is_in_the_vessel() -> None:
    assert _hold(-45.5, 7 * 86400).lost == 0.0
    assert _hold(-20.0, 3600, present=False).lost == 0.0


def test_unknown_temperature_counts_nothing_and_that_time_is_not_counted_later() -> None:
    decay = MgBrDecay([True])
    decay.advance(0.0, -40.0, 0)
    decay.advance(3600.0, None, 0)
    decay.advance(3600.0 + 60.0, -40.0, 0)
    assert decay.lost == pytest.approx(1 - 0.5 ** (60 / (4 * 3600)), rel=1e-6)


def test_more_than_ten_percent_lost_after_40_minutes_at_minus_40() -> None:
    assert _hold(-40.0, 37 * 60).lost > 0.10
    assert _hold(-40.0, 35 * 60).lost < 0.10


def _reacting_hold(tr_c: float, seconds: float) -> MgBrDecay:
    decay = MgBrDecay([True], [True])
    decay.advance(0.0, tr_c, 0)
    decay.advance(seconds, tr_c, 0)
    return decay


@pytest.mark.parametrize("tr_c", [-44.0, -43.0, -41.5, -40.2])
def test_a_step_that_consumes_mgbr_counts_no_loss_below_minus_40(tr_c: float) -> None:
    """The KCp* hold runs for hours near −40 °C (the paper's procedure): the reaction, not the decay, uses it up."""
    assert _reacting_hold(tr_c, 6 * 3600).lost == 0.0
    assert _hold(tr_c, 6 * 3600).lost > 0.10  # the same hours in storage would lose it


@pytest.mark.parametrize(("tr_c", "minutes"), [(-39.0, 60), (-30.0, 10), (-20.0, 2)])
def test_a_step_that_consumes_mgbr_still_loses_it_above_minus_40(tr_c: float, minutes: float) -> None:
    reacting, stored = _reacting_hold(tr_c, minutes * 60), _hold(tr_c, minutes * 60)
    assert reacting.lost == pytest.approx(stored.lost)
    assert reacting.lost > 0.10


def test_the_reacting_steps_are_those_that_consume_it() -> None:
    decay = MgBrDecay([True, True, False], [False, True, False])
    for t, index in [(0.0, 0), (3600.0, 0), (7200.0, 1), (10800.0, 2)]:
        decay.advance(t, -43.0, index)
    stored_hour = _hold(-43.0, 3600).lost
    assert stored_hour > 0.05
    assert decay.lost == pytest.approx(stored_hour, rel=1e-6)  # the storage hour only
