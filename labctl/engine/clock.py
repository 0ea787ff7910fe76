"""The engine's one clock: process seconds since the run's clock started, and a way to wait on them.

A real run waits on wall time (times a speed factor when the rig is a simulator served faster than life); a dry
run supplies a clock that moves simulated time forward instead of sleeping.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class EngineClock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class WallClock:
    """Wall time × `speed`; `speed` > 1 only against a simulated rig that runs that much faster."""

    def __init__(self, speed: float = 1.0, start: float = 0.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = time.monotonic() - start / speed

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)
