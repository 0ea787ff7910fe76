"""A simulated rig in the test's own event loop: the physics world on a manual clock, instruments served on real
sockets and pseudo-terminals, drivers connected to them by URL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest

from devices.errors import DeviceError
from devices.huber_modbus import HuberModbus
from devices.huber_pb import HuberPB
from devices.ika import SETTINGS as IKA_SETTINGS
from devices.ika import IkaEurostar
from devices.mettler import MettlerBalance, QuantosDoser, open_quantos
from devices.reglo import RegloICC
from devices.roles import Chiller
from devices.transport import LineSettings, Port
from simulators.clock import ManualClock
from simulators.huber.modbus import serve_modbus
from simulators.huber.pb import serve_pty, serve_tcp
from simulators.huber.thermostat import Thermostat
from simulators.ika import Eurostar, serve_ika_pty, serve_ika_tcp
from simulators.mettler import MettlerQuantos, serve_mettler_pty, serve_mettler_tcp
from simulators.reglo import RegloICC as SimulatedReglo
from simulators.reglo import serve_reglo_pty, serve_reglo_tcp
from simulators.serving import PtyServer, TcpServer, WireFaults
from simulators.world import World, WorldConfig

T = TypeVar("T")


@dataclass
class HuberRig:
    clock: ManualClock
    world: World
    unit: Thermostat
    chiller: Chiller


HUBER_LINKS = ["pb-tcp", "pb-pty", "modbus-tcp"]


async def _connect(link: str, unit: Thermostat) -> tuple[Chiller, Callable[[], Awaitable[None]]]:
    if link == "pb-tcp":
        server = await serve_tcp(unit, reply_delay_s=0.0)
        chiller: HuberPB | HuberModbus = await HuberPB.open(
            f"socket://127.0.0.1:{server.port}", timeout_s=0.3
        )
        return chiller, server.aclose
    if link == "pb-pty":
        pty = await serve_pty(unit, reply_delay_s=0.0)
        chiller = await HuberPB.open(pty.slave_path, timeout_s=0.3)
        return chiller, pty.aclose
    modbus = await serve_modbus(unit)
    chiller = HuberModbus("127.0.0.1", modbus.port, timeout_s=0.3)
    await chiller.connect()
    return chiller, modbus.aclose


@pytest.fixture(params=HUBER_LINKS)
async def huber(request: pytest.FixtureRequest) -> AsyncIterator[HuberRig]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=7)
    unit = Thermostat(world.thermostat, clock)
    chiller, close_server = await _connect(request.param, unit)
    try:
        yield HuberRig(clock, world, unit, chiller)
    finally:
        await chiller.close()
        await close_server()


# --- shared: let simulated time pass while a driver call is in flight ---------------------------------------------


async def advancing(
    clock: ManualClock, call: Awaitable[T], *, step_s: float = 1.0, limit_s: float = 1800.0
) -> T:
    """Await ``call`` while the world's clock moves on in ``step_s`` steps, the way process time passes while a
    driver waits for its instrument (a dose, a door move, a balance settling). Fails after ``limit_s`` of
    simulated time instead of hanging on a real-time driver timeout."""
    task: asyncio.Future[T] = asyncio.ensure_future(call)
    elapsed = 0.0
    try:
        while True:
            await asyncio.sleep(
                0.003
            )  # real time: the request goes out, the instrument polls, the reply comes
            if task.done():
                return task.result()
            if elapsed >= limit_s:
                raise AssertionError(f"still waiting after {limit_s:g} s of simulated time")
            clock.advance(step_s)
            elapsed += step_s
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, DeviceError):
                await task


async def until(clock: ManualClock, condition: Callable[[], bool], *, step_s: float = 1.0) -> None:
    """Advance the clock (yielding to the served instrument) until ``condition`` holds."""
    for _ in range(100_000):
        if condition():
            return
        clock.advance(step_s)
        await asyncio.sleep(0.003)
    raise AssertionError("condition never held")


LINKS = ["tcp", "pty"]


# --- Mettler balance + Quantos on one MT-SICS port --------------------------------------------------------------


@dataclass
class QuantosRig:
    clock: ManualClock
    world: World
    unit: MettlerQuantos
    faults: WireFaults
    url: str
    balance: MettlerBalance
    doser: QuantosDoser
    _extra: list[MettlerBalance] = field(default_factory=list)

    async def reconnect(self) -> tuple[MettlerBalance, QuantosDoser]:
        """A second, fresh connection to the same instrument (what a restarted controller opens)."""
        balance, doser = await open_quantos(self.url, clock=self.clock.now, timeout_s=0.5)
        self._extra.append(balance)
        return balance, doser


@pytest.fixture(params=LINKS)
async def quantos(request: pytest.FixtureRequest) -> AsyncIterator[QuantosRig]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=11)
    unit = MettlerQuantos(world.doser, clock)
    faults = WireFaults()
    server: TcpServer | PtyServer
    if request.param == "tcp":
        server = await serve_mettler_tcp(unit, faults=faults)
        url = f"socket://127.0.0.1:{server.port}"
    else:
        server = await serve_mettler_pty(unit, faults=faults)
        url = server.slave_path
    balance, doser = await open_quantos(url, clock=clock.now, timeout_s=0.5)
    rig = QuantosRig(clock, world, unit, faults, url, balance, doser)
    try:
        yield rig
    finally:
        for b in [balance, *rig._extra]:
            await b.close()
        await server.aclose()


# --- Ismatec Reglo ICC ------------------------------------------------------------------------------------------


@dataclass
class RegloRig:
    clock: ManualClock
    world: World
    unit: SimulatedReglo
    faults: WireFaults
    port: Port
    pump: RegloICC


@pytest.fixture(params=LINKS)
async def reglo(request: pytest.FixtureRequest) -> AsyncIterator[RegloRig]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=5)
    unit = SimulatedReglo(world.pump, clock)
    faults = WireFaults()
    server: TcpServer | PtyServer
    if request.param == "tcp":
        server = await serve_reglo_tcp(unit, faults=faults)
        url = f"socket://127.0.0.1:{server.port}"
    else:
        server = await serve_reglo_pty(unit, faults=faults)
        url = server.slave_path
    pump = await RegloICC.open(url, clock=clock.now, timeout_s=0.3)
    try:
        yield RegloRig(clock, world, unit, faults, pump._port, pump)
    finally:
        await pump.close()
        await server.aclose()


# --- IKA EUROSTAR overhead stirrer -----------------------------------------------------------------------------


@dataclass
class EurostarRig:
    clock: ManualClock
    world: World
    unit: Eurostar
    faults: WireFaults
    stirrer: IkaEurostar


@pytest.fixture(params=LINKS)
async def eurostar(request: pytest.FixtureRequest) -> AsyncIterator[EurostarRig]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=9)
    unit = Eurostar(world.stirrer, clock)
    faults = WireFaults()
    server: TcpServer | PtyServer
    if request.param == "tcp":
        server = await serve_ika_tcp(unit, faults=faults)
        url = f"socket://127.0.0.1:{server.port}"
    else:
        server = await serve_ika_pty(unit, faults=faults)
        url = server.slave_path
    # A pseudo-terminal has no UART: this machine's refuses 7E1 (EINVAL), and nothing on it checks parity anyway.
    settings = IKA_SETTINGS if request.param == "tcp" else LineSettings()
    stirrer = await IkaEurostar.open(url, clock=clock.now, timeout_s=0.5, settings=settings)
    try:
        yield EurostarRig(clock, world, unit, faults, stirrer)
    finally:
        await stirrer.close()
        await server.aclose()
