"""The PB line protocol, instrument side, over raw bytes: TCP (like a serial-to-Ethernet terminal server) or a pty,
both served by :mod:`simulators.serving` (which also applies the wire faults).

Choices where the manual is silent (ours):
- Framing is by line: bytes collect until ``\\n`` and the whole line must be exactly one 10-character frame; any
  other line (including two frames glued without a pause, or junk before ``{``) is malformed and gets no reply.
  A line longer than 64 bytes without ``\\n`` is thrown away.
- The 100 ms inter-character limit is measured in wall time on arrival; bytes that arrive in one read count as
  contiguous. A gap aborts the partial frame silently.
- Commands of one connection are answered strictly in order; each reply waits ``reply_delay_s`` (wall seconds)
  after the command was executed, plus the wire's injected ``reply_delay_s``.
"""

from __future__ import annotations

import asyncio
import re

from simulators import serving
from simulators.huber.registers import to_s16, to_u16
from simulators.huber.thermostat import Thermostat
from simulators.serving import PtyServer, Send, SessionFactory, TcpServer, WireFaults

FRAME_LEN = 10
CHAR_GAP_S = 0.1
_MAX_LINE = 64
_FRAME = re.compile(rb"\{M([0-9A-F]{2})([0-9A-F]{4}|\*{4})\r\n")

Command = tuple[int, int | None]


def parse_command(frame: bytes) -> Command | None:
    """(address, value or None for a read) for a well-formed host frame, else None."""
    match = _FRAME.fullmatch(frame)
    if match is None:
        return None
    value = match.group(2)
    return int(match.group(1), 16), None if value == b"****" else to_s16(int(value, 16))


def format_reply(address: int, value: int) -> bytes:
    return b"{S%02X%04X\r\n" % (address, to_u16(value))


def execute(thermostat: Thermostat, command: Command) -> bytes | None:
    """The unit's reply to one command, or None when the unit is dead."""
    address, value = command
    result = thermostat.read(address) if value is None else thermostat.write(address, value)
    return None if result is None else format_reply(address, result)


class FrameAssembler:
    """Cuts a byte stream into candidate lines, aborting a line on a pause longer than the manual allows."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._last = 0.0

    def feed(self, data: bytes, now: float) -> list[bytes]:
        if self._line and now - self._last > CHAR_GAP_S:
            self._line.clear()
        self._last = now
        if not self._line and len(data) <= _MAX_LINE + 1 and data.find(b"\n") == len(data) - 1:
            return [bytes(data)]  # one whole line in one read: what the byte loop below would make of it
        lines: list[bytes] = []
        for byte in data:
            self._line.append(byte)
            if byte == 0x0A:
                lines.append(bytes(self._line))
                self._line.clear()
            elif len(self._line) > _MAX_LINE:
                self._line.clear()
        return lines


class PbSession:
    """One host connection: frames in, replies out, in order; a :class:`~simulators.serving.ByteSession`."""

    def __init__(self, thermostat: Thermostat, send: Send, reply_delay_s: float) -> None:
        self._thermostat = thermostat
        self._send = send
        self._reply_delay_s = reply_delay_s
        self._assembler = FrameAssembler()
        self._queue: asyncio.Queue[Command] = asyncio.Queue()
        self._worker = asyncio.get_running_loop().create_task(self._work())

    def feed(self, data: bytes) -> None:
        for line in self._assembler.feed(data, asyncio.get_running_loop().time()):
            command = parse_command(line)
            if command is None:
                continue
            if self._reply_delay_s > 0 or not self._queue.empty():
                self._queue.put_nowait(command)  # answered in order, after the unit's own answer time
                continue
            reply = execute(self._thermostat, command)  # at once: the turn a dry run spends waiting is saved
            if reply is not None:
                self._send(reply)

    def poll(self) -> None:
        """A Huber speaks only when spoken to."""

    def close(self) -> None:
        self._worker.cancel()

    async def _work(self) -> None:
        while True:
            command = await self._queue.get()
            reply = execute(self._thermostat, command)
            if self._reply_delay_s > 0:
                await asyncio.sleep(self._reply_delay_s)
            if reply is not None:
                self._send(reply)


def session_factory(thermostat: Thermostat, reply_delay_s: float) -> SessionFactory:
    return lambda send: PbSession(thermostat, send, reply_delay_s)


async def serve_tcp(
    thermostat: Thermostat,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    reply_delay_s: float = 0.02,
    faults: WireFaults | None = None,
) -> TcpServer:
    return await serving.serve_tcp(session_factory(thermostat, reply_delay_s), host, port, faults)


async def serve_pty(
    thermostat: Thermostat, *, reply_delay_s: float = 0.02, faults: WireFaults | None = None
) -> PtyServer:
    """A PB endpoint on a pseudo-terminal: a driver opens ``slave_path`` as if it were the RS232 port."""
    return await serving.serve_pty(session_factory(thermostat, reply_delay_s), faults)
