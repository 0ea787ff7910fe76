"""What a step handler may use of the run: the engine implements it, a test stands in for it.

A step sees the journal (through `record`), the clock, the instruments (commands go out through `send`, so
each is journalled before it leaves), the alarms, the operator's prompts and the latest snapshot. It does not
see the run's state machine, the interlocks or the other steps: those stay the engine's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from devices.rig_devices import RigDevices
from labctl.engine.accumulation import OxidantModel
from labctl.engine.alarms import Level
from labctl.engine.calorimeter import Calorimeter
from labctl.engine.control import Delivery, Prompt
from labctl.engine.snapshot import Snapshot
from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.protocol.model import Material

T = TypeVar("T")


class StepContext(Protocol):
    progress: str | None
    """What the current step is doing or waiting for, in a few words (shown on the status line)."""

    @property
    def step_id(self) -> str | None: ...

    @property
    def run_id(self) -> str | None: ...

    @property
    def devices(self) -> RigDevices: ...

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def step_setpoint(self) -> float | None: ...

    @property
    def oxidant(self) -> OxidantModel | None:
        """The MTSR estimate a dose feeds and its permit reads; None for a protocol without one."""
        ...

    @property
    def calorimeter(self) -> Calorimeter | None:
        """The heat balance a dose calibrates and feeds; None for a protocol without an oxidant model."""
        ...

    @property
    def additions_running(self) -> set[str]:
        """'doser' / 'pump' while an addition may be flowing: a step adds and discards its own."""
        ...

    def now(self) -> float: ...

    def material(self, material_id: str) -> Material | None: ...

    def previous(self) -> list[Record]:
        """The current step's records from before a restart; empty on a first run."""
        ...

    def record(self, kind: RecordKind, data: dict[str, Any], *, durable: bool = True) -> None: ...

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T: ...

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]: ...

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None: ...

    def clear_alarm(self, alarm_id: str) -> None: ...

    def open_prompt(
        self, message: str, delivery: Delivery | None = None, on_decline: Callable[[str], None] | None = None
    ) -> Prompt: ...

    def pause_for_operator(self, reason: str) -> None: ...

    def addition_blockers(self) -> list[str]: ...

    async def stop_additions(self, because: str) -> None: ...

    async def set_temperature(self, target: float, control: str) -> None: ...

    async def run_stirrer(self, rpm: float | None) -> None: ...

    def set_doser_fault(self, fault: str) -> None: ...

    def doser_answered(self) -> None: ...
