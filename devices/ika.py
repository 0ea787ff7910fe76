"""IKA EUROSTAR 60/100 control overhead stirrer, NAMUR commands (specs/ika-overhead-stirrer.md).

The traps in this protocol: settings and motor commands (`OUT_SP_n`, `START_4`, `STOP_4`, `RESET`) get no
reply at all, and neither does a command the unit did not understand.  So a write is confirmed only by reading it
back, and waiting for a line after a write would hang until the timeout.

Wire-fault policy:
- Late replies: NAMUR has no sequence numbers, and a poll asks `IN_PV_4` again and again, so a reply later than
  the timeout cannot be told from the next request's by its text.  Replies are matched to requests by order and
  key (`devices.transport.Exchange.ask`): the key is the parameter number a `<value> <n>` line carries, `name`
  for `IN_NAME`'s reply and `echo` for the watchdog's bare number.  Before a request whose key is still owed an
  answer (a retry, the next poll of the speed) a fence read of another parameter goes out first (`FENCES`); a
  late reply is dropped as the answer to its own request, never returned for a later one.  `Reading.at` is when
  the request was sent.  Commands without a reply are sent after what has arrived is matched; they add nothing
  to the ledger, as no reply will come.
- Every `IN_` reply's parameter number is checked as well (a late `IN_PV_4` reply is never a torque).  `IN_NAME`
  must contain a word of three letters (a bit-6 flip makes at most one letter of a number line, so a late or
  garbled number is not a name) and the watchdog echo must be the number sent.
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
from devices.recovery import recovering
from devices.roles import InstrumentIdentity, WatchdogMode
from devices.transport import LineSettings, Matching, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=7, parity="E", stopbits=1)
WATCHDOG_RANGE_S = (20, 1500)
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_VALUE = re.compile(rf"({_NUMBER}) ([0-9]+)")
_ECHO = re.compile(_NUMBER)
_NAME = re.compile(r"[A-Za-z]{3}")
_MOTOR_ECHO = re.compile(rb"(?:START_4|STOP_4|RESET) ?\r\n")
_SPEED, _TORQUE, _SPEED_LIMIT, _SAFETY_SPEED = 4, 5, 6, 8
_TORQUE_LIMIT = 5
NAME, ECHO = "name", "echo"
"""Keys of the replies without a parameter number: `IN_NAME`'s and the watchdog's echo."""
Key = int | str
FENCES: tuple[tuple[Key, str], ...] = (
    (NAME, "IN_NAME"),
    (_SPEED_LIMIT, "IN_SP_6"),
    (_SAFETY_SPEED, "IN_SP_8"),
    (_TORQUE_LIMIT, "IN_SP_5"),
)
"""Fence reads: stored values and the name, which reading changes nothing (the spec's command table), each with
the key of its reply; not `IN_PV_3` (the probe may be unplugged: its answer is not documented)."""
_WATCHDOG_MODES = {WatchdogMode.STOP: 1, WatchdogMode.SAFE_SPEED: 2}
"""`OUT_WD1@…` / `OUT_WD2@…`."""
T = TypeVar("T")


def _line(frame: bytes) -> bytes:
    """A reply line without CR LF and the manual's optional blank before it."""
    line = frame.removesuffix(b"\r\n")
    return line.removesuffix(b" ")


def reply_key(frame: bytes) -> Key | None:
    """What a reply line answers: a parameter number, `name`, `echo`, or None for a line of no known shape."""
    try:
        text = _line(frame).decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text.isprintable():
        return None
    if (m := _VALUE.fullmatch(text)) is not None:
        return int(m[2])
    if _ECHO.fullmatch(text) is not None:
        return ECHO
    return NAME if _NAME.search(text) is not None else None


def _line_end(data: bytearray) -> int:
    i = data.find(b"\n")
    return -1 if i < 0 else i + 1


def _motor_echo(frame: bytes) -> bool:
    """Some firmware echoes `START_4`/`STOP_4` (the spec); such a line answers nothing we wait for."""
    return _MOTOR_ECHO.fullmatch(frame) is not None


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
        self._matching: Matching[Key] = Matching(
            end=_line_end,
            key=reply_key,
            fences=[(key, f"{command}\r\n".encode("ascii")) for key, command in FENCES],
            aside=_motor_echo,
        )

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

    async def _ask_once(self, command: str, key: Key) -> tuple[str, float]:
        """The reply line to `command` (never one to an earlier request) and when `command` was sent."""
        request = f"{command}\r\n".encode("ascii")
        async with self._port.exchange() as x:
            raw, at = await x.ask(request, key, self._matching, self.timeout_s, self._clock)
        if not raw.endswith(b"\r\n"):
            raise ProtocolError(self.name, raw, f"reply to {command!r} without CR LF (line noise)")
        line = _line(raw)
        if not line or not all(0x20 <= c <= 0x7E for c in line):
            raise ProtocolError(self.name, raw, f"empty or non-printable reply to {command!r} (line noise)")
        return line.decode("ascii"), at

    async def _tell_once(self, command: str) -> None:
        async with self._port.exchange() as x:
            x.settle(self._matching)
            x.send(f"{command}\r\n".encode("ascii"))

    async def _ask(self, command: str, key: Key, parse: Callable[[str], T]) -> tuple[T, float]:
        async def attempt() -> tuple[T, float]:
            line, at = await self._ask_once(command, key)
            return parse(line), at

        return await recovering(attempt, self._port, retries=self.retries, repeatable=True)

    async def _tell(self, command: str) -> None:
        async def attempt() -> None:
            await self._tell_once(command)

        await recovering(attempt, self._port, retries=self.retries, repeatable=True)

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

    async def _value(self, kind: str, number: int) -> tuple[float, float]:
        """A parameter's value and when it was asked for."""
        return await self._ask(f"{kind}_{number}", number, self._parameter(number))

    async def _reading(self, kind: str, number: int) -> Reading[float]:
        value, at = await self._value(kind, number)
        return Reading(value, at)

    def _echo(self, sent: int) -> Callable[[str], None]:
        def parse(reply: str) -> None:
            if _ECHO.fullmatch(reply) is None or float(reply) != sent:
                raise ProtocolError(self.name, reply, f"expected the echo '{sent}'")

        return parse

    def _name(self, reply: str) -> str:
        if _NAME.search(reply) is None:
            raise ProtocolError(self.name, reply, "expected a device name")
        return reply

    # --- Stirrer role ---------------------------------------------------------------------------------------

    async def identity(self) -> InstrumentIdentity:
        """`IN_NAME` is the model; the spec's command set has no serial-number or firmware query."""
        model, _ = await self._ask("IN_NAME", NAME, self._name)
        return InstrumentIdentity(model=model)

    async def _write_checked(self, setting: int, rpm: float) -> Applied[float]:
        if not math.isfinite(rpm) or rpm < 0:
            raise ValueError(f"speed {rpm!r} rpm is not a speed")
        sent = round(rpm)
        in_force, at = 0.0, self._clock()
        for _ in range(2):
            await self._tell(f"OUT_SP_{setting} {sent}")
            in_force, at = await self._value("IN_SP", setting)
            if in_force == sent:
                break
        return Applied(rpm, in_force, at)

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
        return (await self._value("IN_SP", _SPEED_LIMIT))[0]

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
        await self._ask(f"OUT_WD{_WATCHDOG_MODES[mode]}@{sent}", ECHO, self._echo(sent))

    async def disarm_watchdog(self) -> None:
        await self._ask("OUT_WD2@0", ECHO, self._echo(0))
