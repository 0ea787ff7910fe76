"""A stand-in powder plant with numbers chosen so every reply is predictable to the digit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators.clock import ManualClock
from simulators.mettler import BalanceConfig, MettlerConfig, MettlerQuantos, serve_mettler_tcp
from simulators.serving import TcpServer, WireFaults
from tests.simulators.wire import WireClient, tcp_client


class StandInDosingPlant:
    """Powder falls at ``rate_g_s`` until target × ``overdose_factor`` (or the head is empty), then settles."""

    def __init__(self, clock: ManualClock, pan_g: float = 100.0, head_g: float = 50.0) -> None:
        self.clock = clock
        self.pan_g = pan_g
        self.head_g = head_g
        self.rate_g_s = 0.1
        self.overdose_factor = 1.0
        self.settle_s = 0.5
        self.stall_when_empty = False
        """True: the head keeps "running" with nothing coming out (bridging) instead of stopping."""
        self.settling_forced = False
        self.starts: list[float] = []
        self._running = False
        self._goal_g = 0.0
        self._dosed_g = 0.0
        self._last_s = clock.now()
        self._settle_until = -1.0

    def advance(self) -> None:
        now = self.clock.now()
        if self._running:
            step = min(self.rate_g_s * (now - self._last_s), self._goal_g - self._dosed_g, self.head_g)
            self._dosed_g += step
            self.head_g -= step
            self.pan_g += step
            if self._dosed_g >= self._goal_g - 1e-12 or (self.head_g <= 0 and not self.stall_when_empty):
                self._running = False
                self._settle_until = now + self.settle_s
        self._last_s = now

    def start_dose(self, target_g: float) -> None:
        self.advance()
        self.starts.append(target_g)
        self._running = True
        self._goal_g = target_g * self.overdose_factor
        self._dosed_g = 0.0

    def stop_dose(self) -> None:
        self.advance()
        if self._running:
            self._running = False
            self._settle_until = self.clock.now() + self.settle_s

    def dose_running(self) -> bool:
        return self._running

    def dosed_g(self) -> float:
        return self._dosed_g

    def head_remaining_g(self) -> float:
        return self.head_g

    def balance_load_g(self) -> float:
        return self.pan_g

    def balance_settling(self) -> bool:
        return self.settling_forced or self._running or self.clock.now() < self._settle_until


class Rig:
    def __init__(
        self,
        clock: ManualClock,
        plant: StandInDosingPlant,
        inst: MettlerQuantos,
        server: TcpServer,
        faults: WireFaults,
    ) -> None:
        self.clock = clock
        self.plant = plant
        self.inst = inst
        self.server = server
        self.faults = faults

    async def connect(self) -> WireClient:
        client = await tcp_client(self.server.port)
        await client.expect(b'I4 A "B021002593"\r\n')
        return client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def plant(clock: ManualClock) -> StandInDosingPlant:
    return StandInDosingPlant(clock)


@pytest.fixture
def instrument(clock: ManualClock, plant: StandInDosingPlant) -> MettlerQuantos:
    return MettlerQuantos(plant, clock, MettlerConfig(balance=BalanceConfig(noise_digits=0.0)))


@pytest.fixture
async def rig(
    clock: ManualClock, plant: StandInDosingPlant, instrument: MettlerQuantos
) -> AsyncIterator[Rig]:
    faults = WireFaults()
    server = await serve_mettler_tcp(instrument, faults=faults)
    try:
        yield Rig(clock, plant, instrument, server, faults)
    finally:
        await server.aclose()


@pytest.fixture
async def client(rig: Rig) -> AsyncIterator[WireClient]:
    c = await rig.connect()
    try:
        yield c
    finally:
        await c.close()
