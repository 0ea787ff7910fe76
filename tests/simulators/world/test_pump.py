"""Liquid from the peristaltic pump: delivered versus commanded, and the pump's faults."""

from __future__ import annotations

import statistics

import pytest

from simulators.clock import ManualClock
from simulators.plant import PumpPlant
from simulators.world import World, WorldConfig


def _world(seed: int = 1, cfg: WorldConfig | None = None) -> tuple[World, ManualClock]:
    clock = ManualClock()
    return World(cfg or WorldConfig(), clock, seed), clock


def test_a_volume_run_completes_and_says_so() -> None:
    world, clock = _world()
    pump: PumpPlant = world.pump
    pump.run(50.0, 25.0)
    clock.advance(10)
    assert pump.running()
    assert pump.stop_cause() is None
    assert pump.commanded_ml() == pytest.approx(50.0 / 6)
    clock.advance(60)
    assert not pump.running()
    assert pump.stop_cause() == "complete"
    assert pump.commanded_ml() == pytest.approx(25.0)


def test_delivered_is_commanded_times_one_plus_epsilon() -> None:
    ratios = []
    for seed in range(200):
        world, clock = _world(seed)
        world.pump.run(60.0, 10.0)
        clock.advance(20)
        ratios.append(world.pump.delivered_ml() / world.pump.commanded_ml() - 1.0)
    assert statistics.mean(ratios) == pytest.approx(0.0, abs=0.01)
    assert statistics.stdev(ratios) == pytest.approx(0.03, abs=0.006)


def test_empty_reservoir_delivers_nothing_while_the_head_keeps_counting() -> None:
    world, clock = _world(cfg=WorldConfig(pump_reservoir_ml=5.0, pump_sigma=0.0))
    world.pump.run(60.0, None)
    clock.advance(10)
    assert world.pump.delivered_ml() == pytest.approx(5.0)
    assert world.pump.commanded_ml() == pytest.approx(10.0)
    assert world.pump.running()
    world.pump.refill(100.0)
    world.pump.empty_reservoir()
    clock.advance(10)
    assert world.pump.delivered_ml() == pytest.approx(5.0)


def test_occlusion_stops_the_run() -> None:
    world, clock = _world()
    world.pump.run(60.0, None)
    clock.advance(5)
    world.pump.occlude()
    assert not world.pump.running()
    assert world.pump.stop_cause() == "occlusion"
    world.pump.run(60.0, None)
    assert world.pump.stop_cause() == "occlusion"
    world.pump.clear_occlusion()
    world.pump.run(60.0, None)
    assert world.pump.running()


def test_overtemperature_stops_the_run() -> None:
    world, _ = _world()
    world.pump.run(60.0, None)
    world.pump.overheat()
    assert world.pump.stop_cause() == "overtemperature"


def test_feed_brings_sensible_heat_at_ambient() -> None:
    cfg = WorldConfig(initial_tr_c=0.0, initial_tj_c=0.0, initial_tb_c=0.0, pump_sigma=0.0, ua_loss_w_k=0.0)
    world, clock = _world(cfg=cfg)
    world.pump.run(600.0, 50.0)
    clock.advance(5)
    c_feed = 50.0 * cfg.feed_j_ml_k
    expected = c_feed * 20.0 / (cfg.c_reactor_j_k + c_feed)
    # bisulfite with no oxidant left reacts with nothing: only the warm feed shows
    assert world.reactor_c() == pytest.approx(expected, abs=0.3)
