"""One connection to the balance: CRLF framing, one command at a time, ``@`` cancelling, ``SIR`` streaming.

Choices *(ours)*: a line also ends at a bare LF (the CR is dropped); empty lines are ignored; a line with bytes
outside printable ASCII answers ``ET`` (what a garbled command looks like to the balance); commands that arrive
while ``S``/``T``/``Z`` wait for stability queue behind it, except ``@``, which cancels the wait and the queue;
``SIR`` streams until ``@`` or another weighing command.
"""

from __future__ import annotations

from collections import deque

from simulators.mettler.balance import Balance
from simulators.mettler.commands import Commands, Wait
from simulators.mettler.formatting import weight_line
from simulators.mettler.instrument import MettlerQuantos
from simulators.serving import Send

CRLF = b"\r\n"
_WEIGHING = {"S", "SI", "SIR", "T", "TI", "Z", "ZI"}


class MettlerSession:
    def __init__(self, instrument: MettlerQuantos, send: Send) -> None:
        self._inst = instrument
        self._send = send
        self._commands = Commands(instrument)
        self._buffer = bytearray()
        self._queue: deque[bytes] = deque()
        self._waiting: Wait | None = None
        self._streaming_next_s: float | None = None
        instrument.attach(self._send_line)
        # Power-on message: the balance announces itself to whoever opens the line.
        self._send_line(self._commands.serial_line())

    def _send_line(self, line: str) -> None:
        self._send(line.encode("ascii") + CRLF)

    def feed(self, data: bytes) -> None:
        self._buffer.extend(data)
        while (end := self._buffer.find(b"\n")) >= 0:
            raw = bytes(self._buffer[:end]).rstrip(b"\r")
            del self._buffer[: end + 1]
            if raw.strip() == b"@":
                self._waiting = None
                self._queue.clear()
                self._streaming_next_s = None
                self._send_line(self._commands.serial_line())
            elif raw.strip():
                self._queue.append(raw)
        self._drain()

    def poll(self) -> None:
        self._inst.update()
        if self._waiting is not None:
            reply = self._commands.resolve(self._waiting)
            if reply is not None:
                self._waiting = None
                self._emit(reply)
        self._stream()
        self._drain()

    def close(self) -> None:
        self._inst.detach(self._send_line)

    def _drain(self) -> None:
        while self._waiting is None and self._queue:
            raw = self._queue.popleft()
            self._inst.update()
            try:
                line = raw.decode("ascii")
            except UnicodeDecodeError:
                self._send_line("ET")
                continue
            if not line.isprintable():
                self._send_line("ET")
                continue
            self._execute(line)

    def _execute(self, line: str) -> None:
        name, *args = line.split()
        if name in _WEIGHING:
            self._streaming_next_s = None
        if name == "SIR":
            if args:
                self._send_line("EL")
                return
            self._streaming_next_s = self._inst.clock.now()
            self._stream()
            return
        reply = self._commands.handle(name, args)
        if isinstance(reply, Wait):
            self._waiting = reply
        else:
            self._emit(reply)

    def _emit(self, lines: list[str]) -> None:
        for line in lines:
            self._send_line(line)

    def _stream(self) -> None:
        """One reading per interval of simulated time; a big clock jump gives one line, not a flood."""
        if self._streaming_next_s is None:
            return
        now = self._inst.clock.now()
        if now < self._streaming_next_s:
            return
        balance: Balance = self._inst.balance
        if limit := balance.limit():
            self._send_line(f"S {limit}")
        else:
            status = "S" if balance.stable() else "D"
            self._send_line(weight_line("S", status, balance.net_g(), balance.config.readability_g))
        self._streaming_next_s = now + balance.config.sir_interval_s
