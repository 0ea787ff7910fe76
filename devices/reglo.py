"""Ismatec Reglo ICC peristaltic pump.

The trap in this protocol: status replies are ONE byte with no terminator (`*`, `#`, `+`, `-`), data replies
end in `\r\n`, and (after `xE1`) event lines `^…\r\n` may arrive before either.  So a reply frame is told by its
first byte: `^` → an event line, kept in `events`; a status byte → a frame of its own; anything else → a data
line.  Waiting for a newline after a status byte would hang until the timeout.

Wire-fault policy:
- Late replies: nothing in a reply says which request it answers, and a poll repeats its requests, so a reply
  later than the timeout could be taken as the next request's (a late `2000E+1` as the current rate, a late `+`
  as "running").  Replies are matched to requests by order and *shape* (`devices.transport.Exchange.ask_any`):
  the key of a frame is its status byte or the kind of its data line (`type1`, `mm`, `ml/min`, `volume`,
  `identity`, `reason`); `#`, which any command may answer, is matched by order alone.  So before any request
  while an earlier one is still unanswered a fence read goes out first (`#` identity, `+` tubing, `?` maximum
  flow: replies of shapes nothing else has), and a late reply is dropped as the answer to its own request,
  never returned for a later one.  `Reading.at` / `Applied.at` are when the request was sent.  Event lines
  are kept whenever they arrive (also between requests: a `^X` stop event), and never taken as a reply.
- Every command except the start `H` is safe to repeat (settings write absolute values, `I` stop is a no-op when
  stopped, reads change nothing): on DeviceTimeout or ProtocolError it is retried `retries` times, and after a
  dropped link (DeviceDisconnected) the port is reopened once and the command resent.
- The start `H` is never resent: in volume mode a second start after a finished first one would pump the volume
  again.  If its status byte is lost, late, garbled or the link drops, `start()` reopens the port if needed and
  reads `E`: running → the start took effect and `start()` returns; otherwise (stopped, or `E` unreadable) it
  raises OutcomeUnknown — the caller reads `dispensed_volume()` before deciding to start again.  A late `*` for
  an earlier `H` is matched to that `H`, never taken as this one's.  If a fence before `H` goes unanswered, `H`
  is not sent at all and that DeviceTimeout is raised: the pump was not started.
- Garbled bytes: Reglo has no checksum and 8N1 no parity; replies are checked by shape only.  A status reply
  must be one of the bytes the command allows (`*`/`#`, plus `-` for `H`, `+`/`-` for `E`); anything else →
  ProtocolError, or a timeout when a garbled status byte is taken as the start of a data line (it then ends at
  the next `\r\n` or `^`, and is dropped as the reply to its own request).  Data replies must match their
  documented format exactly (Volume Type 1 `mmmmE±e`, `<d.dd> mm`, `<number> ml|ul`, `<number> ml/min`, the
  `REGLO ICC` identity).  Every bit-6 flip (digit →
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
from devices.recovery import recovering
from devices.roles import InstrumentIdentity, PumpMode, PumpStop
from devices.transport import LineSettings, Matching, Port

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
REFUSED = "#"
TYPE1, TUBING, MAX_FLOW, VOLUME, IDENTITY, REASON = "type1", "mm", "ml/min", "volume", "identity", "reason"
"""Keys of the data lines, by shape."""
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (TYPE1, _TYPE1),
    (TUBING, _TUBING),
    (MAX_FLOW, _MAX_FLOW),
    (VOLUME, _DISPENSED),
    (IDENTITY, _IDENTITY),
    (REASON, _REASON),
)
_FENCES = ((IDENTITY, "#"), (TUBING, "+"), (MAX_FLOW, "?"))
"""Fence reads (command after the address): identity, tubing and maximum flow change nothing, and their replies
have shapes no other request's has."""
_MODE_COMMANDS = {PumpMode.RPM: "L", PumpMode.FLOW_RATE: "M", PumpMode.VOLUME_AT_RATE: "O"}
_START_REPLIES = ("*", "-")
_Lost = DeviceTimeout | ProtocolError | DeviceDisconnected
"""How the answer to a start `H` that was sent can be lost."""


def frame_end(data: bytearray) -> int:
    """A status byte is a frame of its own; any other frame is a line to `\r\n`, or ends just before a later `^`
    if that comes first (a garbled status byte, or a line that lost its `\r\n`, is not glued to an event)."""
    if not data:
        return -1
    if data[0] in STATUS_BYTES:
        return 1
    newline = data.find(b"\r\n")
    caret = data.find(b"^", 1, newline if newline >= 0 else len(data))
    if caret > 0:
        return caret
    return -1 if newline < 0 else newline + 2


def reply_key(frame: bytes) -> str | None:
    """A status byte, the shape of a data line, or None for a frame of no known shape."""
    if len(frame) == 1:
        return frame.decode("latin-1") if frame[0] in STATUS_BYTES else None
    if not frame.endswith(b"\r\n"):
        return None
    text = frame[:-2].decode("latin-1")
    return next((key for key, shape in _SHAPES if shape.fullmatch(text) is not None), None)


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
        self._matching: Matching[str] = Matching(
            end=frame_end,
            key=reply_key,
            fences=[(key, self._request(command)) for key, command in _FENCES],
            common=frozenset((REFUSED,)),
            aside=self._event,
        )

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

    def _reply(self, frame: bytes, request: bytes, status: bytes, data: bool) -> str:
        """The status character or data line (without `\r\n`) a reply frame holds, checked for its request.

        `status`: the status bytes this command may answer; `data`: whether a data line may come instead.
        """
        if len(frame) == 1 and frame in (b"*", b"#", b"+", b"-"):
            if frame in status:
                return frame.decode()
            raise ProtocolError(self.name, frame, f"status {frame!r} not an answer to {request!r}")
        if not data:
            raise ProtocolError(self.name, frame, f"expected one of {status!r} for {request!r}")
        if not frame.endswith(b"\r\n"):
            raise ProtocolError(self.name, frame, f"reply to {request!r} without CR LF (line noise)")
        line = frame[:-2]
        if not all(0x20 <= c <= 0x7E for c in line):
            raise ProtocolError(self.name, frame, "non-printable character (line noise)")
        return line.decode("ascii")

    def _event(self, frame: bytes) -> bool:
        """`Matching.aside`: an event line is kept in `events` and answers nothing."""
        if not frame.startswith(b"^"):
            return False
        if frame.endswith(b"\r\n"):
            self.events.append(frame[:-2].decode("latin-1"))
        return True

    def _request(self, command: str) -> bytes:
        return f"{self.channel}{command}\r".encode("ascii")

    async def _once(
        self, command: str, accepts: tuple[str, ...], status: bytes, data: bool
    ) -> tuple[str, float]:
        """The reply to `command` (never one to an earlier request) and when `command` was sent."""
        request = self._request(command)
        async with self._port.exchange() as x:
            frame, at = await x.ask_any(request, accepts, self._matching, self.timeout_s, self._clock)
        return self._reply(frame, request, status, data), at

    async def _call(
        self, command: str, parse: Callable[[str], T], *, accepts: tuple[str, ...], status: bytes, data: bool
    ) -> tuple[T, float]:
        async def attempt() -> tuple[T, float]:
            reply, at = await self._once(command, accepts, status, data)
            return parse(reply), at

        return await recovering(attempt, self._port, retries=self.retries, repeatable=True)

    async def _expect_ok(self, command: str) -> None:
        reply, _ = await self._call(command, str, accepts=("*",), status=_STATUS_ONLY, data=False)
        if reply != "*":
            raise DeviceReplyError(self.name, reply, f"{self.channel}{command}", "command failed")

    async def _data(self, command: str, shape: str, parse: Callable[[str], T]) -> tuple[T, float]:
        """A data command whose line has `shape`, and when it was sent; `#` is a refusal, anything but a
        well-formed line for `parse` is a ProtocolError."""

        def checked(reply: str) -> T:
            if reply == "#":
                raise DeviceReplyError(self.name, "#", f"{self.channel}{command}", "command failed")
            return parse(reply)

        return await self._call(command, checked, accepts=(shape,), status=b"#", data=True)

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
        return (await self._data("#", IDENTITY, self._match(_IDENTITY, "'REGLO ICC <fw> <head>'")))[0]

    async def identify(self) -> str:
        return (await self._identify())[0]

    async def identity(self) -> InstrumentIdentity:
        """Model and firmware from `#` (its third field, the pump-head code, is not an identity field); the spec
        has no serial-number query, so `serial` stays None."""
        m = await self._identify()
        return InstrumentIdentity(model=m[1], firmware=m[2])

    async def set_mode(self, mode: PumpMode) -> None:
        await self._expect_ok(_MODE_COMMANDS[mode])

    async def set_tubing(self, inner_diameter_mm: float) -> None:
        await self._expect_ok(f"+{encode_tubing(inner_diameter_mm)}")

    async def get_tubing(self) -> float:
        m, _ = await self._data("+", TUBING, self._match(_TUBING, "'<d.dd> mm'"))
        return float(m[1])

    async def set_rate(self, ml_per_min: float) -> Applied[float]:
        """The pump answers the rate in force; it may differ from the request (resolution, limits)."""
        code = encode_volume2(ml_per_min)
        in_force, at = await self._data(f"f{code}", TYPE1, self._volume1)
        return Applied(decode_volume1(code[:4] + "E" + code[4:]), in_force, at)

    async def get_rate(self) -> Reading[float]:
        value, at = await self._data("f", TYPE1, self._volume1)
        return Reading(value, at)

    async def set_volume(self, ml: float) -> Applied[float]:
        code = encode_volume2(ml)
        in_force, at = await self._data(f"v{code}", TYPE1, self._volume1)
        return Applied(decode_volume1(code[:4] + "E" + code[4:]), in_force, at)

    async def clockwise(self, cw: bool = True) -> None:
        await self._expect_ok("J" if cw else "K")

    async def start(self) -> None:
        """Start `H`; never resent (module docstring).

        `-` means the pump will not run; its reason (`xe`) is read at once so the error can name it.  If the
        answer to `H` is lost (timeout, garbled byte, dropped link) the running state `E` decides: running →
        return; not running or unreadable → OutcomeUnknown.
        """
        if not self._port.is_open:
            await self._port.reopen()  # nothing sent yet: safe
        reply = await self._send_start()
        if not isinstance(reply, str):
            await self._resolve_start(reply)
            return
        if reply == "*":
            return
        if reply != "-":
            raise DeviceReplyError(self.name, reply, f"{self.channel}H", "start failed")
        match, _ = await self._data("xe", REASON, self._match(_REASON, "'<reason> [<limit>]'"))
        parts = match[0].split()
        # Decoded as Volume Type 1 like every other number in a reply.  NB the spec's example
        # `R 1386E-1` says "limit 13.86", which Type 1 reads as 0.1386: the raw text is kept in the error.
        limit = decode_volume1(parts[1]) if len(parts) > 1 else None
        raise StartRefused(self.name, parts[0], limit, match[0])

    async def _send_start(self) -> str | _Lost:
        """`H`, once, after the fences: its status, or what went wrong once it was sent.  An error before it
        is sent (a fence unanswered, the link down) propagates: then the pump was not started."""
        request = self._request("H")
        async with self._port.exchange() as x:
            await x.clear_for(_START_REPLIES, self._matching, self.timeout_s, request)
            self.events.clear()  # a stop event from here on belongs to this run
            try:
                frame, _ = await x.ask_any(
                    request, _START_REPLIES, self._matching, self.timeout_s, self._clock
                )
            except (DeviceTimeout, DeviceDisconnected) as exc:
                return exc
        try:
            return self._reply(frame, request, b"*#-", data=False)
        except ProtocolError as exc:
            return exc

    async def _resolve_start(self, cause: _Lost) -> None:
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
        reply, _ = await self._call("E", str, accepts=("+", "-"), status=b"+-#", data=False)
        if reply == "#":  # e.g. no such channel: a refusal, not an unparseable reply
            raise DeviceReplyError(self.name, "#", f"{self.channel}E", "command failed")
        return reply == "+"

    async def dispensed_volume(self) -> Reading[float]:
        """Volume since reset in mL; the unit is whatever the pump prints (ml / µl)."""
        m, at = await self._data(":", VOLUME, self._match(_DISPENSED, "'<value> ml|ul'"))
        text = m[1]
        value = decode_volume1(text) if "E" in text else float(text)
        scale = {"ml": 1.0, "ul": 1e-3, "µl": 1e-3}[m[2].lower()]
        return Reading(value * scale, at)

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
        m, _ = await self._data("?", MAX_FLOW, self._match(_MAX_FLOW, "'<max flow> ml/min'"))
        return float(m[1])
