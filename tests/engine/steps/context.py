"""A StepContext for step tests: it keeps what a step recorded, sent, raised and asked, on a clock the test
moves, with a snapshot the test sets. The engine's own behaviour behind these calls is not under test here."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from devices.rig_devices import RigDevices
from labctl.engine.accumulation import OxidantModel
from labctl.engine.alarms import Level
from labctl.engine.calorimeter import Calorimeter
from labctl.engine.control import Delivery, Prompt
from labctl.engine.snapshot import Snapshot
from labctl.engine.step_context import StepContext
from labctl.engine.supervisor import Supervisor
from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.protocol.model import Material
from tests.engine.bench import Bench
from tests.engine.snapshots import snap

T = TypeVar("T")


@dataclass
class Sent:
    device: str
    command: str
    data: dict[str, Any]


@dataclass
class RecordingContext:
    """Implements labctl.engine.step_context.StepContext."""

    t: float = 100.0
    snapshot: Snapshot = field(default_factory=snap)
    devices: RigDevices = field(default_factory=lambda: RigDevices("test"))
    step_id: str | None = "s1"
    run_id: str | None = "20261207-120000-abcdef"
    step_setpoint: float | None = None
    oxidant: OxidantModel | None = None
    calorimeter: Calorimeter | None = None
    materials: dict[str, Material] = field(default_factory=dict)
    earlier: list[Record] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    progress: str | None = None
    additions_running: set[str] = field(default_factory=set)
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    recorded_at: list[float] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    alarms: dict[str, tuple[Level, str]] = field(default_factory=dict)
    cleared: list[str] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    pauses: list[str] = field(default_factory=list)
    temperatures: list[tuple[float, str]] = field(default_factory=list)
    stirrer_rpm: list[float | None] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)
    doser_fault: str | None = None
    doser_answers: int = 0

    def now(self) -> float:
        return self.t

    def material(self, material_id: str) -> Material | None:
        return self.materials.get(material_id)

    def previous(self) -> list[Record]:
        return self.earlier

    def record(self, kind: RecordKind, data: dict[str, Any], *, durable: bool = True) -> None:
        self.records.append((kind, data))
        self.recorded_at.append(self.t)

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T:
        self.sent.append(Sent(device, command, data))
        return await call

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        return asyncio.get_running_loop().create_task(coro)

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None:
        self.alarms[alarm_id] = (level, message)

    def clear_alarm(self, alarm_id: str) -> None:
        self.cleared.append(alarm_id)

    def open_prompt(
        self, message: str, delivery: Delivery | None = None, on_decline: Callable[[str], None] | None = None
    ) -> Prompt:
        number = len(self.prompts) + 1
        prompt = Prompt(
            f"{self.step_id}#{number}",
            self.step_id or "",
            message,
            self.t,
            delivery=delivery,
            on_decline=on_decline,
        )
        self.prompts.append(prompt)
        return prompt

    def pause_for_operator(self, reason: str) -> None:
        self.pauses.append(reason)

    def addition_blockers(self) -> list[str]:
        """As the engine's: a pause a step asked for holds every addition until a person resumes (a test empties
        `pauses`)."""
        return list(self.blockers) + (["run paused"] if self.pauses else [])

    async def stop_additions(self, because: str) -> None:
        self.stops.append(because)

    async def set_temperature(self, target: float, control: str) -> None:
        self.temperatures.append((target, control))
        self.step_setpoint = target

    async def run_stirrer(self, rpm: float | None) -> None:
        self.stirrer_rpm.append(rpm)

    def set_doser_fault(self, fault: str) -> None:
        self.doser_fault = fault

    def doser_answered(self) -> None:
        self.doser_answers += 1
        self.doser_fault = None

    # --- for the tests -------------------------------------------------------------------------------------

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.records]

    def data(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data in self.records if k == kind]

    def times(self, kind: str) -> list[float]:
        return [t for (k, _), t in zip(self.records, self.recorded_at, strict=True) if k == kind]


def as_step_context(ctx: RecordingContext) -> StepContext:
    return ctx  # mypy checks here that the double is a StepContext


Cycle = Callable[[RecordingContext], None]


async def drive(
    moves: AsyncGenerator[None, None],
    ctx: RecordingContext,
    *,
    period_s: float = 1.0,
    each: Cycle | None = None,
    limit: int = 100_000,
) -> int:
    """Runs a step's moves as the engine would, one cycle per yield: the clock moves `period_s`, then `each`
    (the test's world) sees it. Returns how many cycles the step took; fails past `limit`."""
    cycles = 0
    async for _ in moves:
        cycles += 1
        assert cycles <= limit, f"the step was still waiting after {limit} cycles"
        ctx.t += period_s
        if each is not None:
            each(ctx)
    return cycles


async def advance(
    moves: AsyncGenerator[None, None], ctx: RecordingContext, cycles: int, *, period_s: float = 1.0
) -> bool:
    """`cycles` moves of a step that may not finish by itself; False once it has ended."""
    for _ in range(cycles):
        try:
            await anext(moves)
        except StopAsyncIteration:
            return False
        ctx.t += period_s
    return True


async def drive_on_bench(
    moves: AsyncGenerator[None, None],
    ctx: RecordingContext,
    bench: Bench,
    supervisor: Supervisor,
    *,
    limit: int = 10_000,
) -> int:
    """As `drive`, against the simulated rig: each cycle lets one second of the bench pass and polls it, so
    the step sees the instruments' real answers."""
    ctx.t, ctx.snapshot = bench.clock.now(), await supervisor.poll()
    cycles = 0
    async for _ in moves:
        cycles += 1
        assert cycles <= limit, f"the step was still waiting after {limit} cycles"
        await bench.clock.sleep(1.0)
        ctx.t, ctx.snapshot = bench.clock.now(), await supervisor.poll()
    return cycles
