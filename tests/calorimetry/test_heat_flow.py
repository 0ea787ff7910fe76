"""The online heat balance against the physics world's own heat release: per poll, in total, over the spec's
ranges (ΔH, UA, probe lag, poll period), with no reaction, and with the stirrer stopped."""

from __future__ import annotations

import pytest

from labctl.calorimetry.calibration import calibrate
from labctl.calorimetry.heat_flow import HeatFlow, HeatFlowEstimate
from labctl.calorimetry.samples import ThermalSample
from tests.calorimetry.batch import COOL_DOWN_S, Batch, config, true_heat_capacity

DOSING_S = 90 * 60


def calibrated(batch: Batch) -> HeatFlow:
    return HeatFlow(calibrate(batch.run(COOL_DOWN_S), true_heat_capacity(batch.cfg)))


def follow(flow: HeatFlow, samples: list[ThermalSample]) -> list[HeatFlowEstimate]:
    return [e for s in samples if (e := flow.add(s)) is not None]


@pytest.mark.parametrize(
    ("changes", "seed", "poll_s"),
    [
        ({}, 1, 1.0),
        ({"dosing_enthalpy_j_mol": -150e3, "ua_w_k": 3.0}, 2, 1.0),
        ({"dosing_enthalpy_j_mol": -270e3, "ua_w_k": 10.0, "sensor_tau_s": 20.0}, 3, 1.0),
        ({"dissolution_tau_0c_s": 300.0, "sensor_noise_k": 0.05}, 4, 1.0),
        ({"dissolution_tau_0c_s": 1200.0}, 5, 5.0),
    ],
)
def test_ten_portions_heat_is_measured_as_the_world_releases_it(
    changes: dict[str, float], seed: int, poll_s: float
) -> None:
    batch = Batch(config(**changes), seed, poll_s)
    flow = calibrated(batch)
    released_before = batch.world.state.heat_released_j
    estimates = follow(flow, batch.run(DOSING_S, dose_every_s=60.0, portions=10))
    last = estimates[-1]
    true_released = batch.truth[last.t_s][1] - released_before
    assert last.released_j == pytest.approx(true_released, rel=0.05)
    peak = max(batch.truth[e.t_s][0] for e in estimates)
    for e in estimates[10:]:  # past the first window after the calibration
        assert e.q_w == pytest.approx(batch.truth[e.t_s][0], abs=0.1 * peak + 4 * e.sigma_w)
    assert last.unmeasured_s == 0.0


def test_with_nothing_reacting_the_heat_flow_stays_within_its_uncertainty() -> None:
    batch = Batch(config(), poll_s=1.0)
    flow = calibrated(batch)
    estimates = follow(flow, batch.run(60 * 60))
    assert estimates
    outside = [e for e in estimates if abs(e.q_k_s) > 4 * e.sigma_k_s]
    assert len(outside) < 0.01 * len(estimates)
    assert abs(estimates[-1].released_k) < 0.5  # adiabatic kelvins over an hour of nothing


def test_a_stopped_stirrer_shows_as_heat_that_stops_while_oxidant_stays_unreacted() -> None:
    batch = Batch(config())
    flow = calibrated(batch)
    follow(flow, batch.run(5 * 60, dose_every_s=60.0, portions=5))
    reacting = flow.last
    assert reacting is not None
    assert reacting.q_w > 20.0
    batch.world.stirrer.switch(False)
    follow(flow, batch.run(12 * 60))
    stopped = flow.last
    assert stopped is not None
    assert abs(stopped.q_w) < 4 * stopped.sigma_w + 2.0
    assert batch.world.state.n_solid_mol > 0.05  # most of the five portions still there


def test_a_gap_in_the_readings_is_counted_as_unmeasured_not_as_no_heat() -> None:
    batch = Batch(config())
    flow = calibrated(batch)
    samples = batch.run(20 * 60, dose_every_s=60.0, portions=3)
    follow(flow, samples[: 5 * 60] + samples[7 * 60 :])  # two minutes of polls lost
    last = flow.last
    assert last is not None
    assert 110.0 <= last.unmeasured_s <= 150.0


def test_a_reading_that_goes_back_in_time_is_ignored() -> None:
    batch = Batch(config())
    flow = calibrated(batch)
    samples = batch.run(120)
    follow(flow, samples)
    before = flow.last
    assert flow.add(samples[10]) is None
    assert flow.last is before
