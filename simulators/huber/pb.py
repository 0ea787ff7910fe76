"""The PB line protocol, instrument side, over raw bytes: TCP (like a serial-to-Ethernet terminal server) or a pty.

Choices where the manual is silent (ours):
- Framing is by line: bytes collect until ``\\n`` and the whole line must be exactly one 10-character frame; any
  other line (including two frames glued without a pause, or junk before ``{``) is malformed and gets no reply.
  A line longer than 64 bytes without ``\\n`` is thrown away.
- The 100 ms inter-character limit is measured in wall time on arrival; bytes that arrive in one read count as
  contiguous. A gap aborts the partial frame silently.
- Commands of one connection are answered strictly in order; each reply waits ``reply_delay_s`` (wall seconds)
  plus the injected extra delay after the command was executed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tty
from collections.abc import Callable

from simulators.huber.faults import WireFaults
from simulators.huber.registers import to_s16, to_u16
from simulators.huber.thermostat import Thermostat

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
    """One host connection: frames in, replies out, in order, through the wire faults."""

    def __init__(
        self,
        thermostat: Thermostat,
        send: Callable[[bytes], None],
        faults: WireFaults,
        reply_delay_s: float,
    ) -> None:
        self._thermostat = thermostat
        self._send = send
        self._faults = faults
        self._reply_delay_s = reply_delay_s
        self._assembler = FrameAssembler()
        self._queue: asyncio.Queue[Command] = asyncio.Queue()
        self._worker = asyncio.get_running_loop().create_task(self._work())

    def feed(self, data: bytes) -> None:
        for line in self._assembler.feed(data, asyncio.get_running_loop().time()):
            command = parse_command(line)
            if command is not None and not self._faults.silent:
                self._queue.put_nowait(command)

    def poll(self) -> None:
        """A Huber speaks only when spoken to; present so a shared byte-serving layer can drive this session."""

    def close(self) -> None:
        self._worker.cancel()

    async def _work(self) -> None:
        while True:
            command = await self._queue.get()
            reply = execute(self._thermostat, command)
            delay = self._reply_delay_s + self._faults.extra_delay_s
            if delay > 0:
                await asyncio.sleep(delay)
            if reply is not None and not self._faults.silent:
                self._send(self._faults.outgoing(reply))


class _PbProtocol(asyncio.Protocol):
    def __init__(self, server: PbTcpServer) -> None:
        self._server = server
        self._session: PbSession | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._session = PbSession(
            self._server.thermostat, transport.write, self._server.faults, self._server.reply_delay_s
        )
        self._server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._session is not None:
            self._session.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._session is not None:
            self._session.close()
        self._server.connections.discard(self)


class PbTcpServer:
    """A running PB endpoint on TCP; ``port`` is the bound port (ask for 0 to get a free one)."""

    def __init__(self, thermostat: Thermostat, faults: WireFaults, reply_delay_s: float) -> None:
        self.thermostat = thermostat
        self.faults = faults
        self.reply_delay_s = reply_delay_s
        self.connections: set[_PbProtocol] = set()
        self._server: asyncio.Server | None = None
        self.host = ""
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _PbProtocol(self), host, port)
        self.host, self.port = self._server.sockets[0].getsockname()[:2]

    def drop_connections(self) -> None:
        """Cut every client off, as a terminal server reboot would; new connections are still accepted."""
        for connection in list(self.connections):
            if connection.transport is not None:
                connection.transport.abort()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self.drop_connections()
            await self._server.wait_closed()


async def serve_tcp(
    thermostat: Thermostat,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    reply_delay_s: float = 0.02,
    faults: WireFaults | None = None,
) -> PbTcpServer:
    server = PbTcpServer(thermostat, faults or WireFaults(), reply_delay_s)
    await server.start(host, port)
    return server


class PbPtyServer:
    """A PB endpoint on a pseudo-terminal: a driver opens ``path`` as if it were the RS232 port."""

    def __init__(self, thermostat: Thermostat, faults: WireFaults, reply_delay_s: float) -> None:
        self.faults = faults
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation: the bytes are the protocol
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._loop = asyncio.get_running_loop()
        self._session = PbSession(thermostat, self._write, faults, reply_delay_s)
        self._loop.add_reader(self._master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self._master, 1024)
        except OSError:  # EIO while no one holds the slave open: nothing to read yet
            return
        self._session.feed(data)

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._master, data)

    async def close(self) -> None:
        self._loop.remove_reader(self._master)
        self._session.close()
        os.close(self._master)
        os.close(self._slave)


async def serve_pty(
    thermostat: Thermostat, *, reply_delay_s: float = 0.02, faults: WireFaults | None = None
) -> PbPtyServer:
    return PbPtyServer(thermostat, faults or WireFaults(), reply_delay_s)
