"""UA fitted on the cool-down before dosing, against the physics world over the spec's ranges (UA 3–10 W/K,
probe lag 5–20 s, noise, the poll period), and what a calibration refuses to stand on."""

from __future__ import annotations

import pytest

from labctl.calorimetry.calibration import CalibrationLimits, calibrate
from labctl.calorimetry.errors import CalibrationRejected
from labctl.calorimetry.samples import ThermalSample
from tests.calorimetry.batch import COOL_DOWN_S, Batch, config, effective_ua, true_heat_capacity


@pytest.mark.parametrize("ua", [3.0, 6.0, 10.0])
@pytest.mark.parametrize(("sensor_tau_s", "poll_s", "seed"), [(5.0, 1.0, 1), (20.0, 1.0, 2), (10.0, 5.0, 3)])
def test_the_cool_down_gives_ua_the_losses_and_the_probe_lag(
    ua: float, sensor_tau_s: float, poll_s: float, seed: int
) -> None:
    cfg = config(ua_w_k=ua, sensor_tau_s=sensor_tau_s, sensor_noise_k=0.05)
    samples = Batch(cfg, seed, poll_s).run(COOL_DOWN_S)
    cal = calibrate(samples, true_heat_capacity(cfg))
    assert cal.ua_w_k == pytest.approx(effective_ua(cfg), rel=0.06)
    assert cal.loss_w_k == pytest.approx(cfg.ua_loss_w_k, rel=0.15)
    assert cal.ambient_c == pytest.approx(cfg.ambient_c, abs=2.0)
    assert sensor_tau_s - 2 <= cal.lag_s <= sensor_tau_s + 2 * poll_s + 2
    assert cal.ua_relative_error < 0.02
    assert abs(cal.unexplained_k) < 0.25
    assert cal.samples == len(samples)
    assert cal.facts()["UA_W_K"] == round(cal.ua_w_k, 3)


def test_ua_follows_the_heat_capacity_it_is_quoted_against() -> None:
    cfg = config()
    samples = Batch(cfg).run(COOL_DOWN_S)
    true = calibrate(samples, true_heat_capacity(cfg))
    declared = calibrate(samples, 1010.0)  # the charge alone, glass left out
    assert declared.transfer_s == true.transfer_s  # the balance per unit C does not depend on it
    assert declared.ua_w_k == pytest.approx(true.ua_w_k * 1010.0 / true_heat_capacity(cfg))


@pytest.mark.parametrize(
    ("factor", "says"), [(10.0, "outside 1–30 W/K"), (0.1, "outside 1–30 W/K"), (40.0, "outside 1–30 W/K")]
)
def test_a_heat_capacity_typed_far_off_makes_an_implausible_ua(factor: float, says: str) -> None:
    cfg = config()
    samples = Batch(cfg).run(COOL_DOWN_S)
    with pytest.raises(CalibrationRejected) as caught:
        calibrate(samples, factor * true_heat_capacity(cfg))
    assert says in caught.value.reason
    assert caught.value.facts["heat_capacity_J_K"] == pytest.approx(factor * true_heat_capacity(cfg))


def test_too_short_a_cool_down_is_refused() -> None:
    cfg = config()
    samples = Batch(cfg).run(5 * 60)
    with pytest.raises(CalibrationRejected) as caught:
        calibrate(samples, true_heat_capacity(cfg))
    assert "5.0 min of readings; at least 10 min" in caught.value.reason
    assert caught.value.facts["samples"] == 300


def test_a_reactor_already_at_its_setpoint_has_no_driving_force() -> None:
    cfg = config(initial_tr_c=2.5, initial_tj_c=2.5, initial_tb_c=2.5)
    samples = Batch(cfg).run(20 * 60)
    with pytest.raises(CalibrationRejected) as caught:
        calibrate(samples, true_heat_capacity(cfg))
    assert "never more than" in caught.value.reason


@pytest.mark.parametrize("portion_at_s", [0.0, 15 * 60, 25 * 60, 35 * 60])
def test_a_portion_reacting_during_the_cool_down_spoils_the_fit(portion_at_s: float) -> None:
    cfg = config()
    batch = Batch(cfg)
    samples = batch.run(portion_at_s)
    samples += batch.run(COOL_DOWN_S - portion_at_s, dose_every_s=60.0, portions=1)
    with pytest.raises(CalibrationRejected) as caught:
        calibrate(samples, true_heat_capacity(cfg))
    assert "K of heat (adiabatic) unexplained within 5 min" in caught.value.reason
    assert abs(caught.value.facts["unexplained_K"]) > 0.5


def test_noise_beyond_what_the_fit_tolerates_is_refused() -> None:
    cfg = config(sensor_noise_k=0.5)  # ten times the spec's worst probe
    samples = Batch(cfg, poll_s=1.0).run(COOL_DOWN_S)
    with pytest.raises(CalibrationRejected) as caught:
        calibrate(samples, true_heat_capacity(cfg))
    assert caught.value.reason.startswith("the jacket and the losses leave")


def test_limits_are_configurable() -> None:
    cfg = config()
    samples = Batch(cfg).run(COOL_DOWN_S)
    with pytest.raises(CalibrationRejected) as caught:
        calibrate(samples, true_heat_capacity(cfg), CalibrationLimits(ua_range_w_k=(7.0, 12.0)))
    assert "outside 7–12 W/K" in caught.value.reason
    assert calibrate(samples, true_heat_capacity(cfg), CalibrationLimits(min_span_s=60.0)).samples == len(
        samples
    )


def test_readings_with_a_flat_temperature_cannot_be_fitted() -> None:
    flat = [ThermalSample(float(t), 2.5, -10.0) for t in range(0, 1200)]
    with pytest.raises(CalibrationRejected):
        calibrate(flat, 1370.0)
