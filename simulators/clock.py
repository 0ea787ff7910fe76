"""Simulated time. Everything in ``simulators/`` asks a clock for the time, so a rig runs in fast-forward (a test
or a dry run advances a :class:`ManualClock`) or at N× wall time (:class:`ScaledClock`) with the same code."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds of process time since the simulation started."""
        ...


class ManualClock:
    """Time moves only when told to: tests and fast-forward dry runs."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._now += seconds


class ScaledClock:
    """Wall time multiplied by ``speed`` (1.0 = real time): a rig served for a real controller."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed
