"""The stirrer plant decides whether the mass is stirred: from the shaft's actual speed, not from a command."""

from __future__ import annotations

import pytest

from simulators.clock import ManualClock
from simulators.world import World, WorldConfig


def world(**overrides: float) -> tuple[World, ManualClock]:
    clock = ManualClock()
    return World(WorldConfig(**overrides), clock, seed=4), clock  # type: ignore[arg-type]


def dissolved_in(w: World, clock: ManualClock, seconds: int) -> float:
    before = w.state.n_solid_mol
    clock.advance(seconds)
    w.advance()
    return before - w.state.n_solid_mol


def test_the_default_world_stirs_at_300_rpm_from_the_start() -> None:
    w, _ = world()
    assert (w.stirrer.switched_on(), w.stirrer.speed_rpm(), w.state.stirring) == (True, 300.0, True)


def test_dissolution_stops_when_the_motor_stops_and_resumes_when_it_restarts() -> None:
    w, clock = world()
    w.charge_kmno4(10.0)
    assert dissolved_in(w, clock, 60) > 0.0
    w.stirrer.switch(False)
    clock.advance(1)
    w.advance()
    assert (w.stirrer.speed_rpm(), w.state.stirring) == (150.0, True)  # still coasting down
    clock.advance(1)
    w.advance()
    assert (w.stirrer.speed_rpm(), w.state.stirring) == (0.0, False)
    assert dissolved_in(w, clock, 600) == 0.0
    w.stirrer.switch(True)
    clock.advance(1)
    w.advance()
    assert w.state.stirring is True
    assert dissolved_in(w, clock, 60) > 0.0


def test_below_the_threshold_counts_as_unstirred() -> None:
    w, clock = world()
    w.charge_kmno4(10.0)
    w.stirrer.set_speed(40.0)
    clock.advance(2)
    w.advance()
    assert (w.stirrer.speed_rpm(), w.state.stirring) == (40.0, False)
    assert dissolved_in(w, clock, 300) == 0.0
    w.stirrer.set_speed(60.0)
    clock.advance(1)
    w.advance()
    assert w.state.stirring is True
    assert w.config.stirring_threshold_rpm == 50.0


def test_a_jam_stops_dissolution_while_the_motor_is_still_switched_on() -> None:
    w, clock = world()
    w.charge_kmno4(10.0)
    w.stop_stirrer()
    assert (w.stirrer.switched_on(), w.stirrer.speed_rpm(), w.state.stirring) == (True, 0.0, False)
    assert w.stirrer.torque_ncm() == 60.0
    assert dissolved_in(w, clock, 600) == 0.0
    w.start_stirrer()
    assert dissolved_in(w, clock, 60) > 0.0


def test_torque_is_friction_plus_drag_scaled_by_viscosity() -> None:
    w, _ = world(stirrer_viscosity_factor=3.0)
    assert w.stirrer.torque_ncm() == pytest.approx(2.0 + 0.01 * 3.0 * 300.0)
    w2, _ = world(stirrer_initial_rpm=0.0)
    assert (w2.stirrer.switched_on(), w2.state.stirring, w2.stirrer.torque_ncm()) == (False, False, 0.0)
