"""The reference outcomes of process-model §1: the world must reproduce the table it was specified by."""

from __future__ import annotations

from dataclasses import replace

import pytest

from simulators.clock import ManualClock
from simulators.world import World, WorldConfig
from tests.simulators.world.scenarios import PORTION_G, dosing, ice_bath, rig


def test_nominal_dosing_peaks_near_5_6_c_with_a_few_minutes_above_5() -> None:
    out = dosing()
    assert 4.5 <= out.tr_max_c <= 7.5
    assert out.t_25c_s is None


def test_all_at_once_peaks_near_16_c() -> None:
    out = dosing(all_at_once=True)
    assert 12.0 <= out.tr_max_c <= 20.0


def test_flask_ua_3_w_k_nominal_dosing_peaks_near_16_c() -> None:
    out = dosing(WorldConfig(ua_w_k=3.0))
    assert 12.0 <= out.tr_max_c <= 20.0


def test_melting_ice_bath_is_worse_than_a_controlled_jacket() -> None:
    """Not in the table: a passive 0 °C bath cannot push back, so the peak is far above the cascade's."""
    assert dosing(ice_bath()).tr_max_c > dosing().tr_max_c + 10.0


def test_chiller_fails_at_minute_5_dosing_continues_runs_away() -> None:
    out = dosing(chiller_fails_at_s=300)
    assert 24.0 <= out.tr_max_c <= 34.0
    assert out.t_25c_s is not None
    assert 5.0 * 60 <= out.t_25c_s - 300 <= 10.0 * 60


def test_chiller_fails_at_minute_5_dosing_stopped_stays_below_25_c() -> None:
    out = dosing(chiller_fails_at_s=300, stop_dosing_on_failure=True)
    assert 15.0 <= out.tr_max_c < 25.0
    assert out.t_25c_s is None


def test_compressor_only_failure_is_buffered_by_the_circulating_bath() -> None:
    out = dosing(chiller_fails_at_s=300, failure="compressor")
    assert out.tr_max_c < dosing(chiller_fails_at_s=300).tr_max_c - 10.0


def test_accumulation_at_end_of_ten_minute_dosing_is_40_to_80_percent() -> None:
    assert 0.40 <= dosing().unreacted_end_of_dosing <= 0.80


def test_quench_into_minus_10_c_jacket_peaks_in_the_spec_range() -> None:
    world, clock = rig()
    for second in range(600):
        if second % 60 == 0:
            world.doser.start_dose(PORTION_G)
        clock.advance(1)
    clock.advance(2 * 3600)
    assert world.reactor_c() == pytest.approx(2.5, abs=1.0)
    world.thermostat.set_control(-10.0, process_mode=False, running=True, circulating=True)
    world.pump.run(200.0, 50.0)
    peak = max(_tr_after(world, clock, s) for s in range(1800))
    assert 11.0 <= peak <= 43.0
    assert world.state.oxidising_mol_e < 1e-6
    assert world.state.heat_released_j == pytest.approx(67.5e3 + 50e3, rel=0.05)


def test_cascade_band_limits_how_cold_the_bath_is_driven() -> None:
    world, clock = rig(replace(WorldConfig(), cascade_band_k=5.0))
    world.charge_kmno4(10 * PORTION_G)
    lowest = 99.0
    for _ in range(1800):
        clock.advance(1)
        world.advance()
        lowest = min(lowest, world.thermostat.bath_setpoint_c() or 99.0)
    assert lowest == pytest.approx(2.5 - 5.0)


def _tr_after(world: World, clock: ManualClock, _second: int) -> float:
    clock.advance(1)
    return world.reactor_c()
