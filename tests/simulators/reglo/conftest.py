"""A stand-in liquid plant whose volumes are exact at round times."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators.clock import ManualClock
from simulators.reglo import RegloICC, serve_reglo_tcp
from simulators.serving import TcpServer, WireFaults
from tests.simulators.wire import WireClient, tcp_client


class StandInPumpPlant:
    """Moves ``rate`` mL/min; ``delivery`` is the fraction reaching the reactor (0: empty reservoir)."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.delivery = 1.0
        self.occlude_at_ml: float | None = None
        self.runs: list[tuple[float, float | None]] = []
        self._rate = 0.0
        self._target: float | None = None
        self._running = False
        self._moved = 0.0
        self._delivered = 0.0
        self._last = clock.now()
        self._cause: str | None = None

    def advance(self) -> None:
        now = self.clock.now()
        if self._running:
            step = self._rate / 60.0 * (now - self._last)
            limits = [lim for lim in (self._target, self.occlude_at_ml) if lim is not None]
            cap = min(limits) if limits else None
            if cap is not None:
                step = min(step, cap - self._moved)
            self._moved += step
            self._delivered += step * self.delivery
            if self.occlude_at_ml is not None and self._moved >= self.occlude_at_ml - 1e-9:
                self._running, self._cause = False, "occlusion"
            elif self._target is not None and self._moved >= self._target - 1e-9:
                self._running, self._cause = False, "complete"
        self._last = now

    def run(self, rate_ml_min: float, volume_ml: float | None) -> None:
        self.advance()
        self.runs.append((rate_ml_min, volume_ml))
        self._rate, self._target = rate_ml_min, volume_ml
        self._running, self._cause = True, None
        self._moved = self._delivered = 0.0

    def stop(self) -> None:
        self.advance()
        self._running = False

    def running(self) -> bool:
        return self._running

    def commanded_ml(self) -> float:
        return self._moved

    def delivered_ml(self) -> float:
        return self._delivered

    def stop_cause(self) -> str | None:
        return None if self._running else self._cause


class Rig:
    def __init__(
        self,
        clock: ManualClock,
        plant: StandInPumpPlant,
        pump: RegloICC,
        server: TcpServer,
        faults: WireFaults,
    ) -> None:
        self.clock = clock
        self.plant = plant
        self.pump = pump
        self.server = server
        self.faults = faults


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def plant(clock: ManualClock) -> StandInPumpPlant:
    return StandInPumpPlant(clock)


@pytest.fixture
async def rig(clock: ManualClock, plant: StandInPumpPlant) -> AsyncIterator[Rig]:
    pump = RegloICC(plant, clock)
    faults = WireFaults()
    server = await serve_reglo_tcp(pump, faults=faults)
    try:
        yield Rig(clock, plant, pump, server, faults)
    finally:
        await server.aclose()


@pytest.fixture
async def client(rig: Rig) -> AsyncIterator[WireClient]:
    c = await tcp_client(rig.server.port)
    try:
        yield c
    finally:
        await c.close()
