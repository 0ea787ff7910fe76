"""Values as the supervisor sees them: possibly absent, always time-stamped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

Clock = Callable[[], float]
"""Seconds on a monotonic scale; injected so a dry run can fast-forward and tests can step time."""

DEFAULT_CLOCK: Clock = time.monotonic


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """One observation.

    `value` is None when the instrument has no value (sensor missing); it is never a stand-in 0.0.
    `at` is the clock time the value was asked for (the request sent; exactly that for Huber, IKA, Reglo), so
    staleness can be judged later: a slow reply does not make a value newer than when the unit was asked.
    `stable` is only meaningful for balances; None elsewhere.
    """

    value: T | None
    at: float
    stable: bool | None = None


@dataclass(frozen=True, slots=True)
class Applied(Generic[T]):
    """Result of a write: what was asked and what the instrument says is now in force.

    A limited setpoint is not an error (the unit did something sensible) but the caller must see it.
    """

    requested: T
    in_force: T
    at: float

    @property
    def limited(self) -> bool:
        return self.requested != self.in_force
