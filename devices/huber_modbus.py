"""Huber thermostat over Modbus TCP: holding register number = PB address, same 16-bit values.

pymodbus' own retry loop is disabled (retries=0): it would resend *any* request on timeout, including the
non-idempotent "write 1 to clear" registers.  We retry here under the same rule as the PB driver.
"""

from __future__ import annotations

import asyncio

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU

from devices._huber import IDEMPOTENT_WRITES, HuberChiller
from devices.errors import DeviceDisconnected, DeviceError, DeviceReplyError, DeviceTimeout, NotSupported
from devices.reading import DEFAULT_CLOCK, Clock

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

    async def _call(self, address: int, value: int | None) -> int:
        attempts = 1 + (self.retries if value is None or address in IDEMPOTENT_WRITES else 0)
        for attempt in range(attempts):
            try:
                async with self._lock, asyncio.timeout(self.timeout_s * 2):
                    if value is None:
                        rr: ModbusPDU = await self._client.read_holding_registers(
                            address, count=1, device_id=self.unit_id
                        )
                    else:
                        rr = await self._client.write_register(address, value, device_id=self.unit_id)
            except (TimeoutError, ModbusIOException) as exc:
                if attempt + 1 == attempts:
                    raise DeviceTimeout(self.name, f"{address:02X}".encode(), self.timeout_s) from exc
                continue
            except ConnectionException as exc:
                raise DeviceDisconnected(self.name, str(exc)) from exc
            except ModbusException as exc:
                raise DeviceError(self.name, f"Modbus failure: {exc}") from exc
            return self._word(address, rr)
        raise AssertionError("unreachable")

    def _word(self, address: int, rr: ModbusPDU) -> int:
        if rr.isError():
            code = rr.exception_code
            meaning = _EXCEPTIONS.get(code, "unknown exception")
            cls = NotSupported if code in (1, 2) else DeviceReplyError
            raise cls(self.name, f"{code:02X}", f"register {address:02X}", meaning)
        # FC06 echoes the value in force in the register-value field; FC03 returns it in registers[0].
        return int(rr.registers[0])

    async def _read_word(self, address: int) -> int:
        return await self._call(address, None)

    async def _write_word(self, address: int, word: int) -> int:
        return await self._call(address, word)
