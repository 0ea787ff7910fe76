"""Ismatec Reglo ICC peristaltic pump.

The trap in this protocol: status replies are ONE byte with no terminator (`*`, `#`, `+`, `-`), data replies
end in `\r\n`, and (after `xE1`) event lines `^…\r\n` may arrive before either.  So every reply is read byte
first: `^` → an event line, kept in `events`; a status byte → done at once; anything else → a data line.
Waiting for a newline after a status byte would hang until the timeout.

Wire-fault policy:
- Before every request the input is flushed, so the late tail of an abandoned reply is never read as the answer;
  whole event lines among the flushed bytes are kept (a `^X` stop event arrives between requests).
- Every command except the start `H` is safe to repeat (settings write absolute values, `I` stop is a no-op when
  stopped, reads change nothing): on DeviceTimeout or ProtocolError it is retried `retries` times, and after a
  dropped link (DeviceDisconnected) the port is reopened once and the command resent.
- The start `H` is never resent: in volume mode a second start after a finished first one would pump the volume
  again.  If its status byte is lost, late, garbled or the link drops, `start()` reopens the port if needed and
  reads `E`: running → the start took effect and `start()` returns; otherwise (stopped, or `E` unreadable) it
  raises OutcomeUnknown — the caller reads `dispensed_volume()` before deciding to start again.
- Garbled bytes: Reglo has no checksum and 8N1 no parity; replies are checked by shape only.  A status reply
  must be one of the bytes the command allows (`*`/`#`, plus `-` for `H`, `+`/`-` for `E`); anything else →
  ProtocolError.  Data replies must match their documented format exactly (Volume Type 1 `mmmmE±e`,
  `<d.dd> mm`, `<number> ml|ul`, `<number> ml/min`, the `REGLO ICC` identity).  Every bit-6 flip (digit →
  letter, `*` → `j`, `E` → control char, space → backquote, CR/LF lost → timeout) breaks the shape.  NOT
  detectable: a digit turned into another digit (`2000E+1` → `2001E+1`), or `+` ↔ `-` in an `E` reply (0x2B and
  0x2D differ in bits 1 and 2: no single flip swaps them, a double one does) — one status byte has no check.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from devices.errors import (
    DeviceDisconnected,
    DeviceReplyError,
    DeviceTimeout,
    OutcomeUnknown,
    ProtocolError,
    StartRefused,
)
from devices.reading import DEFAULT_CLOCK, Applied, Clock, Reading
from devices.roles import InstrumentIdentity, PumpMode, PumpStop
from devices.transport import Exchange, LineSettings, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
STATUS_BYTES = b"*#+-"
_TYPE1 = re.compile(r"([0-9]{4})E([+-][0-9])")
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_TUBING = re.compile(rf"({_NUMBER}) mm")
_DISPENSED = re.compile(rf"({_NUMBER}|[0-9]{{4}}E[+-][0-9]) (ml|ul|µl)", re.IGNORECASE)
_MAX_FLOW = re.compile(rf"({_NUMBER}) ml/min", re.IGNORECASE)
_IDENTITY = re.compile(r"(REGLO ICC) ([0-9]{4}) ([0-9]{3})")
_REASON = re.compile(r"[A-Z](?: [0-9]{4}E[+-][0-9])?")
T = TypeVar("T")
_STOP_EVENT = re.compile(r"\^X([1-8])\|(?:[^|]*\|)?([A-Z0-9])")
STOP_CAUSES: dict[str, str] = {
    "A": "run complete",
    "1": "stopped at the pump (manual stop)",
    "2": "over-temperature",
    "3": "over-current (tubing occluded or blocked)",
}
"""`^X` cause codes, from the manual's event table."""
_STATUS_ONLY = b"*#"
"""Status bytes any command may answer; `H` adds `-`, `E` has `+`/`-`."""


def encode_volume2(value: float) -> str:
    """Volume Type 2: 4 mantissa digits m.mmm and a signed one-digit exponent, `20.0` → `2000+1`."""
    if value < 0:
        raise ValueError("Reglo volumes and rates are non-negative")
    if value == 0:
        return "0000+0"
    exp = math.floor(math.log10(value))
    mantissa = round(value / 10**exp * 1000)
    if mantissa >= 10000:
        mantissa, exp = mantissa // 10, exp + 1
    if not -9 <= exp <= 9:
        raise ValueError(f"{value} is outside the Reglo number range")
    return f"{mantissa:04d}{exp:+d}"


def decode_volume1(text: str) -> float:
    """Volume Type 1, `2000E+1` → 20.0; raises ValueError on anything else."""
    m = _TYPE1.fullmatch(text)
    if m is None:
        raise ValueError(text)
    return int(m[1]) / 1000 * 10.0 ** int(m[2])


def encode_tubing(mm: float) -> str:
    """Discrete Type 2: inner diameter in 1/100 mm, 4 digits zero-padded (`2.79` → `0279`)."""
    hundredths = round(mm * 100)
    if not 0 < hundredths <= 9999:
        raise ValueError(f"tubing diameter {mm} mm out of range")
    return f"{hundredths:04d}"


class RegloICC:
    """Pump role for one Reglo ICC channel (or pump address on a daisy chain)."""

    def __init__(
        self,
        port: Port,
        *,
        channel: int = 1,
        clock: Clock = DEFAULT_CLOCK,
        timeout_s: float = 1.0,
        retries: int = 2,
        event_history: int = 64,
    ) -> None:
        if not 1 <= channel <= 8:
            raise ValueError("Reglo address/channel is 1–8")
        self._port = port
        self.name = port.name
        self.channel = channel
        self._clock = clock
        self.timeout_s = timeout_s
        self.retries = retries
        self.events: deque[str] = deque(maxlen=event_history)
        """Most recent `^…` event lines (without `\r\n`), oldest first."""

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        name: str = "reglo",
        channel: int = 1,
        clock: Clock = DEFAULT_CLOCK,
        timeout_s: float = 1.0,
        retries: int = 2,
    ) -> RegloICC:
        port = await Port.open(url, name=name, settings=SETTINGS)
        return cls(port, channel=channel, clock=clock, timeout_s=timeout_s, retries=retries)

    async def close(self) -> None:
        await self._port.close()

    # --- framing --------------------------------------------------------------------------------------------

    async def _reply(self, x: Exchange, request: bytes, status: bytes, data: bool) -> str:
        """One status character or one data line (without `\r\n`), skipping and recording events.

        `status`: the status bytes this command may answer; `data`: whether a data line may come instead.
        """
        while True:
            first = await x.read_exactly(1, self.timeout_s, request)
            if first == b"^":
                rest = await x.read_until(b"\r\n", self.timeout_s, request)
                self.events.append((first + rest[:-2]).decode("latin-1"))
                continue
            if first in (b"*", b"#", b"+", b"-"):
                if first in status:
                    return first.decode()
                raise ProtocolError(self.name, first, f"status {first!r} not an answer to {request!r}")
            if not data:
                raise ProtocolError(self.name, first, f"expected one of {status!r} for {request!r}")
            rest = await x.read_until(b"\r\n", self.timeout_s, request)
            line = first + rest[:-2]
            if not all(0x20 <= c <= 0x7E for c in line):
                raise ProtocolError(self.name, line + b"\r\n", "non-printable character (line noise)")
            return line.decode("ascii")

    async def _once(self, command: str, status: bytes, data: bool) -> str:
        request = f"{self.channel}{command}\r".encode("ascii")
        async with self._port.exchange() as x:
            self._keep_events(await x.flush_stale(self.timeout_s))
            if command == "H":
                self.events.clear()  # a stop event from here on belongs to this run
            x.send(request)
            return await self._reply(x, request, status, data)

    def _keep_events(self, stale: bytes) -> None:
        for line in stale.split(b"\r\n")[:-1]:
            start = line.rfind(b"^")
            if start >= 0:
                self.events.append(line[start:].decode("latin-1"))

    async def _call(self, command: str, parse: Callable[[str], T], *, status: bytes, data: bool) -> T:
        async def attempt() -> T:
            return parse(await self._once(command, status, data))

        return await self._port.repeat(attempt, self.retries)

    async def _expect_ok(self, command: str) -> None:
        reply = await self._call(command, str, status=_STATUS_ONLY, data=False)
        if reply != "*":
            raise DeviceReplyError(self.name, reply, f"{self.channel}{command}", "command failed")

    async def _data(self, command: str, parse: Callable[[str], T]) -> T:
        """A data command; `#` is a refusal, anything but a well-formed line for `parse` is a ProtocolError."""

        def checked(reply: str) -> T:
            if reply == "#":
                raise DeviceReplyError(self.name, "#", f"{self.channel}{command}", "command failed")
            return parse(reply)

        return await self._call(command, checked, status=b"#", data=True)

    def _volume1(self, reply: str) -> float:
        try:
            return decode_volume1(reply)
        except ValueError:
            raise ProtocolError(self.name, reply, "not a Volume Type 1 number") from None

    def _match(self, pattern: re.Pattern[str], what: str) -> Callable[[str], re.Match[str]]:
        def parse(reply: str) -> re.Match[str]:
            m = pattern.fullmatch(reply)
            if m is None:
                raise ProtocolError(self.name, reply, f"expected {what}")
            return m

        return parse

    # --- Pump role ------------------------------------------------------------------------------------------

    async def enable_channel_addressing(self) -> None:
        await self._expect_ok("~1")

    async def enable_events(self, on: bool = True) -> None:
        await self._expect_ok(f"xE{int(on)}")

    async def _identify(self) -> re.Match[str]:
        return await self._data("#", self._match(_IDENTITY, "'REGLO ICC <fw> <head>'"))

    async def identify(self) -> str:
        return (await self._identify())[0]

    async def identity(self) -> InstrumentIdentity:
        """Model and firmware from `#` (its third field, the pump-head code, is not an identity field); the spec
        has no serial-number query, so `serial` stays None."""
        m = await self._identify()
        return InstrumentIdentity(model=m[1], firmware=m[2])

    async def set_mode(self, mode: PumpMode) -> None:
        await self._expect_ok(mode.value)

    async def set_tubing(self, inner_diameter_mm: float) -> None:
        await self._expect_ok(f"+{encode_tubing(inner_diameter_mm)}")

    async def get_tubing(self) -> float:
        return float((await self._data("+", self._match(_TUBING, "'<d.dd> mm'")))[1])

    async def set_rate(self, ml_per_min: float) -> Applied[float]:
        """The pump answers the rate in force; it may differ from the request (resolution, limits)."""
        code = encode_volume2(ml_per_min)
        in_force = await self._data(f"f{code}", self._volume1)
        return Applied(decode_volume1(code[:4] + "E" + code[4:]), in_force, self._clock())

    async def get_rate(self) -> Reading[float]:
        return Reading(await self._data("f", self._volume1), self._clock())

    async def set_volume(self, ml: float) -> Applied[float]:
        code = encode_volume2(ml)
        in_force = await self._data(f"v{code}", self._volume1)
        return Applied(decode_volume1(code[:4] + "E" + code[4:]), in_force, self._clock())

    async def clockwise(self, cw: bool = True) -> None:
        await self._expect_ok("J" if cw else "K")

    async def start(self) -> None:
        """Start `H`; never resent (module docstring).

        `-` means the pump will not run; its reason (`xe`) is read at once so the error can name it.  If the
        answer to `H` is lost (timeout, garbled byte, dropped link) the running state `E` decides: running →
        return; not running or unreadable → OutcomeUnknown.
        """
        try:
            if not self._port.is_open:
                await self._port.reopen()  # nothing sent yet: safe
            reply = await self._once("H", b"*#-", data=False)
        except (DeviceTimeout, ProtocolError, DeviceDisconnected) as exc:
            await self._resolve_start(exc)
            return
        if reply == "*":
            return
        if reply != "-":
            raise DeviceReplyError(self.name, reply, f"{self.channel}H", "start failed")
        match = await self._data("xe", self._match(_REASON, "'<reason> [<limit>]'"))
        parts = match[0].split()
        # Decoded as Volume Type 1 like every other number in a reply.  NB the spec's example
        # `R 1386E-1` says "limit 13.86", which Type 1 reads as 0.1386: the raw text is kept in the error.
        limit = decode_volume1(parts[1]) if len(parts) > 1 else None
        raise StartRefused(self.name, parts[0], limit, match[0])

    async def _resolve_start(self, cause: DeviceTimeout | ProtocolError | DeviceDisconnected) -> None:
        try:
            running = await self.is_running()  # reopens a dropped port; `E` is safe to repeat
        except (DeviceTimeout, ProtocolError, DeviceDisconnected, DeviceReplyError) as exc:
            raise OutcomeUnknown(
                self.name, f"start sent, then {cause.message}; running state unreadable: {exc.message}"
            ) from cause
        if not running:
            raise OutcomeUnknown(
                self.name,
                f"start sent, then {cause.message}; the pump is not running (refused, never arrived, or "
                "already finished): read dispensed_volume() before starting again",
            ) from cause

    async def stop(self) -> None:
        await self._expect_ok("I")

    async def is_running(self) -> bool:
        reply = await self._call("E", str, status=b"+-#", data=False)
        if reply == "#":  # e.g. no such channel: a refusal, not an unparseable reply
            raise DeviceReplyError(self.name, "#", f"{self.channel}E", "command failed")
        return reply == "+"

    async def dispensed_volume(self) -> Reading[float]:
        """Volume since reset in mL; the unit is whatever the pump prints (ml / µl)."""
        m = await self._data(":", self._match(_DISPENSED, "'<value> ml|ul'"))
        text = m[1]
        value = decode_volume1(text) if "E" in text else float(text)
        scale = {"ml": 1.0, "ul": 1e-3, "µl": 1e-3}[m[2].lower()]
        return Reading(value * scale, self._clock())

    async def last_stop(self) -> PumpStop | None:
        """From the latest `^X` event for this channel since `start()` (events must be on, `xE1`); reading `E`
        first takes in an event that arrived after the last reply."""
        await self.is_running()
        for event in reversed(self.events):
            m = _STOP_EVENT.fullmatch(event)
            if m is not None and int(m[1]) == self.channel:
                code = m[2]
                return PumpStop(code, STOP_CAUSES.get(code, f"stop code {code}"), complete=code == "A")
        return None

    async def max_flow(self) -> float:
        return float((await self._data("?", self._match(_MAX_FLOW, "'<max flow> ml/min'")))[1])
