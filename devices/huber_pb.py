"""Huber thermostat over the "PB" line protocol (RS232, USB or TCP port 8101).

Frames are exactly `{Mttvvvv\r\n` → `{Sttvvvv\r\n`.  A malformed command gets *no* reply, so silence is
indistinguishable from a lost frame: we time out and retry, but only where repeating cannot change the outcome
(reads and the IDEMPOTENT_WRITES in `devices._huber`).  PB replies carry no sequence number, only the address,
and a poll asks the same addresses every second: so replies are matched to requests by order and address
(`devices.transport.Exchange.ask`), and a request whose address still has an unanswered request before it is
preceded by a fence read of an otherwise unused address.  A late reply is discarded as the answer to the request
it belongs to, never taken as the answer to a later one.

Wire-fault policy (what each failure becomes):
- **Silence / slow reply** beyond `timeout_s` → retried (safe requests only, `retries` times), then DeviceTimeout.
  A reply that is slow but within `timeout_s` is simply the answer; one that comes later is matched to its own
  (abandoned) request and dropped, so a retry, or the next poll of the same address, never returns it.  A
  retry of a timed-out request first sends a fence (one extra round trip).  A write whose reply was late is
  not resent blind: only IDEMPOTENT_WRITES are retried, and their reply is the value now in force.
  `Reading.at` is the time the request was sent, not when its reply was parsed.
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

from devices._huber import (
    ALARM_INTERNAL_HIGH,
    ALARM_INTERNAL_LOW,
    ALARM_PROCESS_HIGH,
    ALARM_PROCESS_LOW,
    SERIAL_HIGH,
    SERIAL_LOW,
    SETPOINT_MAX,
    SETPOINT_MIN,
    HuberChiller,
    Sample,
    implausible,
    repeatable,
)
from devices.errors import ProtocolError
from devices.reading import DEFAULT_CLOCK, Clock
from devices.recovery import recovering
from devices.transport import LineSettings, Matching, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
_REPLY = re.compile(rb"\{S([0-9A-F]{2})([0-9A-F]{4})\r\n")
FENCES = (
    SERIAL_LOW,
    SERIAL_HIGH,
    SETPOINT_MIN,
    SETPOINT_MAX,
    ALARM_INTERNAL_HIGH,
    ALARM_INTERNAL_LOW,
    ALARM_PROCESS_HIGH,
    ALARM_PROCESS_LOW,
)
"""Fence reads: plain stored values whose reading changes nothing (not 0A, whose bit 14 a read clears)."""


def _frame_end(data: bytearray) -> int:
    """A frame ends at its `\n`, or just before the next `{` if that comes first: a reply that lost its
    `\r\n` is then one short frame of its own (the garbled reply of its request), not glued to the next."""
    newline = data.find(b"\n")
    if newline < 0:
        return -1
    brace = data.find(b"{", 1, newline)
    return brace if brace > 0 else newline + 1


def _echoed_address(frame: bytes) -> int | None:
    m = _REPLY.fullmatch(frame)
    return None if m is None else int(m[1], 16)


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
        self._matching = Matching(
            end=_frame_end,
            key=_echoed_address,
            fences=[(a, encode(a, None)) for a in FENCES],
        )

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

    async def _transact(self, address: int, word: int | None) -> Sample:
        request = encode(address, word)

        async def once() -> Sample:
            async with self._port.exchange() as x:
                reply, at = await x.ask(request, address, self._matching, self.timeout_s, self._clock)
            return Sample(self.parse(address, reply), at)

        return await recovering(once, self._port, retries=self.retries, repeatable=repeatable(address, word))

    async def _read_sample(self, address: int) -> Sample:
        return await self._transact(address, None)

    async def _write_sample(self, address: int, word: int) -> Sample:
        return await self._transact(address, word)
