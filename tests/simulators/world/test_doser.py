"""Powder from the dosing head: how much, how fast, what the balance sees, and the doser's faults."""

from __future__ import annotations

import statistics

import pytest

from simulators.clock import ManualClock
from simulators.plant import DosingPlant
from simulators.world import World, WorldConfig
from simulators.world.config import KMNO4_G_PER_MOL

VESSEL_G = WorldConfig().balance_vessel_g


def _world(seed: int = 1, cfg: WorldConfig | None = None) -> tuple[World, ManualClock]:
    clock = ManualClock()
    return World(cfg or WorldConfig(), clock, seed), clock


def _dose(world: World, clock: ManualClock, target_g: float, wait_s: float = 120.0) -> float:
    world.doser.start_dose(target_g)
    clock.advance(wait_s)
    return world.doser.dosed_g()


def test_a_5_g_portion_takes_30_to_60_s() -> None:
    world, clock = _world()
    world.doser.start_dose(5.0)
    clock.advance(29)
    assert world.doser.dose_running()
    clock.advance(31)
    assert not world.doser.dose_running()


def test_dosed_mass_is_target_times_one_plus_epsilon() -> None:
    doser_errors = []
    for seed in range(200):
        world, clock = _world(seed)
        doser_errors.append(_dose(world, clock, 4.75) / 4.75 - 1.0)
    assert statistics.mean(doser_errors) == pytest.approx(0.005, abs=0.003)
    assert statistics.stdev(doser_errors) == pytest.approx(0.015, abs=0.003)


def test_balance_carries_vessel_plus_landed_powder_of_the_current_dose_only() -> None:
    world, clock = _world()
    plant: DosingPlant = world.doser
    assert plant.balance_load_g() == VESSEL_G
    first = _dose(world, clock, 4.75)
    assert not plant.balance_settling()
    assert plant.balance_load_g() == pytest.approx(VESSEL_G + first, abs=1e-3)
    plant.start_dose(4.75)
    clock.advance(0.5)
    assert plant.balance_load_g() == VESSEL_G
    assert plant.balance_settling()


def test_powder_lands_in_the_reactor_and_the_head_empties() -> None:
    world, clock = _world()
    total = sum(_dose(world, clock, 4.75) for _ in range(3))
    assert world.state.kmno4_dosed_mol == pytest.approx(total / KMNO4_G_PER_MOL, rel=1e-3)
    assert world.doser.head_remaining_g() == pytest.approx(60.0 - total)


def test_stop_leaves_a_small_tail_falling_onto_the_pan() -> None:
    world, clock = _world()
    world.doser.start_dose(4.75)
    clock.advance(10)
    world.doser.stop_dose()
    at_stop = world.doser.balance_load_g() - VESSEL_G
    left_head = world.doser.dosed_g()
    assert world.doser.balance_settling()
    clock.advance(30)
    after = world.doser.balance_load_g() - VESSEL_G
    assert after > at_stop
    assert after == pytest.approx(left_head, abs=1e-3)
    assert after < 2.0


def test_blocked_head_turns_but_delivers_nothing() -> None:
    world, clock = _world()
    world.doser.block()
    assert _dose(world, clock, 4.75) == 0.0
    assert world.doser.dose_running()
    world.doser.unblock()
    clock.advance(60)
    assert not world.doser.dose_running()


def test_empty_head_delivers_what_was_left() -> None:
    world, clock = _world(cfg=WorldConfig(doser_head_g=3.0))
    assert _dose(world, clock, 4.75) == pytest.approx(3.0)
    assert world.doser.head_remaining_g() == 0.0
    assert world.doser.dose_running()
    world.doser.empty_head()
    assert world.doser.head_remaining_g() == 0.0
