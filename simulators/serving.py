"""Put a simulated instrument on a wire a controller can open: a raw TCP port (what a serial-to-Ethernet terminal
server gives) or a pseudo-terminal (what a USB-serial adapter gives). Nothing here knows any instrument's protocol:
an instrument supplies a :class:`ByteSession` factory, and the same session code runs behind either wire.

Wire faults (dropped link, garbled or lost bytes, slow replies, a hung unit) live here too, because they belong to
the cable, the terminal server or a hung controller board, not to the instrument's model.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import tty
from collections import deque
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Protocol, Self

Send = Callable[[bytes], None]


class ByteSession(Protocol):
    """One instrument conversation: bytes in, bytes out through the ``send`` it was created with."""

    def feed(self, data: bytes) -> None:
        """Bytes the controller sent; the session frames and answers them."""
        ...

    def poll(self) -> None:
        """Called often: lets the instrument say things nobody asked for (events, finished jobs, streams)."""
        ...

    def close(self) -> None:
        """The link went away; release anything held for this conversation."""
        ...


SessionFactory = Callable[[Send], ByteSession]


Mangler = Callable[[bytes], bytes]


class WireFaults:
    """Faults of the link itself, applied to every conversation served with it (one instance may serve several
    front ends of one instrument; a fault then hits all of them).

    Counted faults (``garble_next``, ``drop_next``) are deterministic so a test can say exactly which reply breaks;
    ``garble_rate`` draws from a seeded RNG for campaigns; ``mangle`` rewrites every reply until cleared.
    Delays are wall seconds: the wire is real even when the clock is not.
    """

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._disconnect = asyncio.Event()
        self.restore()

    def restore(self) -> None:
        """Clear every fault: the link is healthy again."""
        self.reply_delay_s = 0.0
        """Added before every reply (slow replies)."""
        self.garble_rate = 0.0
        self.silent = False
        """The unit hangs: what the controller sends is swallowed unprocessed and nothing is answered."""
        self.mangle: Mangler | None = None
        """Rewrites each outgoing reply (see :func:`garble`, :func:`drop_bytes`)."""
        self._garble_next = 0
        self._drop_next = 0
        self._drop_rx_next = 0

    def garble_next(self, n_bytes: int) -> None:
        """Corrupt the next ``n_bytes`` sent to the controller (bit 6 flipped, so ASCII stays ASCII-ish)."""
        self._garble_next += n_bytes

    def drop_next(self, n_bytes: int) -> None:
        """Lose the next ``n_bytes`` sent to the controller."""
        self._drop_next += n_bytes

    def drop_rx_next(self, n_bytes: int) -> None:
        """Lose the next ``n_bytes`` the controller sends before the instrument sees them."""
        self._drop_rx_next += n_bytes

    def disconnect(self) -> None:
        """Cut every current conversation (TCP: the socket closes; pty: the instrument starts a fresh session)."""
        self._disconnect.set()
        self._disconnect = asyncio.Event()

    def disconnected(self) -> Coroutine[Any, Any, bool]:
        """Completes at the next :meth:`disconnect` after this call (bound now, not when first awaited)."""
        return self._disconnect.wait()

    def filter_tx(self, data: bytes) -> bytes:
        if self.silent:
            return b""
        if self.mangle is not None:
            data = self.mangle(data)
        if self._drop_next <= 0 and self._garble_next <= 0 and self.garble_rate <= 0:
            return data  # a clean wire: what the loop below would give, byte for byte
        out = bytearray()
        for byte in data:
            if self._drop_next > 0:
                self._drop_next -= 1
                continue
            flip = 0
            if self._garble_next > 0:
                self._garble_next -= 1
                flip = 0x40
            elif self.garble_rate > 0 and self._rng.random() < self.garble_rate:
                flip = 0x40
            out.append(byte ^ flip)
        return bytes(out)

    def filter_rx(self, data: bytes) -> bytes:
        if self.silent:
            return b""
        if self._drop_rx_next <= 0:
            return data
        cut = min(self._drop_rx_next, len(data))
        self._drop_rx_next -= cut
        return data[cut:]


def garble(index: int, xor: int = 0x01) -> Mangler:
    """A :attr:`WireFaults.mangle` that flips bits of byte ``index``, as line noise would (the reply keeps its
    length, so only a check catches it)."""

    def mangle(reply: bytes) -> bytes:
        if not 0 <= index < len(reply):
            return reply
        return reply[:index] + bytes([reply[index] ^ xor]) + reply[index + 1 :]

    return mangle


def drop_bytes(start: int, count: int = 1) -> Mangler:
    """A :attr:`WireFaults.mangle` that loses ``count`` bytes from ``start`` on: a short reply to time out on."""

    def mangle(reply: bytes) -> bytes:
        return reply[:start] + reply[start + count :]

    return mangle


class ByteReader(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


class ByteWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...


async def run_session(
    reader: ByteReader,
    writer: ByteWriter,
    factory: SessionFactory,
    faults: WireFaults | None = None,
    tick_s: float = 0.002,
) -> None:
    """Run one conversation until the peer closes, the link is cut by a fault, or the task is cancelled."""
    faults = faults or WireFaults()
    outbox: asyncio.Queue[bytes] = asyncio.Queue()
    holding = False
    """`transmit` has taken a reply from the outbox and not yet written it (a reply delay)."""

    def send(chunk: bytes) -> None:
        # Written at once when nothing is ahead of it and no delay is set: the reply reaches the wire in the loop
        # turn that produced it instead of one later (a dry run's cycle is mostly such turns); else in order.
        if holding or not outbox.empty() or faults.reply_delay_s > 0:
            outbox.put_nowait(chunk)
        elif chunk := faults.filter_tx(chunk):
            writer.write(chunk)

    session = factory(send)

    def deliver(data: bytes) -> None:
        if data := faults.filter_rx(data):
            session.feed(data)

    async def receive() -> None:
        if isinstance(reader, PushedBytes):
            reader.listen(deliver)
            await reader.read()  # only the end of the stream comes this way now
            return
        while data := await reader.read(4096):
            deliver(data)

    async def tick() -> None:
        while True:
            session.poll()
            await asyncio.sleep(tick_s)

    async def transmit() -> None:
        nonlocal holding
        while True:
            chunk = await outbox.get()
            holding = True
            try:
                if faults.reply_delay_s > 0:
                    await asyncio.sleep(faults.reply_delay_s)
                if chunk := faults.filter_tx(chunk):
                    writer.write(chunk)
                    await writer.drain()
            finally:
                holding = False

    tasks = [
        asyncio.create_task(receive()),
        asyncio.create_task(tick()),
        asyncio.create_task(transmit()),
        asyncio.create_task(faults.disconnected()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                await task
        session.close()
        with contextlib.suppress(ConnectionError, OSError):
            writer.close()


class PushedBytes:
    """A ByteReader whose bytes, once a listener is set, go to it in the loop turn that read them off the socket
    (no reader task woken in between: a turn less per request); `read()` then only waits for the end of the
    stream. Bytes that came before the listener are handed to it when it is set."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._listener: Callable[[bytes], None] | None = None
        self._eof = False
        self._changed = asyncio.Event()

    def feed_data(self, data: bytes) -> None:
        if self._listener is not None:
            self._listener(data)
            return
        self._buffer += data
        self._changed.set()

    def feed_eof(self) -> None:
        self._eof = True
        self._changed.set()

    def listen(self, listener: Callable[[bytes], None]) -> None:
        self._listener = listener
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            listener(data)

    async def read(self, n: int = -1) -> bytes:
        while not self._buffer and not self._eof:
            self._changed.clear()
            await self._changed.wait()
        size = len(self._buffer) if n < 0 else min(n, len(self._buffer))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


class _TcpConversation(asyncio.Protocol):
    """One accepted TCP connection served by `run_session`, its bytes pushed to the session as they arrive."""

    def __init__(
        self, factory: SessionFactory, faults: WireFaults, handlers: set[asyncio.Task[None]]
    ) -> None:
        self._factory = factory
        self._faults = faults
        self._handlers = handlers
        self._reader = PushedBytes()
        self._transport: asyncio.WriteTransport | None = None
        self._writable = asyncio.Event()
        self._writable.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        task = asyncio.get_running_loop().create_task(self._serve())
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _serve(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            # Closing the server ends its conversations quietly, as a terminal server dropping its clients would.
            await run_session(self._reader, self, self._factory, self._faults)

    def data_received(self, data: bytes) -> None:
        self._reader.feed_data(data)

    def eof_received(self) -> bool:
        self._reader.feed_eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._reader.feed_eof()
        self._writable.set()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # ByteWriter
    def write(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    async def drain(self) -> None:
        await self._writable.wait()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class TcpServer:
    """A listening TCP port; each connection gets a fresh session (a terminal server accepting a new client)."""

    def __init__(self, server: asyncio.Server, handlers: set[asyncio.Task[None]], faults: WireFaults) -> None:
        self._server = server
        self.faults = faults
        self._handlers = handlers
        sockname = server.sockets[0].getsockname()
        self.host: str = sockname[0]
        self.port: int = sockname[1]

    async def aclose(self) -> None:
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def serve_tcp(
    factory: SessionFactory, host: str = "127.0.0.1", port: int = 0, faults: WireFaults | None = None
) -> TcpServer:
    """Listen on ``host:port`` (0: any free port, read it back from ``.port``)."""
    wire = faults or WireFaults()
    handlers: set[asyncio.Task[None]] = set()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _TcpConversation(factory, wire, handlers), host, port)
    return TcpServer(server, handlers, wire)


class _PtyWriter:
    """Writes to the pty master without blocking the loop; a full buffer holds bytes like a UART FIFO would."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pending: deque[bytes] = deque()

    def write(self, data: bytes) -> None:
        self._pending.append(data)
        self._flush()

    def _flush(self) -> None:
        while self._pending:
            chunk = self._pending[0]
            try:
                written = os.write(self._fd, chunk)
            except BlockingIOError:
                return
            if written < len(chunk):
                self._pending[0] = chunk[written:]
                return
            self._pending.popleft()

    async def drain(self) -> None:
        while self._pending:
            await asyncio.sleep(0.005)
            self._flush()

    def close(self) -> None:
        self._pending.clear()


class PtyServer:
    """A pseudo-terminal whose slave end (``slave_path``) a controller opens like a serial port.

    The server keeps its own slave descriptor open so the master never sees EIO when the controller closes and
    reopens the port: a serial line does not vanish when the host closes it.
    """

    def __init__(self, factory: SessionFactory, faults: WireFaults | None) -> None:
        self._factory = factory
        self.faults = faults or WireFaults()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.slave_path: str = os.ttyname(self._slave)
        self._reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        loop.add_reader(self._master, self._on_readable)
        self._task = asyncio.create_task(self._serve())

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except OSError:
            return
        if data:
            self._reader.feed_data(data)

    async def _serve(self) -> None:
        while True:
            await run_session(self._reader, _PtyWriter(self._master), self._factory, self.faults)
            # A cut line loses whatever was in flight.
            self._reader = asyncio.StreamReader()

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._master)
        os.close(self._slave)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def serve_pty(factory: SessionFactory, faults: WireFaults | None = None) -> PtyServer:
    """Open a pseudo-terminal and serve one long-lived session on it."""
    return PtyServer(factory, faults)
