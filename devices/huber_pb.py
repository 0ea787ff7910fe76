"""Huber thermostat over the "PB" line protocol (RS232, USB or TCP port 8101).

Frames are exactly `{Mttvvvv\r\n` → `{Sttvvvv\r\n`.  A malformed command gets *no* reply, so silence is
indistinguishable from a lost frame: we time out and retry, but only where repeating cannot change the outcome
(reads and the IDEMPOTENT_WRITES in `devices._huber`).  Before every request we drop stale input so a late
reply to an abandoned request is never taken as the answer to the next one.

Wire-fault policy (what each failure becomes):
- **Silence / slow reply** beyond `timeout_s` → retried (safe requests only, `retries` times), then DeviceTimeout.
  A reply that is slow but within `timeout_s` is simply the answer.
- **Short reply** (lost bytes): either the frame shape is wrong → ProtocolError, or the `\r\n` is missing →
  timeout; both retried where safe.  The late tail is flushed before the next request, never read as its answer.
- **Garbled reply**: PB has no checksum and 8N1 no parity, so only *shape* can be checked.  Rejected as
  ProtocolError (and retried where safe): wrong length, `{S` prefix wrong, non-hex or lower-case digits, an
  echoed address other than the one asked, a value the manual does not allow for that address
  (`devices._huber.implausible`: temperature below −151 °C other than `C504`, switch not 0/1, …).  Every
  single bit-6 flip (the simulator's garble) breaks the shape and is caught.  NOT detectable: a flip that turns a
  hex digit into another hex digit of a plausible value (`07D0` → `07D1`, 20.00 → 20.01 °C); the driver would
  return that value.  Only a second read could reveal it; we do not double every read.
- **Link dropped** (DeviceDisconnected): the port is reopened once and the request resent if it is safe to
  repeat; a non-idempotent write (clear error/warning, start ramp) reopens the port but raises, so the caller
  knows the outcome is unknown and the next call works.
"""

from __future__ import annotations

import re

from devices._huber import HuberChiller, implausible
from devices.errors import ProtocolError
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

    def parse(self, address: int, reply: bytes) -> int:
        """The word of a reply to a request at `address`; ProtocolError for anything else."""
        m = _REPLY.fullmatch(reply)
        if m is None:
            raise ProtocolError(self.name, reply, "not a {Sttvvvv frame")
        if int(m[1], 16) != address:
            raise ProtocolError(self.name, reply, f"answers address {m[1].decode()}, asked {address:02X}")
        word = int(m[2], 16)
        why = implausible(address, word)
        if why is not None:
            raise ProtocolError(self.name, reply, why)
        return word

    async def _transact(self, address: int, word: int | None) -> int:
        request = encode(address, word)

        async def once() -> int:
            async with self._port.exchange() as x:
                await x.flush_stale(self.timeout_s)
                x.send(request)
                reply = await x.read_until(b"\r\n", self.timeout_s, request)
            return self.parse(address, reply)

        return await self._recovering(address, word, once, lambda: self._port.is_open, self._port.reopen)

    async def _read_word(self, address: int) -> int:
        return await self._transact(address, None)

    async def _write_word(self, address: int, word: int) -> int:
        return await self._transact(address, word)
