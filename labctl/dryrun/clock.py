"""Simulated time for a dry run: sleeping moves the simulators' clock forward instead of waiting.

Time moves only inside `sleep`, one world step at a time; after each step the rig's time-driven behaviour runs
(a dose ends, a pump stops) and the event loop is given a few turns so the replies those produce reach the
drivers before the engine looks again. While no instrument has a job under way, no fault was injected and the
engine has no background job (a dose whose start may still be on its way), a step produces nothing to carry and
nothing is waiting to go out, so such a sleep does not settle at all.
Scheduled faults are injected at their process time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from labctl.sim.faults import FaultSchedule
from simulators.clock import ManualClock
from simulators.rig import SimulatedRig

log = structlog.get_logger("labctl.dryrun")

SETTLE_TURNS = 6
"""Event-loop turns after each step: queue → socket → driver buffer → the awaiting coroutine → its task, and one
to spare (12 were given before: the scale-up's summary and every dry-run test came out the same with 6, and the
turns were half of a cycle's event-loop work)."""


class FastForwardClock:
    def __init__(
        self,
        clock: ManualClock,
        rig: SimulatedRig,
        schedule: FaultSchedule | None = None,
        step_s: float = 1.0,
        speed: float | None = None,
    ) -> None:
        self._clock = clock
        self._speed = speed
        self._origin: tuple[float, float] | None = None
        self._rig = rig
        self._step_s = step_s
        self._pending = schedule.ordered() if schedule is not None else []
        self._jobs_running: Callable[[], bool] = lambda: True
        self.injected: list[tuple[float, str]] = []
        self._inject_due()  # a fault "at 0 s" is there before the first poll

    def now(self) -> float:
        return self._clock.now()

    def carry_only_while(self, jobs_running: Callable[[], bool]) -> None:
        """Settle before a sleep only while `jobs_running()` (the engine's background jobs, e.g. a dose whose
        start may still be on its way) or an instrument is busy: otherwise every request of the cycle that just
        ended has had its reply, and there is nothing to carry."""
        self._jobs_running = jobs_running

    async def sleep(self, seconds: float) -> None:
        if self._jobs_running() or self._rig.busy():
            await settle()
        remaining = seconds
        while remaining > 1e-9:
            dt = min(self._step_s, remaining)
            self._clock.advance(dt)
            remaining -= dt
            injected = self._inject_due()
            self._rig.tick()
            if injected or self._rig.busy() or (remaining <= 1e-9 and self._jobs_running()):
                await settle()
            if self._speed is not None:
                await self._pace()

    async def _pace(self) -> None:
        """At a given speed, process time keeps to wall time × speed (from the first sleep, without drift)."""
        assert self._speed is not None
        loop = asyncio.get_running_loop()
        if self._origin is None:
            self._origin = (loop.time(), self._clock.now())
        wall0, process0 = self._origin
        ahead = wall0 + (self._clock.now() - process0) / self._speed - loop.time()
        if ahead > 0:
            await asyncio.sleep(ahead)

    def _inject_due(self) -> bool:
        if not self._pending:
            return False
        now = self._clock.now()
        injected = False
        while self._pending and self._pending[0].at <= now + 1e-9:
            fault = self._pending.pop(0)
            self._rig.inject(fault.fault)
            self.injected.append((now, fault.fault))
            log.info("dryrun.fault", fault=fault.fault, at_s=now)
            injected = True
        return injected


async def settle() -> None:
    for _ in range(SETTLE_TURNS):
        await asyncio.sleep(0)
