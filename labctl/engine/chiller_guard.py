"""The chiller's part in keeping the rig safe: its own limits and watchdog programmed at the start, fed while
labctl runs, full cooling on a trip, and the watchdog disarmed when labctl ends a run on purpose."""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Awaitable
from typing import Any, TypeVar

from devices.errors import DeviceError, NotSupported
from devices.rig_devices import RigDevices
from labctl.engine.alarms import Level
from labctl.engine.snapshot import Snapshot
from labctl.engine.supervisor import Supervisor
from labctl.protocol.model import Protocol

T = TypeVar("T")

WATCHDOG_S = 60
"""Chiller fallback watchdog: process seconds without labctl before the unit goes to the safe setpoint."""
WATCHDOG_FEED_S = 10.0


class GuardContext(typing.Protocol):
    """What the chiller guard uses of the run (the engine implements it)."""

    @property
    def devices(self) -> RigDevices: ...

    @property
    def protocol(self) -> Protocol: ...

    @property
    def supervisor(self) -> Supervisor: ...

    @property
    def snapshot(self) -> Snapshot: ...

    @property
    def step_setpoint(self) -> float | None: ...

    def now(self) -> float: ...

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T: ...

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None: ...


class ChillerGuard:
    def __init__(self, engine: GuardContext) -> None:
        self._eng = engine
        self._fed: float | None = None
        self.cooling_unsent = False
        """Full cooling was asked for while the unit could not be reached: sent again once it answers."""
        self.cooling_on = False
        """A trip asked for full cooling and no resume has undone it: what the unit is brought back to."""

    async def program(self) -> None:
        """The unit's own protection, so it stays safe if labctl dies: setpoint limits to the protocol's range
        and watchdog 2, which switches to the safe setpoint and keeps running when labctl stops feeding it.
        (Watchdog 1 and the unit's alarm limits stop the unit on expiry: worse than a stale setpoint.)"""
        eng = self._eng
        chiller, needs = eng.devices.chiller, eng.protocol.equipment.chiller
        if chiller is None:
            return
        if needs is not None and needs.temperature_range is not None:
            low, high = needs.temperature_range
            limits = await eng.send(
                "chiller", "setpoint-limits", chiller.set_setpoint_limits(low, high), low_C=low, high_C=high
            )
            if (limits.low, limits.high) != (low, high):
                eng.raise_alarm(
                    "chiller-limits",
                    Level.WARNING,
                    f"unit holds setpoint limits {limits.low}–{limits.high} °C",
                )
        safe = self.safe_setpoint()
        if safe is None:
            return
        try:
            await eng.send(
                "chiller",
                "fallback-watchdog",
                chiller.arm_fallback_watchdog(WATCHDOG_S, safe),
                seconds=WATCHDOG_S,
                safe_C=safe,
            )
            self._fed = eng.now()
        except NotSupported:
            eng.raise_alarm(
                "no-chiller-watchdog",
                Level.WARNING,
                "the chiller has no fallback watchdog: if labctl stops, it keeps its last setpoint",
            )

    async def feed(self) -> None:
        eng = self._eng
        if self.cooling_unsent and eng.snapshot.chiller.online:
            await self.full_cooling()
        chiller = eng.devices.chiller
        if chiller is None or self._fed is None or eng.now() - self._fed < WATCHDOG_FEED_S:
            return
        if not eng.snapshot.chiller.online:
            return  # the poll finds out when it is back; a dead link should not cost a second timeout
        with contextlib.suppress(DeviceError):  # a dead link shows as chiller offline in the next poll
            await chiller.feed_watchdog()
            self._fed = eng.now()

    def safe_setpoint(self) -> float | None:
        low = self._eng.protocol.equipment.lowest_setpoint_c()
        return low if low is not None else self._eng.step_setpoint

    async def full_cooling(self) -> None:
        eng = self._eng
        target, chiller = self.safe_setpoint(), eng.devices.chiller
        if target is None or chiller is None:
            return
        self.cooling_on = True
        try:
            applied = await eng.send("chiller", "setpoint", chiller.set_setpoint(target), setpoint_C=target)
            eng.supervisor.note_setpoint(applied.in_force)
        except DeviceError as exc:
            self.cooling_unsent = True
            eng.raise_alarm("safe-setpoint-failed", Level.ALARM, f"could not set full cooling: {exc}")
            return
        self.cooling_unsent = False

    def cooling_undone(self) -> None:
        """A resume: the step's temperature replaces the trip's full cooling, sent or not."""
        self.cooling_unsent = self.cooling_on = False

    async def disarm(self) -> None:
        """A run labctl ends on purpose leaves the unit at the setpoint it was given, not at the fallback."""
        chiller = self._eng.devices.chiller
        if self._fed is not None and chiller is not None:
            with contextlib.suppress(DeviceError):
                await self._eng.send("chiller", "disarm-watchdog", chiller.disarm_watchdog())
                self._fed = None
