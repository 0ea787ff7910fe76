"""Test-side ends of the wires: a TCP client and a pty client that read exact byte counts with timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import Awaitable, Callable


class WireClient:
    def __init__(self, reader: asyncio.StreamReader, write: WriteFn, close: CloseFn) -> None:
        self.reader = reader
        self._write = write
        self._close = close

    async def send(self, data: bytes) -> None:
        await self._write(data)

    async def read(self, n: int, wait_s: float = 2.0) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(n), wait_s)

    async def expect(self, expected: bytes, wait_s: float = 2.0) -> None:
        got = await self.read(len(expected), wait_s)
        assert got == expected, f"got {got!r}"

    async def line(self, wait_s: float = 2.0) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n"), wait_s)

    async def silence(self, seconds: float = 0.05) -> None:
        """Nothing more arrives within ``seconds`` (of real time)."""
        try:
            extra = await asyncio.wait_for(self.reader.read(1), seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected bytes: {extra!r}")

    async def ask(self, command: bytes, expected: bytes) -> None:
        await self.send(command)
        await self.expect(expected)

    async def close(self) -> None:
        await self._close()


WriteFn = Callable[[bytes], Awaitable[None]]
CloseFn = Callable[[], Awaitable[None]]


async def tcp_client(port: int) -> WireClient:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def write(data: bytes) -> None:
        writer.write(data)
        await writer.drain()

    async def close() -> None:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    return WireClient(reader, write, close)


async def pty_client(path: str) -> WireClient:
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        reader.feed_data(data)

    loop.add_reader(fd, readable)

    async def write(data: bytes) -> None:
        os.write(fd, data)

    async def close() -> None:
        loop.remove_reader(fd)
        os.close(fd)

    return WireClient(reader, write, close)
