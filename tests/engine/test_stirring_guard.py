"""The stirring guard against the simulated overhead stirrer: a shaft that stops while a solid is at risk stops
the additions and the motor and trips the run; with nothing at risk it is an alarm only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from devices.rig_devices import RigDevices
from labctl.engine.accumulation import OxidantModel
from labctl.engine.alarms import Level
from labctl.engine.control import Delivery, Prompt, RunState
from labctl.engine.snapshot import Snapshot
from labctl.engine.stirring_guard import LOSS_GRACE_S, LOST_ALARM, StirringContext, StirringGuard
from labctl.engine.supervisor import Supervisor
from labctl.journal.kinds import RecordKind
from tests.engine.bench import Bench

T = TypeVar("T")


@dataclass
class StirringRun:
    """Implements StirringContext over the bench; keeps what the guard recorded, sent, raised and decided."""

    bench: Bench
    supervisor: Supervisor
    step_kind: str | None = "hold"
    state: RunState = RunState.RUNNING
    prompt: Prompt | None = None
    oxidant: OxidantModel | None = None
    additions_running: set[str] = field(default_factory=set)
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent: list[tuple[str, str]] = field(default_factory=list)
    alarms: dict[str, tuple[Level, str]] = field(default_factory=dict)
    stops: list[str] = field(default_factory=list)
    trips: list[str] = field(default_factory=list)

    @property
    def devices(self) -> RigDevices:
        return self.bench.devices

    @property
    def snapshot(self) -> Snapshot:
        return self.supervisor.snapshot

    def now(self) -> float:
        return self.bench.clock.now()

    def record(self, kind: RecordKind, data: dict[str, Any], *, durable: bool = True) -> None:
        self.records.append((kind, data))

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T:
        self.sent.append((device, command))
        return await call

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None:
        self.alarms[alarm_id] = (level, message)

    def clear_alarm(self, alarm_id: str) -> None:
        self.alarms.pop(alarm_id, None)

    def open_prompt(
        self, message: str, delivery: Delivery | None = None, on_decline: Callable[[str], None] | None = None
    ) -> Prompt:
        self.prompt = Prompt("s#1", "s", message, self.now())
        return self.prompt

    async def stop_additions(self, because: str) -> None:
        self.stops.append(because)

    async def trip(self, why: str) -> None:
        self.trips.append(why)
        self.state = RunState.TRIPPED


def as_stirring_context(run: StirringRun) -> StirringContext:
    return run  # mypy checks here that the double is a StirringContext


@pytest.fixture
async def stirring(bench: Bench) -> tuple[StirringRun, StirringGuard]:
    sup = Supervisor(bench.devices.chiller, bench.clock, 1.0, None, stirrer=bench.devices.stirrer)
    run = StirringRun(bench, sup)
    guard = StirringGuard(run)
    await guard.run_at(300.0)
    await cycles(run, guard, 10)
    return run, guard


async def cycles(run: StirringRun, guard: StirringGuard, count: int) -> None:
    for _ in range(count):
        await run.bench.clock.sleep(1.0)
        await run.supervisor.poll()
        await guard.check()


async def test_a_running_stirrer_is_verified_and_nothing_is_said(
    stirring: tuple[StirringRun, StirringGuard],
) -> None:
    run, guard = stirring
    assert run.sent == [("stirrer", "speed"), ("stirrer", "start")]
    assert run.snapshot.stirring() is True
    assert run.records == []
    assert run.alarms == {}
    assert guard.resume_blocker is None


async def test_stirring_lost_while_dosing_stops_everything_and_trips(
    stirring: tuple[StirringRun, StirringGuard],
) -> None:
    run, guard = stirring
    run.step_kind = "dose_solid"
    run.bench.sim.inject("stirrer.stop")
    await cycles(run, guard, int(LOSS_GRACE_S) + 4)
    assert [kind for kind, _ in run.records] == ["stirring.lost"]
    assert run.stops == [LOST_ALARM]
    assert run.sent[-1] == ("stirrer", "stop")
    assert run.alarms[LOST_ALARM][0] is Level.TRIP
    assert run.trips == [LOST_ALARM]
    assert guard.resume_blocker is not None
    assert guard.resume_blocker.startswith("the stirrer was stopped after stirring was lost")


async def test_stirring_lost_with_no_solid_at_risk_is_an_alarm_only(
    stirring: tuple[StirringRun, StirringGuard],
) -> None:
    run, guard = stirring
    run.bench.sim.inject("stirrer.stop")
    await cycles(run, guard, int(LOSS_GRACE_S) + 4)
    assert [kind for kind, _ in run.records] == ["stirring.lost"]
    level, message = run.alarms[LOST_ALARM]
    assert level is Level.ALARM
    assert message.endswith("no solid at risk")
    assert run.stops == []
    assert run.trips == []
    assert guard.resume_blocker is None
    run.bench.sim.inject("stirrer.start")
    await cycles(run, guard, 10)
    assert [kind for kind, _ in run.records] == ["stirring.lost", "stirring.restored"]
    assert LOST_ALARM not in run.alarms
