"""Unreacted oxidant measured from the heat curve, against the physics world's own solid KMnO4, over the spec's
ranges of τ, ΔH and UA; and the consumption clock that stops while the mass is not stirred or Tr is unknown."""

from __future__ import annotations

import pytest

from labctl.calorimetry.accumulation import AccumulationEstimate, MeasuredAccumulation
from tests.calorimetry.batch import COOL_DOWN_S, Batch, Dosing, config, true_heat_capacity

SCENARIOS = [
    ({}, 1),
    ({"dissolution_tau_0c_s": 300.0, "dosing_enthalpy_j_mol": -150e3}, 2),
    ({"dissolution_tau_0c_s": 1200.0, "dosing_enthalpy_j_mol": -270e3, "ua_w_k": 3.0}, 3),
    ({"ua_w_k": 10.0, "sensor_tau_s": 20.0}, 4),
]


@pytest.mark.parametrize(("changes", "seed"), SCENARIOS)
def test_the_heat_curve_gives_the_consumption_time_the_rise_per_mole_and_what_is_left(
    changes: dict[str, float], seed: int
) -> None:
    cfg = config(**changes)
    dosing = Dosing(Batch(cfg, seed))
    dosing.run(60 * 60)
    last, _ = dosing.fits[-1]
    assert last.tau_0c_s == pytest.approx(cfg.dissolution_tau_0c_s, rel=0.10)
    assert last.rise_k_mol == pytest.approx(-cfg.dosing_enthalpy_j_mol / true_heat_capacity(cfg), rel=0.06)
    assert last.dosed_mol == pytest.approx(10 * 4.75 / 158.034, rel=0.03)
    settled = [(e, true) for e, true in dosing.fits if e.at_s - dosing.fits[0][0].at_s >= 7 * 60]
    assert settled
    for estimate, true in settled:  # an error towards more accumulation is the safe one
        assert -0.06 <= (estimate.unreacted_mol - true) / estimate.dosed_mol <= 0.10
    for estimate, true in dosing.fits:
        assert estimate.unreacted_high_mol >= true - 0.01 * estimate.dosed_mol


def test_the_first_fit_waits_for_two_minutes_of_heat_after_the_first_portion() -> None:
    dosing = Dosing(Batch(config()))
    dosing.run(4 * 60)
    first, _ = dosing.fits[0]
    assert first.at_s - COOL_DOWN_S >= 120.0 + 30.0  # two minutes of heat, then the half-window and the bin


def test_the_mtsr_is_tr_plus_the_measured_rise_of_what_is_left() -> None:
    estimate = AccumulationEstimate(0.0, 0.1, 0.3, 600.0, 160.0, 10, 0.15, 30.0)
    assert estimate.mtsr_c(2.5) == pytest.approx(18.5)
    assert estimate.unreacted_fraction == pytest.approx(1 / 3)


def test_while_the_stirrer_stands_nothing_is_counted_as_consumed() -> None:
    dosing = Dosing(Batch(config()))
    dosing.run(25 * 60, stir_off_s=5 * 60 + 30, stir_on_s=17 * 60 + 30)
    fits = [(e.at_s - COOL_DOWN_S, e, true) for e, true in dosing.fits]
    standing = [
        (e, true) for t, e, true in fits if 11 * 60 <= t <= 17 * 60
    ]  # the last portion landed by 10:00
    assert len(standing) >= 6
    left = [e.unreacted_mol for e, _ in standing]
    assert max(left) - min(left) <= 0.001 * max(left)
    for estimate, true in standing:
        assert estimate.unreacted_high_mol >= true - 0.01 * estimate.dosed_mol
        assert estimate.unreacted_high_mol >= estimate.unreacted_mol
    after = [e.unreacted_mol for t, e, _ in fits if t >= 21 * 60]
    assert after[-1] < 0.8 * left[-1]  # consumed again once stirred


def test_an_unknown_tr_stops_the_consumption_clock() -> None:
    accumulation = MeasuredAccumulation()
    accumulation.advance(0.0, 0.0, True)
    accumulation.advance(60.0, None, True)
    accumulation.advance(120.0, 0.0, True)
    accumulation.advance(180.0, 0.0, False)
    accumulation.advance(240.0, 0.0, True)
    # 0–60 s at 0 °C counts, 60–120 s (no Tr) and 180–240 s (not stirred) do not
    assert accumulation._theta(240.0) == pytest.approx(120.0)


def test_nothing_is_estimated_before_an_addition() -> None:
    accumulation = MeasuredAccumulation()
    accumulation.advance(0.0, 2.5, True)
    assert accumulation.estimate(10.0) is None
