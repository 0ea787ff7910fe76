"""The MT-SICS simulator (balance, Quantos head, powder plant) served on a real socket or pseudo-terminal behind a
wire whose replies a test can hold back and release, which logs every command line the instrument received:
so a test can keep a request waiting for its answer for as long as it likes and see what reached the doser."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from devices.mettler import MettlerBalance, QuantosDoser, open_quantos
from simulators.clock import ManualClock
from simulators.mettler import MettlerQuantos
from simulators.mettler.server import session_factory
from simulators.serving import ByteSession, PtyServer, Send, SessionFactory, TcpServer, serve_pty, serve_tcp
from simulators.world import World, WorldConfig


@dataclass
class HeldWire:
    received: list[str] = field(default_factory=list)
    """Each command line the instrument received, without its line end."""
    holding: bool = False
    """While set, replies wait on the wire; `release()` sends them in order."""
    _held: list[bytes] = field(default_factory=list)
    _send: Send | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def factory(self, unit: MettlerQuantos) -> SessionFactory:
        make = session_factory(unit)

        def wrapped(send: Send) -> ByteSession:
            self._send = send
            return _Logged(make(self._maybe_hold), self._received)

        return wrapped

    def _maybe_hold(self, data: bytes) -> None:
        if self.holding:
            self._held.append(data)
        elif self._send is not None:
            self._send(data)

    def release(self) -> None:
        self.holding = False
        held, self._held = self._held, []
        for data in held:
            self._maybe_hold(data)

    def _received(self, line: str) -> None:
        self.received.append(line)
        self._arrived.set()

    async def received_line(self, line: str, timeout_s: float = 5.0) -> None:
        """Wait (wall time) until the instrument has received `line`."""
        async with asyncio.timeout(timeout_s):
            while line not in self.received:
                self._arrived.clear()
                await self._arrived.wait()


class _Logged:
    def __init__(self, inner: ByteSession, received: Callable[[str], None]) -> None:
        self._inner, self._received, self._line = inner, received, bytearray()

    def feed(self, data: bytes) -> None:
        self._line += data
        while (end := self._line.find(b"\n")) >= 0:
            if line := self._line[:end].decode("ascii", "replace").strip():
                self._received(line)
            del self._line[: end + 1]
        self._inner.feed(data)

    def poll(self) -> None:
        self._inner.poll()

    def close(self) -> None:
        self._inner.close()


@dataclass
class HeldQuantos:
    clock: ManualClock
    unit: MettlerQuantos
    wire: HeldWire
    balance: MettlerBalance
    doser: QuantosDoser

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (wall time, the clock standing still) until the simulator's state says `condition`."""
        for _ in range(2000):
            if condition():
                return
            await asyncio.sleep(0.003)
        raise AssertionError("condition never held")

    async def advancing(self, task: asyncio.Task[None], step_s: float = 0.5, limit_s: float = 600.0) -> None:
        """Await `task` while simulated time moves on (a dose takes seconds of it)."""
        elapsed = 0.0
        while not task.done():
            assert elapsed < limit_s, f"still waiting after {limit_s:g} s of simulated time"
            await asyncio.sleep(0.003)
            self.clock.advance(step_s)
            elapsed += step_s
        await task


@asynccontextmanager
async def held_quantos(link: str, timeout_s: float = 1.0) -> AsyncIterator[HeldQuantos]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=11)
    unit = MettlerQuantos(world.doser, clock)
    wire = HeldWire()
    server: TcpServer | PtyServer
    if link == "tcp":
        server = await serve_tcp(wire.factory(unit))
        url = f"socket://127.0.0.1:{server.port}"
    else:
        server = await serve_pty(wire.factory(unit))
        url = server.slave_path
    balance, doser = await open_quantos(url, clock=clock.now, timeout_s=timeout_s)
    try:
        yield HeldQuantos(clock, unit, wire, balance, doser)
    finally:
        await balance.close()
        await server.aclose()
