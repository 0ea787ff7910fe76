"""Getting back to the step's temperature after a trip: the step's setpoint written again, and a cold mass
warmed back on a ramp that never runs ahead of Tr, with the way back into the band journalled."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from devices.rig_devices import RigDevices
from labctl.engine.alarms import Level
from labctl.engine.chiller_guard import ChillerGuard, GuardContext
from labctl.engine.snapshot import Snapshot
from labctl.engine.step_temperature import LEAD_K, WARM_BACK_K_MIN, StepTemperature, TemperatureContext
from labctl.engine.supervisor import Supervisor
from labctl.journal.kinds import RecordKind
from labctl.protocol.model import Protocol
from tests.engine.bench import Bench
from tests.engine.snapshots import snap

T = TypeVar("T")
BAND = (0.0, 5.0)


@dataclass
class TemperatureRun:
    """Implements TemperatureContext (and the chiller guard's GuardContext) over the bench; Tr is the test's."""

    bench: Bench
    supervisor: Supervisor
    step_id: str | None = "stir-cold"
    step_setpoint: float | None = None
    t: float = 0.0
    tr: float = -8.0
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    setpoints: list[tuple[float, float]] = field(default_factory=list)
    applied: list[tuple[float, str]] = field(default_factory=list)
    alarms: dict[str, tuple[Level, str]] = field(default_factory=dict)
    chiller_guard: ChillerGuard = field(init=False)

    def __post_init__(self) -> None:
        self.chiller_guard = ChillerGuard(self)

    @property
    def devices(self) -> RigDevices:
        return self.bench.devices

    @property
    def protocol(self) -> Protocol:
        return self.bench.loaded.protocol

    @property
    def snapshot(self) -> Snapshot:
        return snap(self.tr, at=self.t, setpoint=-10.0)

    def now(self) -> float:
        return self.t

    def record(self, kind: RecordKind, data: dict[str, Any], *, durable: bool = True) -> None:
        self.records.append((kind, data))

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T:
        self.setpoints.append((self.t, data["setpoint_C"]))
        return await call

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None:
        self.alarms[alarm_id] = (level, message)

    def clear_alarm(self, alarm_id: str) -> None:
        self.alarms.pop(alarm_id, None)

    async def apply_temperature(self, target: float, control: str, *, start: bool = False) -> None:
        self.applied.append((target, control))


def as_contexts(run: TemperatureRun) -> tuple[TemperatureContext, GuardContext]:
    return run, run  # mypy checks here that the double is both


@pytest.fixture
def run(bench: Bench) -> TemperatureRun:
    return TemperatureRun(bench, Supervisor(bench.devices.chiller, bench.clock, 1.0, None))


async def test_a_resume_into_a_cold_mass_starts_the_way_back_at_tr(run: TemperatureRun) -> None:
    temperature = StepTemperature(run, {"stir-cold": BAND})
    temperature.chosen(2.0, "process")
    run.chiller_guard.cooling_on = True
    temperature.pending = True
    await temperature.restore()
    assert run.records == [
        (
            "setpoint.restored",
            {
                "setpoint_C": 2.0,
                "control": "process",
                "from_C": -10.0,
                "Tr_C": -8.0,
                "warming_back": True,
                "start_C": -8.0,
            },
        )
    ]
    assert run.applied == [(-8.0, "process")]
    assert not run.chiller_guard.cooling_on  # the trip's full cooling is undone
    assert temperature.returning
    assert not temperature.pending


async def test_the_way_back_up_keeps_its_pace_and_never_runs_ahead_of_tr(run: TemperatureRun) -> None:
    temperature = StepTemperature(run, {"stir-cold": BAND})
    temperature.chosen(2.0, "process")
    temperature.pending = True
    await temperature.restore()
    while temperature.returning and run.t < 4 * 3600:
        run.t += 10.0
        run.tr = min(run.tr + 0.03, 3.0)  # the mass warms a little slower than the ramp
        await temperature.advance()
    written = [value for _, value in run.setpoints]
    assert written[-1] == 2.0
    assert written == sorted(written)
    last_t, last = 0.0, -8.0
    for at, value in run.setpoints:
        assert value - last <= WARM_BACK_K_MIN * (at - last_t) / 60.0 + 0.005 + 1e-9  # written to 0.01 K
        last_t, last = at, value
    assert all(value <= -8.0 + 0.03 * (at / 10.0) + LEAD_K + 1e-6 for at, value in run.setpoints)
    back = [data for kind, data in run.records if kind == "setpoint.back-in-band"]
    assert len(back) == 1
    assert back[0]["band_C"] == [0.0, 5.0]
    assert back[0]["Tr_C"] >= 0.0
    assert not temperature.returning


async def test_a_resume_into_a_mass_already_at_its_setpoint_writes_it_at_once(run: TemperatureRun) -> None:
    temperature = StepTemperature(run, {"stir-cold": BAND})
    temperature.chosen(2.0, "process")
    run.tr = 3.0
    temperature.pending = True
    await temperature.restore()
    assert run.applied == [(2.0, "process")]
    assert run.records[0][1]["warming_back"] is False
    await temperature.advance()
    assert run.setpoints == []  # no way back up to pace
    assert [kind for kind, _ in run.records] == ["setpoint.restored", "setpoint.back-in-band"]
