"""Whole-world properties: determinism, lazy integration, stirrer, MgBr storage, speed."""

from __future__ import annotations

import time

import pytest

from simulators.clock import ManualClock
from simulators.world import World, WorldConfig
from tests.simulators.world.scenarios import dosing, rig


def _trace(seed: int, poll_s: float) -> list[float]:
    world, clock = rig(seed=seed)
    out: list[float] = []
    for minute in range(30):
        if minute < 10:
            world.doser.start_dose(4.75)
        steps = round(60 / poll_s)
        for _ in range(steps):
            clock.advance(poll_s)
            world.advance()
        reading = world.thermostat.process_temperature_c()
        assert reading is not None
        out.append(reading)
    return out


def test_same_seed_same_run() -> None:
    assert _trace(7, 1.0) == _trace(7, 1.0)


def test_different_seed_different_noise() -> None:
    assert _trace(7, 1.0) != _trace(8, 1.0)


def test_result_does_not_depend_on_how_often_someone_polls() -> None:
    assert _trace(7, 1.0) == pytest.approx(_trace(7, 15.0), abs=1e-9)


def test_partial_steps_wait_for_the_next_whole_step() -> None:
    clock = ManualClock()
    world = World(WorldConfig(), clock, 1)
    clock.advance(0.4)
    world.advance()
    assert world.state.t_s == 0.0
    clock.advance(0.6)
    world.advance()
    assert world.state.t_s == 1.0


def test_stopped_stirrer_stores_the_oxidant_and_restarting_gives_a_burst() -> None:
    stirred, clock_a = rig()
    still, clock_b = rig()
    still.stop_stirrer()
    for w in (stirred, still):
        w.charge_kmno4(5 * 4.75)
    clock_a.advance(600)
    clock_b.advance(600)
    assert still.unreacted_fraction() == pytest.approx(1.0)
    assert stirred.unreacted_fraction() < 0.5
    assert still.reactor_c() < 3.0  # a quiet temperature hiding an accumulation
    before = still.reactor_c()
    still.start_stirrer()
    peak = before
    for _ in range(900):
        clock_b.advance(1)
        peak = max(peak, still.reactor_c())
    assert peak > before + 3.0


def _storage(temperature_c: float, hours: float) -> float:
    cfg = WorldConfig(
        ambient_c=temperature_c,
        initial_tr_c=temperature_c,
        initial_tj_c=temperature_c,
        initial_tb_c=temperature_c,
    )
    clock = ManualClock()
    world = World(cfg, clock, 1)
    clock.advance(hours * 3600)
    return world.mgbr_fraction()


def test_mgbr_survives_three_days_at_minus_50_c() -> None:
    assert _storage(-50.0, 72.0) > 0.999


def test_mgbr_loses_half_in_4_h_at_minus_40_c() -> None:
    assert _storage(-40.0, 4.0) == pytest.approx(0.5, abs=0.01)


def test_mgbr_warms_out_on_a_dead_chiller() -> None:
    cfg = WorldConfig(initial_tr_c=-60.0, initial_tj_c=-60.0, initial_tb_c=-60.0)
    clock = ManualClock()
    world = World(cfg, clock, 1)
    world.thermostat.lose_power()
    clock.advance(6 * 3600)
    assert world.mgbr_fraction() < 0.5


def test_three_hour_run_costs_well_under_two_seconds() -> None:
    started = time.process_time()
    dosing(duration_s=3 * 3600)
    assert time.process_time() - started < 2.0
