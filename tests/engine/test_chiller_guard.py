"""The chiller guard against the simulated Huber unit: its own protection programmed, full cooling on a trip,
the watchdog disarmed when labctl ends a run on purpose."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from devices.rig_devices import RigDevices
from labctl.engine.alarms import Level
from labctl.engine.chiller_guard import WATCHDOG_S, ChillerGuard, GuardContext
from labctl.engine.snapshot import Snapshot
from labctl.engine.supervisor import Supervisor
from labctl.protocol.model import Protocol
from tests.engine.bench import Bench

T = TypeVar("T")


@dataclass
class GuardRun:
    """Implements GuardContext over the bench: commands go out for real and are kept in order."""

    bench: Bench
    supervisor: Supervisor
    step_setpoint: float | None = None
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    alarms: dict[str, tuple[Level, str]] = field(default_factory=dict)

    @property
    def devices(self) -> RigDevices:
        return self.bench.devices

    @property
    def protocol(self) -> Protocol:
        return self.bench.loaded.protocol

    @property
    def snapshot(self) -> Snapshot:
        return self.supervisor.snapshot

    def now(self) -> float:
        return self.bench.clock.now()

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T:
        self.sent.append((command, data))
        return await call

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None:
        self.alarms[alarm_id] = (level, message)


def as_guard_context(run: GuardRun) -> GuardContext:
    return run  # mypy checks here that the double is a GuardContext


@pytest.fixture
async def run(bench: Bench) -> GuardRun:
    sup = Supervisor(bench.devices.chiller, bench.clock, 1.0, None)
    await sup.poll()
    return GuardRun(bench, sup)


async def test_program_sets_the_protocols_limits_and_the_fallback_watchdog(run: GuardRun) -> None:
    guard = ChillerGuard(run)
    await guard.program()
    safe = run.protocol.equipment.lowest_setpoint_c()
    assert safe is not None
    assert run.sent == [
        ("setpoint-limits", {"low_C": -10.0, "high_C": 25.0}),
        ("fallback-watchdog", {"seconds": WATCHDOG_S, "safe_C": safe}),
    ]
    unit = run.bench.sim.thermostat
    assert (unit.sp_min / 100, unit.sp_max / 100) == (-10.0, 25.0)
    assert unit.watchdog2_s == WATCHDOG_S
    assert unit.setpoint2 / 100 == safe
    assert run.alarms == {}


async def test_full_cooling_sends_the_safe_setpoint_and_notes_it(run: GuardRun) -> None:
    guard = ChillerGuard(run)
    await guard.full_cooling()
    safe = run.protocol.equipment.lowest_setpoint_c()
    assert run.sent == [("setpoint", {"setpoint_C": safe})]
    assert run.bench.sim.thermostat.setpoint / 100 == safe
    assert run.snapshot.setpoint == safe
    assert guard.cooling_on
    assert not guard.cooling_unsent
    guard.cooling_undone()
    assert not guard.cooling_on


async def test_full_cooling_the_unit_does_not_take_is_an_alarm_and_sent_once_it_answers(
    run: GuardRun,
) -> None:
    guard = ChillerGuard(run)
    run.bench.sim.inject("chiller.link-silent")
    await guard.full_cooling()
    assert guard.cooling_unsent
    assert run.alarms["safe-setpoint-failed"][0] is Level.ALARM
    run.bench.sim.inject("chiller.link-restored")
    await run.supervisor.poll()
    run.sent.clear()
    await guard.feed()
    safe = run.protocol.equipment.lowest_setpoint_c()
    assert run.sent == [("setpoint", {"setpoint_C": safe})]
    assert not guard.cooling_unsent
    assert run.bench.sim.thermostat.setpoint / 100 == safe


async def test_disarm_after_program_leaves_the_unit_without_its_watchdog(run: GuardRun) -> None:
    guard = ChillerGuard(run)
    await guard.disarm()
    assert run.sent == []  # never armed: nothing to disarm
    await guard.program()
    run.sent.clear()
    await guard.disarm()
    assert run.sent == [("disarm-watchdog", {})]
    assert run.bench.sim.thermostat.watchdog2_s == 0
