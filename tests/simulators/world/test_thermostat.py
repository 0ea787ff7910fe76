"""The thermostat facet: what it can physically do, and how each fault shows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from simulators.clock import ManualClock
from simulators.plant import ThermostatFault, ThermostatPlant
from simulators.world import MINUS_40_CLASS, MINUS_50_CLASS, World, WorldConfig


def _world(cfg: WorldConfig | None = None, seed: int = 1) -> tuple[World, ManualClock]:
    clock = ManualClock()
    return World(cfg or WorldConfig(), clock, seed), clock


def test_cooling_curves_interpolate_the_vendor_classes() -> None:
    assert MINUS_40_CLASS.power_w(0.0) == 300.0
    assert MINUS_40_CLASS.power_w(-10.0) == pytest.approx(225.0)
    assert MINUS_40_CLASS.power_w(-20.0) == 150.0
    assert MINUS_40_CLASS.power_w(-45.0) == 0.0
    assert MINUS_50_CLASS.power_w(-30.0) == pytest.approx(335.0)
    assert MINUS_50_CLASS.power_w(-50.0) == 0.0
    assert MINUS_50_CLASS.power_w(15.0) == 800.0


@pytest.mark.parametrize(("unit", "floor_c"), [(MINUS_40_CLASS, -40.0), (MINUS_50_CLASS, -50.0)])
def test_a_unit_cannot_pull_the_bath_below_its_class(unit: object, floor_c: float) -> None:
    world, clock = _world(WorldConfig(cooling=unit))  # type: ignore[arg-type]
    world.thermostat.set_control(-90.0, process_mode=False, running=True, circulating=True)
    clock.advance(8 * 3600)
    world.advance()
    tb = world.thermostat.internal_temperature_c()
    assert floor_c < tb < floor_c + 5.0
    assert world.thermostat.compressor_on()


def test_internal_mode_holds_the_bath_at_setpoint() -> None:
    world, clock = _world()
    world.thermostat.set_control(-10.0, process_mode=False, running=True, circulating=True)
    clock.advance(3 * 3600)
    assert world.thermostat.internal_temperature_c() == pytest.approx(-10.0, abs=0.2)
    world.thermostat.set_control(40.0, process_mode=False, running=True, circulating=True)
    clock.advance(3600)
    assert world.thermostat.internal_temperature_c() == pytest.approx(40.0, abs=0.2)


def test_process_mode_brings_the_reaction_mass_to_setpoint() -> None:
    world, clock = _world()
    world.thermostat.set_control(0.0, process_mode=True, running=True, circulating=True)
    clock.advance(3 * 3600)
    assert world.reactor_c() == pytest.approx(0.0, abs=0.3)
    measured = world.thermostat.process_temperature_c()
    assert measured is not None
    assert measured == pytest.approx(0.0, abs=0.4)


def test_the_world_thermostat_satisfies_the_plant_protocol() -> None:
    world, _ = _world()
    plant: ThermostatPlant = world.thermostat
    assert plant.faults() == set()


def test_compressor_failure_stops_cooling_but_not_circulation() -> None:
    world, clock = _world()
    world.thermostat.set_control(-20.0, process_mode=False, running=True, circulating=True)
    clock.advance(3600)
    cold = world.thermostat.internal_temperature_c()
    world.thermostat.fail_compressor()
    clock.advance(3600)
    assert world.thermostat.faults() == {ThermostatFault.COMPRESSOR}
    assert not world.thermostat.compressor_on()
    assert world.thermostat.pump_circulates()
    assert world.thermostat.internal_temperature_c() > cold + 2.0


def test_circulation_stop_decouples_the_jacket() -> None:
    world, clock = _world()
    world.thermostat.set_control(-20.0, process_mode=False, running=True, circulating=True)
    clock.advance(3600)
    world.thermostat.fail_circulation()
    clock.advance(3600)
    world.advance()
    assert world.state.tj_c > world.state.tb_c + 10.0


def test_power_loss_is_remembered_and_the_unit_comes_back_idle() -> None:
    world, clock = _world()
    world.thermostat.set_control(-10.0, process_mode=False, running=True, circulating=True)
    clock.advance(600)
    world.thermostat.lose_power()
    assert world.thermostat.faults() == {ThermostatFault.POWER_LOSS}
    assert world.thermostat.power_cycled_since(0.0)
    assert not world.thermostat.power_cycled_since(clock.now())
    clock.advance(60)
    world.thermostat.restore_power()
    assert world.thermostat.faults() == set()
    assert not world.thermostat.running
    assert not world.thermostat.pump_circulates()


def test_unplugged_probe_reads_none_and_freezes_the_outer_loop() -> None:
    world, clock = _world(replace(WorldConfig(), initial_tr_c=5.0, initial_tj_c=5.0, initial_tb_c=5.0))
    world.thermostat.set_control(0.0, process_mode=True, running=True, circulating=True)
    clock.advance(120)
    world.advance()
    world.thermostat.unplug_probe()
    frozen = world.thermostat.bath_setpoint_c()
    clock.advance(600)
    assert world.thermostat.process_temperature_c() is None
    assert world.thermostat.bath_setpoint_c() == frozen
    world.thermostat.plug_probe()
    clock.advance(1)
    assert world.thermostat.process_temperature_c() is not None
