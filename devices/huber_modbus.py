"""Huber thermostat over Modbus TCP: holding register number = PB address, same 16-bit values.

pymodbus' own retry loop is disabled (retries=0): it would resend *any* request on timeout, including the
non-idempotent "write 1 to clear" registers.  We retry here under the same rule as the PB driver.

Wire-fault policy:
- **Timeout / slow reply / short or unframeable response** (pymodbus drops a frame whose MBAP header, length,
  unit id or function code does not fit, and then times out) → retried for reads and IDEMPOTENT_WRITES, then
  DeviceTimeout.  A reply slower than usual but within `timeout_s` is the answer.
- **Late reply**: each request carries a fresh MBAP transaction id and pymodbus' framer skips a frame whose id
  is not the one awaited (`tests/devices/test_huber_modbus.py` checks this over a socket), so a reply that
  comes after its request's deadline is never the answer to a later request.  `Reading.at` is the time the
  request was sent.
- **Link dropped** → the TCP connection is reopened once; a safe request is resent, a non-idempotent write
  raises DeviceDisconnected after the reopen (outcome unknown, next call works).
- **Garbled bytes**: Modbus TCP has no CRC (integrity is left to TCP/Ethernet checksums, so on a real network
  this fault needs a broken gateway).  A flip in the header is caught by pymodbus as above; a flip inside the
  2-byte register value is NOT detectable except when it leaves the value outside what the manual allows
  (`devices._huber.implausible`, e.g. a temperature below −151 °C) → ProtocolError, retried where safe.
"""

from __future__ import annotations

import asyncio

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

from devices._huber import HuberChiller, Sample, implausible, repeatable
from devices.errors import (
    DeviceDisconnected,
    DeviceError,
    DeviceReplyError,
    DeviceTimeout,
    NotSupported,
    ProtocolError,
)
from devices.reading import DEFAULT_CLOCK, Clock
from devices.recovery import recovering

UNIT_ID = 0xFF

_EXCEPTIONS = {1: "illegal function", 2: "illegal data address", 3: "illegal data value", 4: "device failure"}


class HuberModbus(HuberChiller):
    def __init__(
        self,
        host: str,
        port: int = 502,
        *,
        name: str = "huber",
        clock: Clock = DEFAULT_CLOCK,
        timeout_s: float = 1.0,
        retries: int = 2,
        unit_id: int = UNIT_ID,
    ) -> None:
        super().__init__(name, clock)
        self._client = AsyncModbusTcpClient(host, port=port, timeout=timeout_s, retries=0)
        self._lock = asyncio.Lock()
        self.timeout_s = timeout_s
        self.retries = retries
        self.unit_id = unit_id

    async def connect(self) -> None:
        if not await self._client.connect():
            raise DeviceDisconnected(
                self.name, f"cannot connect to Modbus TCP {self._client.comm_params.host}"
            )

    async def close(self) -> None:
        self._client.close()

    async def _call(self, address: int, value: int | None) -> Sample:
        async def once() -> Sample:
            pdu, at = await self._request(address, value)
            return Sample(self._word(address, pdu), at)

        return await recovering(once, self, retries=self.retries, repeatable=repeatable(address, value))

    @property
    def is_open(self) -> bool:
        return bool(self._client.connected)

    async def reopen(self) -> None:
        """A fresh TCP connection (`devices.recovery.Link`)."""
        self._client.close()
        await self.connect()

    async def _request(self, address: int, value: int | None) -> tuple[ModbusPDU, float]:
        try:
            async with self._lock, asyncio.timeout(self.timeout_s * 2):
                at = self._clock()
                if value is None:
                    pdu = await self._client.read_holding_registers(address, count=1, device_id=self.unit_id)
                else:
                    pdu = await self._client.write_register(address, value, device_id=self.unit_id)
                return pdu, at
        except ConnectionException as exc:
            raise DeviceDisconnected(self.name, str(exc)) from exc
        except (TimeoutError, ModbusIOException) as exc:
            if not self._client.connected:
                raise DeviceDisconnected(self.name, f"connection lost: {exc}") from exc
            raise DeviceTimeout(self.name, f"{address:02X}".encode(), self.timeout_s) from exc
        except ModbusException as exc:
            raise DeviceError(self.name, f"Modbus failure: {exc}") from exc

    def _word(self, address: int, rr: ModbusPDU) -> int:
        if rr.isError():
            code = rr.exception_code
            meaning = _EXCEPTIONS.get(code, "unknown exception")
            cls = NotSupported if code in (1, 2) else DeviceReplyError
            raise cls(self.name, f"{code:02X}", f"register {address:02X}", meaning)
        # FC06 echoes the value in force in the register-value field; FC03 returns it in registers[0].
        if len(rr.registers) != 1:
            raise ProtocolError(self.name, repr(rr), f"expected one register, got {len(rr.registers)}")
        word = int(rr.registers[0])
        why = implausible(address, word)
        if why is not None:
            raise ProtocolError(self.name, f"register {address:02X} = {word:04X}", why)
        return word

    async def _read_sample(self, address: int) -> Sample:
        return await self._call(address, None)

    async def _write_sample(self, address: int, word: int) -> Sample:
        return await self._call(address, word)
