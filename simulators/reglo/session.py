"""One connection to the pump: ``\\r``-terminated commands, one-byte status replies, ``\\r\\n`` data lines.

Choices where the manual is silent *(ours)*: a lone ``\\n`` is ignored (some terminals send CR LF); a command for
another pump address on the daisy chain gets no reply at all; with channel addressing on, an address with no
channel answers ``#``; data replies that carry a unit are plain decimals like the spec's ``2.79 mm``
(``31.00 ml/min``, ``50.00 ml``), bare numbers are Volume Type 1; ``xe`` with no recorded error answers ``#``.
"""

from __future__ import annotations

from collections.abc import Callable

from simulators.reglo.numbers import format_type1, parse_discrete2, parse_type2
from simulators.reglo.pump import Channel, RegloICC
from simulators.serving import Send

_TUBING_RANGE_MM = (0.05, 3.17)


class RegloSession:
    def __init__(self, pump: RegloICC, send: Send) -> None:
        self._pump = pump
        self._send = send
        self._buffer = bytearray()
        pump.attach(self._event)
        self._handlers: dict[str, Callable[[Channel, str], bytes]] = {
            "#": lambda ch, p: self._data(pump.model_line) if not p else b"#",
            "O": lambda ch, p: self._set_mode(ch, "O", p),
            "M": lambda ch, p: self._set_mode(ch, "M", p),
            "L": lambda ch, p: self._set_mode(ch, "L", p),
            "+": self._tubing,
            "f": self._flow,
            "v": self._volume,
            "J": lambda ch, p: self._set_direction(ch, True, p),
            "K": lambda ch, p: self._set_direction(ch, False, p),
            "H": self._start,
            "E": lambda ch, p: b"#" if p else (b"+" if pump.running(ch) else b"-"),
            "I": self._stop,
            ":": lambda ch, p: b"#" if p else self._data(f"{ch.plant.commanded_ml():.2f} ml"),
            "?": lambda ch, p: b"#" if p else self._data(f"{ch.max_flow():.2f} ml/min"),
            "xE": self._events,
            "xe": lambda ch, p: self._data(ch.last_error) if ch.last_error and not p else b"#",
        }

    def _event(self, line: str) -> None:
        self._send(line.encode("ascii") + b"\r\n")

    @staticmethod
    def _data(text: str) -> bytes:
        return text.encode("ascii") + b"\r\n"

    def feed(self, data: bytes) -> None:
        self._buffer.extend(data)
        while (end := self._buffer.find(b"\r")) >= 0:
            raw = bytes(self._buffer[:end]).replace(b"\n", b"")
            del self._buffer[: end + 1]
            self._pump.update()
            reply = self._execute(raw)
            if reply:
                self._send(reply)

    def poll(self) -> None:
        self._pump.update()

    def close(self) -> None:
        self._pump.detach(self._event)

    def _execute(self, raw: bytes) -> bytes:
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return b"#"
        if not text or not text[0].isdigit():
            return b"#"
        address, body = int(text[0]), text[1:]
        if body.startswith("~"):
            if address != self._pump.pump_address or body[1:] not in ("0", "1"):
                return b"#" if address == self._pump.pump_address else b""
            self._pump.channel_addressing = body[1:] == "1"
            return b"*"
        if self._pump.channel_addressing:
            channel = self._pump.channels.get(address)
            if channel is None:
                return b"#"
        elif address == self._pump.pump_address:
            channel = self._pump.channels[min(self._pump.channels)]
        else:
            return b""
        name = body[:2] if body[:2] in ("xE", "xe") else body[:1]
        handler = self._handlers.get(name)
        if handler is None:
            return b"#"
        return handler(channel, body[len(name) :])

    def _set_mode(self, ch: Channel, mode: str, params: str) -> bytes:
        if params:
            return b"#"
        ch.mode = mode
        return b"*"

    def _set_direction(self, ch: Channel, clockwise: bool, params: str) -> bytes:
        if params:
            return b"#"
        ch.clockwise = clockwise
        return b"*"

    def _tubing(self, ch: Channel, params: str) -> bytes:
        if not params:
            return self._data(f"{ch.tubing_mm:.2f} mm")
        hundredths = parse_discrete2(params)
        if hundredths is None:
            return b"#"
        low, high = _TUBING_RANGE_MM
        if not low <= hundredths / 100 <= high:
            return b"#"
        ch.tubing_mm = hundredths / 100
        return b"*"

    def _flow(self, ch: Channel, params: str) -> bytes:
        if params:
            value = parse_type2(params)
            if value is None:
                return b"#"
            ch.flow_ml_min = value
        return self._data(format_type1(ch.flow_ml_min))

    def _volume(self, ch: Channel, params: str) -> bytes:
        if params:
            value = parse_type2(params)
            if value is None:
                return b"#"
            ch.volume_ml = value
        return self._data(format_type1(ch.volume_ml))

    def _start(self, ch: Channel, params: str) -> bytes:
        if params:
            return b"#"
        return b"*" if self._pump.start(ch) else b"-"

    def _stop(self, ch: Channel, params: str) -> bytes:
        if params:
            return b"#"
        self._pump.stop(ch)
        return b"*"

    def _events(self, ch: Channel, params: str) -> bytes:
        if params not in ("0", "1"):
            return b"#"
        self._pump.events_on = params == "1"
        return b"*"
