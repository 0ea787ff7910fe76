"""IKA EUROSTAR 60/100 control overhead stirrer, NAMUR commands (specs/ika-overhead-stirrer.md).

The traps in this protocol: settings and motor commands (`OUT_SP_n`, `START_4`, `STOP_4`, `RESET`) get no
reply at all, and neither does a command the unit did not understand.  So a write is confirmed only by reading it
back, and waiting for a line after a write would hang until the timeout.

Wire-fault policy:
- Before every request the input is flushed (after a timeout: once the line has been quiet), so the tail of an
  abandoned reply is not read as the answer to the next request.
- Every `IN_` reply carries its parameter number (`300.0 4`), and it is checked: a late `IN_PV_4` reply that
  arrives after an `IN_PV_5` request is a ProtocolError, never a torque.  `IN_NAME` must contain a letter (so a
  late number is not a name) and the watchdog echo must be the number sent.
- Every command is safe to repeat: reads change nothing, settings write absolute values, and the manual's
  `START_4`/`STOP_4` switch the motor to a state (starting a running stirrer leaves it running, stopping a stopped
  one leaves it stopped; the spec's simulator section; the manual's table names no toggle).  Queries are retried
  `retries` times on DeviceTimeout or ProtocolError; after a dropped link (DeviceDisconnected) the port is
  reopened once and the command resent.
- Writes without a reply cannot time out, so they are not retried blind: `set_speed()` reads `IN_SP_4` back and
  resends `OUT_SP_4` once if the unit does not show the requested value (a lost command), then reports what the
  unit holds.  A lost `START_4`/`STOP_4` shows only in `speed()`; calling `start()`/`stop()` again is harmless.
- Garbled bytes: 7E1 has a parity bit the UART checks, but a pty or TCP gateway may not pass parity errors on; the
  replies are checked by shape (`<number> <n>`, printable ASCII), so a bit-6 flip (digit → letter, space →
  backquote, lost CR LF → timeout) is a ProtocolError.  NOT detectable: a digit turned into another digit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TypeVar

from devices.errors import ProtocolError
from devices.reading import DEFAULT_CLOCK, Applied, Clock, Reading
from devices.roles import InstrumentIdentity, WatchdogMode
from devices.transport import LineSettings, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=7, parity="E", stopbits=1)
WATCHDOG_RANGE_S = (20, 1500)
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_VALUE = re.compile(rf"({_NUMBER}) ([0-9]+)")
_ECHO = re.compile(_NUMBER)
_SPEED, _TORQUE, _SPEED_LIMIT, _SAFETY_SPEED = 4, 5, 6, 8
T = TypeVar("T")


class IkaEurostar:
    """Stirrer role for an IKA EUROSTAR control overhead stirrer."""

    def __init__(
        self, port: Port, *, clock: Clock = DEFAULT_CLOCK, timeout_s: float = 1.0, retries: int = 2
    ) -> None:
        self._port = port
        self.name = port.name
        self._clock = clock
        self.timeout_s = timeout_s
        self.retries = retries

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        name: str = "stirrer",
        clock: Clock = DEFAULT_CLOCK,
        timeout_s: float = 1.0,
        retries: int = 2,
        settings: LineSettings = SETTINGS,
    ) -> IkaEurostar:
        """`settings`: the unit's 7E1 unless the line is not a UART that takes them (some pseudo-terminals refuse
        anything but 8N1; socket:// URLs ignore them)."""
        port = await Port.open(url, name=name, settings=settings)
        return cls(port, clock=clock, timeout_s=timeout_s, retries=retries)

    async def close(self) -> None:
        await self._port.close()

    # --- framing --------------------------------------------------------------------------------------------

    async def _ask_once(self, command: str) -> str:
        request = f"{command}\r\n".encode("ascii")
        async with self._port.exchange() as x:
            await x.flush_stale(self.timeout_s)
            x.send(request)
            raw = await x.read_until(b"\r\n", self.timeout_s, request)
        line = raw[:-2]
        if line.endswith(b" "):  # the manual's "blank CR LF"
            line = line[:-1]
        if not line or not all(0x20 <= c <= 0x7E for c in line):
            raise ProtocolError(self.name, raw, f"empty or non-printable reply to {command!r} (line noise)")
        return line.decode("ascii")

    async def _tell_once(self, command: str) -> None:
        async with self._port.exchange() as x:
            await x.flush_stale(self.timeout_s)
            x.send(f"{command}\r\n".encode("ascii"))

    async def _ask(self, command: str, parse: Callable[[str], T]) -> T:
        async def attempt() -> T:
            return parse(await self._ask_once(command))

        return await self._port.repeat(attempt, self.retries)

    async def _tell(self, command: str) -> None:
        async def attempt() -> None:
            await self._tell_once(command)

        await self._port.repeat(attempt, self.retries)

    def _parameter(self, number: int) -> Callable[[str], float]:
        def parse(reply: str) -> float:
            m = _VALUE.fullmatch(reply)
            if m is None:
                raise ProtocolError(self.name, reply, f"expected '<number> {number}'")
            if int(m[2]) != number:
                raise ProtocolError(
                    self.name, reply, f"reply for parameter {m[2]} to a request for parameter {number}"
                )
            return float(m[1])

        return parse

    async def _value(self, kind: str, number: int) -> float:
        return await self._ask(f"{kind}_{number}", self._parameter(number))

    async def _reading(self, kind: str, number: int) -> Reading[float]:
        return Reading(await self._value(kind, number), self._clock())

    def _echo(self, sent: int) -> Callable[[str], None]:
        def parse(reply: str) -> None:
            if _ECHO.fullmatch(reply) is None or float(reply) != sent:
                raise ProtocolError(self.name, reply, f"expected the echo '{sent}'")

        return parse

    def _name(self, reply: str) -> str:
        if not any(c.isalpha() for c in reply):
            raise ProtocolError(self.name, reply, "expected a device name")
        return reply

    # --- Stirrer role ---------------------------------------------------------------------------------------

    async def identity(self) -> InstrumentIdentity:
        """`IN_NAME` is the model; the spec's command set has no serial-number or firmware query."""
        return InstrumentIdentity(model=await self._ask("IN_NAME", self._name))

    async def _write_checked(self, setting: int, rpm: float) -> Applied[float]:
        if not math.isfinite(rpm) or rpm < 0:
            raise ValueError(f"speed {rpm!r} rpm is not a speed")
        sent = round(rpm)
        in_force = 0.0
        for _ in range(2):
            await self._tell(f"OUT_SP_{setting} {sent}")
            in_force = await self._value("IN_SP", setting)
            if in_force == sent:
                break
        return Applied(rpm, in_force, self._clock())

    async def set_speed(self, rpm: float) -> Applied[float]:
        """Whole rpm are sent; a value the unit declines (outside 30–2000 rpm or above its speed limit: it stays
        silent) comes back as the setpoint it kept, so `limited` is True."""
        return await self._write_checked(_SPEED, rpm)

    async def speed_setpoint(self) -> Reading[float]:
        return await self._reading("IN_SP", _SPEED)

    async def speed(self) -> Reading[float]:
        return await self._reading("IN_PV", _SPEED)

    async def torque(self) -> Reading[float]:
        return await self._reading("IN_PV", _TORQUE)

    async def speed_limit(self) -> float:
        return await self._value("IN_SP", _SPEED_LIMIT)

    async def set_safety_speed(self, rpm: float) -> Applied[float]:
        """The speed watchdog mode 2 falls to."""
        return await self._write_checked(_SAFETY_SPEED, rpm)

    async def start(self) -> None:
        await self._tell("START_4")

    async def stop(self) -> None:
        await self._tell("STOP_4")

    async def reset(self) -> None:
        """Back to local control; the motor stops."""
        await self._tell("RESET")

    async def arm_watchdog(self, seconds: float, mode: WatchdogMode = WatchdogMode.STOP) -> None:
        """`OUT_WDx@m`, echoed.  Call again within `seconds` to feed it; other commands do not."""
        low, high = WATCHDOG_RANGE_S
        sent = round(seconds)
        if not low <= sent <= high:
            raise ValueError(f"watchdog time {seconds!r} s outside {low}–{high} s")
        await self._ask(f"OUT_WD{int(mode)}@{sent}", self._echo(sent))

    async def disarm_watchdog(self) -> None:
        await self._ask("OUT_WD2@0", self._echo(0))
