"""Huber thermostat over the "PB" line protocol (RS232, USB or TCP port 8101).

Frames are exactly `{Mttvvvv\r\n` → `{Sttvvvv\r\n`.  A malformed command gets *no* reply, so silence is
indistinguishable from a lost frame: we time out and retry, but only where repeating cannot change the outcome
(reads and the IDEMPOTENT_WRITES in `devices._huber`).  Before every request we drop stale input so a late
reply to an abandoned request is never taken as the answer to the next one.
"""

from __future__ import annotations

import re

from devices._huber import IDEMPOTENT_WRITES, HuberChiller
from devices.errors import DeviceTimeout, ProtocolError
from devices.reading import DEFAULT_CLOCK, Clock
from devices.transport import LineSettings, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
_REPLY = re.compile(rb"\{S([0-9A-F]{2})([0-9A-F]{4})\r\n")


def encode(address: int, word: int | None) -> bytes:
    """`None` = `****`, the read-only marker."""
    value = "****" if word is None else f"{word & 0xFFFF:04X}"
    return f"{{M{address:02X}{value}\r\n".encode("ascii")


class HuberPB(HuberChiller):
    def __init__(
        self,
        port: Port,
        *,
        clock: Clock = DEFAULT_CLOCK,
        timeout_s: float = 1.0,
        retries: int = 2,
    ) -> None:
        super().__init__(port.name, clock)
        self._port = port
        self.timeout_s = timeout_s
        self.retries = retries

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        name: str = "huber",
        clock: Clock = DEFAULT_CLOCK,
        timeout_s: float = 1.0,
        retries: int = 2,
    ) -> HuberPB:
        port = await Port.open(url, name=name, settings=SETTINGS)
        return cls(port, clock=clock, timeout_s=timeout_s, retries=retries)

    async def close(self) -> None:
        await self._port.close()

    async def _transact(self, address: int, word: int | None) -> int:
        request = encode(address, word)
        attempts = 1 + (self.retries if word is None or address in IDEMPOTENT_WRITES else 0)
        for attempt in range(attempts):
            try:
                async with self._port.exchange() as x:
                    x.flush_input()
                    x.send(request)
                    reply = await x.read_until(b"\r\n", self.timeout_s, request)
            except DeviceTimeout:
                if attempt + 1 == attempts:
                    raise
                continue
            m = _REPLY.fullmatch(reply)
            if m is None:
                raise ProtocolError(self.name, reply, "not a {S frame")
            if int(m[1], 16) != address:
                raise ProtocolError(self.name, reply, f"answers address {m[1].decode()}, asked {address:02X}")
            return int(m[2], 16)
        raise AssertionError("unreachable")

    async def _read_word(self, address: int) -> int:
        return await self._transact(address, None)

    async def _write_word(self, address: int, word: int) -> int:
        return await self._transact(address, word)
