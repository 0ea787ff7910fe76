"""What the engine's guards (stirring, chiller recovery, the step's temperature) share of the run: the
instruments, the latest snapshot, the journal and the alarms. Each guard names the rest it needs in its own
Protocol; the engine implements them all."""

from __future__ import annotations

import typing
from collections.abc import Awaitable
from typing import Any, TypeVar

from devices.rig_devices import RigDevices
from labctl.engine.alarms import Level
from labctl.engine.snapshot import Snapshot
from labctl.engine.supervisor import Supervisor
from labctl.journal.kinds import RecordKind

T = TypeVar("T")


class RunContext(typing.Protocol):
    @property
    def devices(self) -> RigDevices: ...

    @property
    def supervisor(self) -> Supervisor: ...

    @property
    def snapshot(self) -> Snapshot: ...

    def now(self) -> float: ...

    def record(self, kind: RecordKind, data: dict[str, Any], *, durable: bool = True) -> None: ...

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T: ...

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None: ...

    def clear_alarm(self, alarm_id: str) -> None: ...
