"""Ismatec Reglo ICC peristaltic pump.

The trap in this protocol: status replies are ONE byte with no terminator (`*`, `#`, `+`, `-`), data replies
end in `\r\n`, and (after `xE1`) event lines `^…\r\n` may arrive before either.  So every reply is read byte
first: `^` → an event line, kept in `events`; a status byte → done at once; anything else → a data line.
Waiting for a newline after a status byte would hang until the timeout.
"""

from __future__ import annotations

import math
import re
from collections import deque

from devices.errors import DeviceReplyError, ProtocolError, StartRefused
from devices.reading import DEFAULT_CLOCK, Applied, Clock, Reading
from devices.roles import PumpMode
from devices.transport import Exchange, LineSettings, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
STATUS_BYTES = b"*#+-"
_TYPE1 = re.compile(r"([0-9]{4})E([+-][0-9])")


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
        event_history: int = 64,
    ) -> None:
        if not 1 <= channel <= 8:
            raise ValueError("Reglo address/channel is 1–8")
        self._port = port
        self.name = port.name
        self.channel = channel
        self._clock = clock
        self.timeout_s = timeout_s
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
    ) -> RegloICC:
        port = await Port.open(url, name=name, settings=SETTINGS)
        return cls(port, channel=channel, clock=clock, timeout_s=timeout_s)

    async def close(self) -> None:
        await self._port.close()

    # --- framing --------------------------------------------------------------------------------------------

    async def _reply(self, x: Exchange, request: bytes) -> str:
        """One status character or one data line (without `\r\n`), skipping and recording events."""
        while True:
            first = await x.read_exactly(1, self.timeout_s, request)
            if first == b"^":
                rest = await x.read_until(b"\r\n", self.timeout_s, request)
                self.events.append((first + rest[:-2]).decode("latin-1"))
                continue
            if first in (b"*", b"#"):
                return first.decode()
            if first in (b"+", b"-") and request[1:] in (b"H\r", b"E\r"):
                return first.decode()
            rest = await x.read_until(b"\r\n", self.timeout_s, request)
            return (first + rest[:-2]).decode("latin-1")

    async def _ask(self, command: str) -> str:
        request = f"{self.channel}{command}\r".encode("ascii")
        async with self._port.exchange() as x:
            x.send(request)
            return await self._reply(x, request)

    async def _expect_ok(self, command: str) -> None:
        reply = await self._ask(command)
        if reply != "*":
            raise DeviceReplyError(self.name, reply, f"{self.channel}{command}", "command failed")

    async def _data(self, command: str) -> str:
        reply = await self._ask(command)
        if reply == "#":
            raise DeviceReplyError(self.name, "#", f"{self.channel}{command}", "command failed")
        return reply

    def _volume1(self, reply: str) -> float:
        try:
            return decode_volume1(reply.split(maxsplit=1)[0])
        except (ValueError, IndexError):
            raise ProtocolError(self.name, reply, "not a Volume Type 1 number") from None

    # --- Pump role ------------------------------------------------------------------------------------------

    async def enable_channel_addressing(self) -> None:
        await self._expect_ok("~1")

    async def enable_events(self, on: bool = True) -> None:
        await self._expect_ok(f"xE{int(on)}")

    async def identify(self) -> str:
        return await self._data("#")

    async def set_mode(self, mode: PumpMode) -> None:
        await self._expect_ok(mode.value)

    async def set_tubing(self, inner_diameter_mm: float) -> None:
        await self._expect_ok(f"+{encode_tubing(inner_diameter_mm)}")

    async def get_tubing(self) -> float:
        reply = await self._data("+")
        parts = reply.split()
        if len(parts) != 2 or parts[1] != "mm":
            raise ProtocolError(self.name, reply, "expected '<d> mm'")
        return float(parts[0])

    async def set_rate(self, ml_per_min: float) -> Applied[float]:
        """The pump answers the rate in force; it may differ from the request (resolution, limits)."""
        code = encode_volume2(ml_per_min)
        in_force = self._volume1(await self._data(f"f{code}"))
        return Applied(decode_volume1(code[:4] + "E" + code[4:]), in_force, self._clock())

    async def get_rate(self) -> Reading[float]:
        return Reading(self._volume1(await self._data("f")), self._clock())

    async def set_volume(self, ml: float) -> Applied[float]:
        code = encode_volume2(ml)
        in_force = self._volume1(await self._data(f"v{code}"))
        return Applied(decode_volume1(code[:4] + "E" + code[4:]), in_force, self._clock())

    async def clockwise(self, cw: bool = True) -> None:
        await self._expect_ok("J" if cw else "K")

    async def start(self) -> None:
        """`-` means the pump will not run; its reason (`xe`) is read at once so the error can name it."""
        reply = await self._ask("H")
        if reply == "*":
            return
        if reply != "-":
            raise DeviceReplyError(self.name, reply, f"{self.channel}H", "start failed")
        why = await self._data("xe")
        parts = why.split()
        limit: float | None = None
        if len(parts) > 1:
            # Decoded as Volume Type 1 like every other number in a reply.  NB the spec's example
            # `R 1386E-1` says "limit 13.86", which Type 1 reads as 0.1386: the raw text is kept in the error.
            try:
                limit = decode_volume1(parts[1])
            except ValueError:
                limit = None
        raise StartRefused(self.name, parts[0] if parts else "?", limit, why)

    async def stop(self) -> None:
        await self._expect_ok("I")

    async def is_running(self) -> bool:
        reply = await self._data("E")  # `#` (e.g. no such channel) is a refusal, not an unparseable reply
        if reply not in ("+", "-"):
            raise ProtocolError(self.name, reply, "expected + or -")
        return reply == "+"

    async def dispensed_volume(self) -> Reading[float]:
        """Volume since reset in mL; the unit is whatever the pump prints (ml / µl)."""
        reply = await self._data(":")
        parts = reply.split()
        if len(parts) != 2:
            raise ProtocolError(self.name, reply, "expected '<value> <unit>'")
        try:
            value = decode_volume1(parts[0])
        except ValueError:
            try:
                value = float(parts[0])
            except ValueError:
                raise ProtocolError(self.name, reply, "not a number") from None
        scale = {"ml": 1.0, "ul": 1e-3, "µl": 1e-3}.get(parts[1].lower())
        if scale is None:
            raise ProtocolError(self.name, reply, f"unknown unit {parts[1]!r}")
        return Reading(value * scale, self._clock())

    async def max_flow(self) -> float:
        reply = await self._data("?")
        try:
            return float(reply.split()[0])
        except (ValueError, IndexError):
            raise ProtocolError(self.name, reply, "expected '<max flow> ml/min'") from None
