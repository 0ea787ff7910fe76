"""A stand-in plant whose temperatures and faults a test sets, and servers on real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from simulators.clock import ManualClock
from simulators.huber.modbus import HuberModbusServer, serve_modbus
from simulators.huber.pb import serve_tcp
from simulators.huber.registers import EGrade
from simulators.huber.thermostat import Thermostat
from simulators.plant import ThermostatFault
from simulators.serving import TcpServer


class StandInPlant:
    """A ThermostatPlant with no physics: the test is the world."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.internal_c = 41.12
        self.process_c: float | None = 21.75
        self.compressor = False
        self.fault_set: set[ThermostatFault] = set()
        self.power_losses: list[float] = []
        self.control: tuple[float, bool, bool, bool] | None = None

    def advance(self) -> None:
        pass

    def set_control(self, setpoint_c: float, process_mode: bool, running: bool, circulating: bool) -> None:
        self.control = (setpoint_c, process_mode, running, circulating)

    def internal_temperature_c(self) -> float:
        return self.internal_c

    def process_temperature_c(self) -> float | None:
        return self.process_c

    def compressor_on(self) -> bool:
        return self.compressor

    def faults(self) -> set[ThermostatFault]:
        return self.fault_set

    def power_cycled_since(self, t: float) -> bool:
        return any(lost > t for lost in self.power_losses)

    def lose_power(self) -> None:
        self.power_losses.append(self.clock.now())
        self.fault_set.add(ThermostatFault.POWER_LOSS)

    def restore_power(self) -> None:
        self.fault_set.discard(ThermostatFault.POWER_LOSS)


class PbClient:
    """A host on the PB line: send bytes, read exactly one 10-byte reply or time out."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, within_s: float = 1.0) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(10), within_s)

    async def ask(self, frame: bytes) -> bytes:
        await self.send(frame)
        return await self.reply()

    async def assert_silent(self, within_s: float = 0.3) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(self.reader.read(1), within_s)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def plant(clock: ManualClock) -> StandInPlant:
    return StandInPlant(clock)


@pytest.fixture
def thermostat(plant: StandInPlant, clock: ManualClock) -> Thermostat:
    return Thermostat(plant, clock, grade=EGrade.EXPLORE, setpoint_min=-3000, setpoint_max=15000)


@pytest.fixture
async def pb_server(thermostat: Thermostat) -> AsyncIterator[TcpServer]:
    server = await serve_tcp(thermostat, reply_delay_s=0.0)
    yield server
    await server.aclose()


@pytest.fixture
async def pb(pb_server: TcpServer) -> AsyncIterator[PbClient]:
    reader, writer = await asyncio.open_connection(pb_server.host, pb_server.port)
    yield PbClient(reader, writer)
    writer.close()


@pytest.fixture
async def modbus_server(thermostat: Thermostat) -> AsyncIterator[HuberModbusServer]:
    server = await serve_modbus(thermostat)
    yield server
    await server.aclose()


@pytest.fixture
async def mb(modbus_server: HuberModbusServer) -> AsyncIterator[PbClient]:
    """Raw socket to the Modbus port; ``reply`` is unused there, tests read exact lengths."""
    reader, writer = await asyncio.open_connection(modbus_server.host, modbus_server.port)
    yield PbClient(reader, writer)
    writer.close()
