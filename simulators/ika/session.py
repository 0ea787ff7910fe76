"""One NAMUR conversation: CR LF lines in, ``<value> <n>`` lines (or nothing at all) out.

The unit never says it did not understand: an unknown command, lower case, a missing or malformed parameter or a
line over 80 characters is met with silence, like a real EUROSTAR.  Choices *(ours)*: a lone LF also ends a line
and blanks around a command are ignored (the manual's "blank CR LF"); numbers are printed with one decimal.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from simulators.ika.unit import Eurostar
from simulators.serving import Send

MAX_LINE = 80
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_WATCHDOG = re.compile(r"OUT_WD([12])@([0-9]+)")


def value_line(value: float, parameter: int) -> bytes:
    return f"{value:.1f} {parameter}\r\n".encode("ascii")


class EurostarSession:
    def __init__(self, unit: Eurostar, send: Send) -> None:
        self._unit = unit
        self._send = send
        self._buffer = bytearray()
        plant = unit.plant
        self._queries: dict[str, Callable[[], bytes]] = {
            "IN_NAME": lambda: unit.name.encode("ascii") + b"\r\n",
            "IN_PV_3": lambda: value_line(unit.probe_c, 3),
            "IN_PV_4": lambda: value_line(plant.speed_rpm(), 4),
            "IN_PV_5": lambda: value_line(plant.torque_ncm(), 5),
            "IN_SP_4": lambda: value_line(plant.setpoint_rpm(), 4),
            "IN_SP_5": lambda: value_line(unit.torque_limit_ncm, 5),
            "IN_SP_6": lambda: value_line(unit.speed_limit_rpm, 6),
            "IN_SP_8": lambda: value_line(unit.safety_speed_rpm, 8),
        }
        self._actions: dict[str, Callable[[], None]] = {
            "START_4": unit.start,
            "STOP_4": unit.stop,
            "RESET": unit.reset,
        }
        self._settings: dict[str, Callable[[float], None]] = {
            "OUT_SP_4": unit.set_speed,
            "OUT_SP_6": unit.set_speed_limit,
            "OUT_SP_8": unit.set_safety_speed,
        }

    def feed(self, data: bytes) -> None:
        self._buffer.extend(data)
        while (end := self._buffer.find(b"\n")) >= 0:
            raw = bytes(self._buffer[:end]).rstrip(b"\r")
            del self._buffer[: end + 1]
            self._unit.update()
            reply = self._execute(raw)
            if reply:
                self._send(reply)
        if len(self._buffer) > MAX_LINE:
            self._buffer.clear()

    def poll(self) -> None:
        self._unit.update()

    def close(self) -> None:
        pass

    def _execute(self, raw: bytes) -> bytes:
        if len(raw) > MAX_LINE or not all(0x20 <= c <= 0x7E for c in raw):
            return b""
        text = raw.decode("ascii").strip(" ")
        if (query := self._queries.get(text)) is not None:
            return query()
        if (action := self._actions.get(text)) is not None:
            action()
            return b""
        if (wd := _WATCHDOG.fullmatch(text)) is not None:
            seconds = int(wd[2])
            return f"{seconds}\r\n".encode("ascii") if self._unit.arm_watchdog(int(wd[1]), seconds) else b""
        command, _, argument = text.partition(" ")
        setting = self._settings.get(command)
        if setting is not None and _NUMBER.fullmatch(argument):
            setting(float(argument))
        return b""
