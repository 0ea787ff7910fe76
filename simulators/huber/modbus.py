"""Modbus TCP front end, instrument side, on pymodbus 3.16's simulator API (``SimDevice`` + async ``action``).

pymodbus keeps a register image; the ``action`` callback is the hook that lets the :class:`Thermostat` decide
every value before pymodbus answers, so Modbus and PB share one model. An FC 06 write in pymodbus is a set
followed by a get of the same register; the get returns the value in force that the write produced, without
reading the unit a second time.

Choices where the manual is silent (ours):
- Registers 0x00–0xFF (the PB address space) answer exactly like PB, including ``7FFF`` for undefined addresses
  and addresses above the E-grade; registers from 0x100 on have no PB counterpart and get exception 02.
- Function codes other than 03 and 06 get exception 01. Unit ids other than 0xFF get exception 0B (gateway target
  failed to respond).
- While the plant reports power loss nothing is answered. The wire faults (:class:`simulators.serving.WireFaults`)
  apply as on every other link: slow replies delay the handling, a hung unit neither acts nor answers, garbling and
  dropping bytes act on the encoded response frame, and a disconnect closes every client connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from simulators.huber.registers import to_s16, to_u16
from simulators.huber.thermostat import Thermostat
from simulators.serving import WireFaults

UNIT_ID = 0xFF
PB_ADDRESSES = 0x100
_READ_HOLDING = 3
_WRITE_SINGLE = 6


def _register_image() -> SimData:
    return SimData(address=0, count=PB_ADDRESSES, values=0, datatype=DataType.REGISTERS)


class HuberModbusServer:
    """A running Modbus TCP endpoint for one thermostat; ``port`` is the bound port."""

    def __init__(self, thermostat: Thermostat, faults: WireFaults, host: str, port: int) -> None:
        self.thermostat = thermostat
        self.faults = faults
        self.host = host
        self.port = port
        self._written: tuple[int, int] | None = None
        self._watcher: asyncio.Task[None] | None = None
        devices = [
            SimDevice(id=UNIT_ID, simdata=[_register_image()], action=self._action),
            SimDevice(id=0, simdata=[_register_image()], action=self._other_unit),
        ]
        self._server = ModbusTcpServer(devices, address=(host, port), trace_packet=self._trace_packet)

    async def start(self) -> None:
        await self._server.serve_forever(background=True)
        listener = cast(asyncio.Server, self._server.transport)
        self.host, self.port = listener.sockets[0].getsockname()[:2]
        self._watcher = asyncio.create_task(self._drop_connections_on_disconnect())

    async def _drop_connections_on_disconnect(self) -> None:
        """Cut every client off at each ``faults.disconnect()``; the listener stays up."""
        while True:
            await self.faults.disconnected()
            for connection in list(self._server.active_connections.values()):
                connection.close()

    async def aclose(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self._server.shutdown()  # type: ignore[no-untyped-call]  # untyped in pymodbus 3.16

    async def _action(  # noqa: PLR0917  # the signature is pymodbus's SimAction
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if function_code not in (_READ_HOLDING, _WRITE_SINGLE):
            return ExcCodes.ILLEGAL_FUNCTION
        if self.faults.silent:
            return ExcCodes.DEVICE_FAILURE  # hung unit: not processed, and the reply is swallowed
        offset = address - start_address
        if set_values is not None:
            return await self._write(address, cast(list[int], set_values))
        if self._written is not None and self._written[0] == address and count == 1:
            registers[offset] = self._written[1]
            self._written = None
            return None
        await self._slow()
        for i in range(count):
            value = self.thermostat.read(address + i)
            if value is None:
                return ExcCodes.DEVICE_FAILURE  # never sent: the dead unit's reply is swallowed
            registers[offset + i] = to_u16(value)
        return None

    async def _write(self, address: int, set_values: list[int]) -> ExcCodes | None:
        await self._slow()
        value = self.thermostat.write(address, to_s16(set_values[0]))
        if value is None:
            return ExcCodes.DEVICE_FAILURE
        set_values[0] = to_u16(value)
        self._written = (address, set_values[0])
        return None

    async def _other_unit(  # noqa: PLR0917  # the signature is pymodbus's SimAction
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        return ExcCodes.GATEWAY_NO_RESPONSE

    async def _slow(self) -> None:
        if self.faults.reply_delay_s > 0:
            await asyncio.sleep(self.faults.reply_delay_s)

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            return data
        if not self.thermostat.powered:
            return b""
        return self.faults.filter_tx(data)  # empty while the unit hangs


async def serve_modbus(
    thermostat: Thermostat, host: str = "127.0.0.1", port: int = 0, *, faults: WireFaults | None = None
) -> HuberModbusServer:
    server = HuberModbusServer(thermostat, faults or WireFaults(), host, port)
    await server.start()
    return server
