"""Async byte-stream port for line-oriented instruments.

The port owns the single asyncio.Lock that enforces "one request in flight per port": instruments like the
Huber PB link abort a command if a second one interleaves, and MT-SICS answers strictly in order.  Drivers get
read/write primitives only inside `exchange()`, so holding the lock is a matter of types, not discipline.

Own protocol buffer instead of asyncio.StreamReader: matching replies to the ledger below needs direct access to
what has already arrived.

Late replies.  A request that timed out may still be answered, after the next request has gone out; a protocol
without sequence numbers cannot tell that reply from the next one's, and when both requests asked the same thing
(a poll repeats its addresses every second, a retry repeats its request) even an echoed address does not help.
Waiting for a quiet line before each request (what the drivers did before) only narrows the window: a reply
later than the quiet time is still taken as current.  `Exchange.ask()` closes it for protocols that answer in
order and echo a key (the Huber PB address): the port keeps a ledger of requests sent and not yet answered,
matches each arriving reply to the oldest unanswered request with its key (the ones before it were lost: the
unit answers in order), and before a request whose key is still unanswered sends a *fence*, a harmless read
with a key nothing else awaits, whose reply proves every earlier reply has arrived or never will.  Nothing here is timed: however late a reply
comes, it is matched to its own request (up to MAX_OWED requests back).

`Exchange.ask_any()` is the same for requests that may be answered with any of several keys (a Reglo command
answers a status byte or a data line whose shape says what it is), with two more things a protocol may need:
`Matching.common`, keys any request may answer with (Reglo's `#` refusal), which are therefore matched by order
alone; and `Matching.aside`, for unsolicited frames (Reglo `^` event lines) that answer nothing.

MT-SICS needs two more: `Matching.unawaited`, for unsolicited frames that look like replies (the power-on
`I4 A "…"`): a frame whose key nothing unanswered awaits is kept aside instead of being taken as the oldest
request's garbled reply; and `Exchange.expect()`, for a reply of several frames that come apart in time (a
`QRA 61 1 B` at once, the dose's `QRA 61 1 A` minutes later): the later frame is awaited through the ledger too,
so a late one is matched to its own request.  Such a frame comes when the unit is done, not in order with the
replies to later requests, so no fence is sent for it and only a frame of its own key settles it.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections import deque
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import serial_asyncio_fast

from devices.errors import DeviceDisconnected, DeviceTimeout

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class LineSettings:
    """Instrument line settings; ignored by socket:// URLs (they have no UART)."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False


@dataclass(frozen=True, slots=True)
class Matching(Generic[K]):
    """How one in-order protocol's replies are told apart: for `Exchange.ask()`."""

    end: Callable[[bytearray], int]
    """End index of the first complete reply frame in the buffer, or -1 while incomplete."""
    key: Callable[[bytes], K | None]
    """The key a reply frame echoes (the address asked), or None for a frame that does not parse."""
    fences: Sequence[tuple[K, bytes]]
    """Requests that are safe to send at any time (reads), with the key their reply echoes; `ask()` uses one
    whose key no unanswered request has."""
    common: frozenset[K] = frozenset()
    """Keys any request (fences too) may be answered with, e.g. a refusal: such a frame is given to the oldest
    unanswered request, and a request goes out only once nothing but its own fences is unanswered."""
    aside: Callable[[bytes], bool] = lambda frame: False
    """True for an unsolicited frame (an event line), which the callee keeps if it wants: it answers nothing and
    is never returned.  Called for every frame, before it is matched."""
    unawaited: Callable[[bytes], None] | None = None
    """If set, a frame with a key (not None, not common) that no unanswered request accepts is given to this
    (an unsolicited line that looks like a reply) instead of being taken as the oldest request's reply.  Then
    the frames after a reply also stay buffered until the next `ask()` / `expect()`, so a later frame of the
    same reply is awaited with `expect()` instead of being set aside before anything awaits it."""


MAX_OWED = 256
"""Unanswered requests remembered per port; older ones are presumed lost.  The one blind spot left: a reply
that comes after more than this many later requests (a unit answering nothing for minutes keeps only these)."""


@dataclass(slots=True)
class _Owed:
    accepts: frozenset[Hashable]
    """The keys its reply may have (`Matching.common` not included)."""
    later: bool = False
    """A later frame of a reply (`expect()`): it comes when the unit is done (a dose's outcome), not in order
    with other requests' replies, so a frame of another key never settles it, no fence is sent for it, and it
    takes no `Matching.common` key.  Frames of one key still come in order: a frame matched to a later entry
    that shares a key with it settles it."""
    answer: bytes | None = None


class _Buffer(asyncio.Protocol):
    """What has arrived, and the futures to wake when more does: bare futures rather than an Event, as a poll
    waits several times per cycle."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self._waiters: list[asyncio.Future[None]] = []

    def data_received(self, data: bytes) -> None:
        self.data += data
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._wake()

    def changed(self) -> asyncio.Future[None]:
        """A future of its own, done when bytes arrive or the link closes."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class Exchange:
    """Read/write access to a port while its lock is held."""

    def __init__(self, port: Port) -> None:
        self._port = port

    def send(self, data: bytes) -> None:
        """Write a whole request at once: some instruments abort a command on gaps between characters."""
        self._port._check_open()
        self._port._transport.write(data)

    def flush_input(self) -> bytes:
        """Discard and return whatever has already arrived, e.g. a late reply to an abandoned request."""
        buf = self._port._buffer
        stale = bytes(buf.data)
        buf.data.clear()
        return stale

    async def ask(
        self, request: bytes, key: K, match: Matching[K], timeout_s: float, clock: Callable[[], float]
    ) -> tuple[bytes, float]:
        """Send `request` and return (its reply frame, `clock()` when it was sent), for in-order protocols whose
        replies echo `key`: never a reply to an earlier request (module docstring).

        A frame that does not parse, or echoes a key nothing awaits, is returned to the caller only if it is
        the reply to this request by order (so the caller's parser can say what is wrong with it: a garbled
        reply); otherwise it is taken as the garbled reply of the oldest earlier request and dropped.
        DeviceTimeout when this request (or its fence) is not answered within `timeout_s`; the request stays in
        the ledger, so its late reply is recognised whenever it comes.
        """
        return await self.ask_any(request, (key,), match, timeout_s, clock)

    async def ask_any(
        self,
        request: bytes,
        accepts: Collection[K],
        match: Matching[K],
        timeout_s: float,
        clock: Callable[[], float],
    ) -> tuple[bytes, float]:
        """`ask()` for a request whose reply may have any of the keys `accepts` (or one of `match.common`): a
        frame is matched to the oldest unanswered request that accepts its key, and before this request a fence
        is sent while any earlier one could take this one's reply."""
        wanted = frozenset(accepts)
        await self.clear_for(wanted, match, timeout_s, request)
        at = clock()
        owed = self._sent(request, wanted)
        await self._wait_until(lambda: owed.answer is not None, match, timeout_s, request)
        assert owed.answer is not None
        return owed.answer, at

    async def expect(
        self, accepts: Collection[K], match: Matching[K], timeout_s: float, request: bytes = b""
    ) -> bytes:
        """A further frame of the reply just received (its later line, e.g. the `A` after a `B`), sending
        nothing: it is awaited through the ledger like a request, so if it is late it is matched to this entry
        whenever it comes and never taken for a later request's reply.  Such a frame may come after the
        replies to later requests (a dose ends when it ends): see `_Owed.later`.  DeviceTimeout after
        `timeout_s`."""
        owed = _Owed(frozenset(accepts), later=True)
        self._owe(owed)
        await self._wait_until(lambda: owed.answer is not None, match, timeout_s, request)
        assert owed.answer is not None
        return owed.answer

    def awaiting(self, key: Hashable) -> bool:
        """Whether an unanswered entry of the ledger may still be answered with `key`."""
        return any(key in o.accepts for o in self._port._owed)

    async def clear_for(
        self, accepts: Collection[K], match: Matching[K], timeout_s: float, request: bytes = b""
    ) -> None:
        """Match what has arrived, then send fences until no unanswered request could take a reply with one of
        `accepts` (`ask_any()` does this first; call it directly to do something just before the request goes
        out, with nothing to wait for in between).  DeviceTimeout (naming `request`) if a fence is not
        answered within `timeout_s`."""
        port = self._port
        if not port._owed and not port._buffer.data:
            return  # nothing unanswered, nothing arrived: the usual case, and nothing to do
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        own = frozenset(accepts)
        wanted = own | match.common
        mine: list[_Owed] = []

        def blocks(o: _Owed) -> bool:
            # This call's own fences cannot take a reply the request may have (their keys are not its own; a
            # common key goes to the oldest entry): once only they are left, the request may go.  Were they to
            # block, a fence sent on every reply would keep one in flight for ever (common keys).
            if o.accepts.isdisjoint(own) and any(o is fence for fence in mine):
                return False
            if o.later:
                return False  # not in order with the replies to other requests: no fence can settle it
            return bool(match.common or o.accepts & wanted)

        self.settle(match)
        while any(blocks(o) for o in port._owed):
            fence_key, fence_request = self._fence(match)
            progress = self._progress_since(port._matched)
            mine.append(self._sent(fence_request, frozenset((fence_key,))))
            # Each fence reply settles at least the requests before the entry it is matched to; a fence whose
            # key nothing else awaits empties the ledger.  Unanswered in time, it is this request that failed
            # (reported as such: the fence is part of asking it).
            await self._wait_until(progress, match, deadline - loop.time(), request)
            self.settle(match)  # all of what has come (`_wait_until` may stop at the first match)

    def _progress_since(self, matched: int) -> Callable[[], bool]:
        """True once a frame has been matched after the `matched`-th."""
        return lambda: self._port._matched > matched

    def _fence(self, match: Matching[K]) -> tuple[K, bytes]:
        """A fence whose key no unanswered request has; if every one is awaited (a unit silent for a while),
        the one first awaited latest: its reply is matched to that earlier entry and settles everything before
        it, so repeated fences work through the ledger and never mistake one reply for another."""
        first: dict[Hashable, int] = {}
        for i, o in enumerate(self._port._owed):
            for key in o.accepts:
                first.setdefault(key, i)
        never = len(self._port._owed)
        return max(match.fences, key=lambda fence: first.get(fence[0], never))

    def _sent(self, request: bytes, accepts: frozenset[Hashable]) -> _Owed:
        self.send(request)
        owed = _Owed(accepts)
        self._owe(owed)
        return owed

    def _owe(self, owed: _Owed) -> None:
        self._port._owed.append(owed)
        if len(self._port._owed) > MAX_OWED:
            self._port._owed.popleft()

    def settle(self, match: Matching[K], done: Callable[[], bool] | None = None) -> None:
        """Match every complete frame already buffered (unsolicited ones go to `match.aside`), or, given `done`,
        stop once it is true."""
        buf = self._port._buffer
        while not (done is not None and done()) and (end := match.end(buf.data)) >= 0:
            frame = bytes(buf.data[:end])
            del buf.data[:end]
            self._match(frame, match)

    def _match(self, frame: bytes, match: Matching[K]) -> None:
        """Give `frame` to the request it answers, in order: requests before that one were never answered."""
        if match.aside(frame):
            return
        port = self._port
        owed = port._owed
        key = match.key(frame)
        index: int | None = 0
        if key is not None and key not in match.common:
            if owed and key in owed[0].accepts:
                index = 0
            else:
                index = next((i for i, o in enumerate(owed) if key in o.accepts), None)
            if index is None:
                if match.unawaited is not None:
                    match.unawaited(frame)  # unsolicited, or a late reply whose request was given up
                    return
                index = 0
        else:  # a common key or a garbled frame: by order, to the oldest request (not a later frame)
            index = next((i for i, o in enumerate(owed) if not o.later), None)
            if index is None and key is None:
                index = 0
        if not owed or index is None:
            return  # nothing asked: an unsolicited or long-forgotten frame
        answered = owed[index]
        if index == 0:  # the usual case: the oldest entry is answered, nothing before it to keep
            owed.popleft()
            answered.answer = frame
            port._matched += 1
            return
        kept = [o for o in list(owed)[:index] if o.later and o.accepts.isdisjoint(answered.accepts)]
        for _ in range(index + 1):
            owed.popleft()
        answered.answer = frame
        owed.extendleft(reversed(kept))
        port._matched += 1

    async def _wait_until(
        self, done: Callable[[], bool], match: Matching[K], timeout_s: float, request: bytes
    ) -> None:
        """Match arriving frames until `done()`; DeviceTimeout after `timeout_s`."""
        buf = self._port._buffer
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout_s, 0.0)
        while True:
            self.settle(match, done if match.unawaited is not None else None)
            if done():
                return
            if buf.closed:
                raise DeviceDisconnected(self._port.name, "link closed while waiting for a reply")
            if loop.time() >= deadline:  # bytes that keep coming do not hold the deadline off
                raise DeviceTimeout(self._port.name, request, timeout_s)
            waiter = buf.changed()
            # one timer per wait rather than asyncio.timeout (about 4 us each, several waits per poll)
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                await waiter
            except _Expired:
                raise DeviceTimeout(self._port.name, request, timeout_s) from None
            finally:
                timer.cancel()


class _Expired(Exception):
    """A reply wait's deadline passed (becomes DeviceTimeout)."""


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(_Expired())


async def _connect(url: str, name: str, s: LineSettings) -> tuple[asyncio.BaseTransport, _Buffer]:
    buffer = _Buffer()
    if url.startswith("socket://"):
        return await _connect_socket(url, name, buffer), buffer
    try:
        transport, _ = await serial_asyncio_fast.create_serial_connection(
            asyncio.get_running_loop(),
            lambda: buffer,
            url,
            baudrate=s.baudrate,
            bytesize=s.bytesize,
            parity=s.parity,
            stopbits=s.stopbits,
            xonxoff=s.xonxoff,
            rtscts=s.rtscts,
        )
    except OSError as exc:  # serial.SerialException is an OSError
        raise DeviceDisconnected(name, f"cannot open {url}: {exc}") from exc
    return transport, buffer


async def _connect_socket(url: str, name: str, buffer: _Buffer) -> asyncio.BaseTransport:
    """A `socket://host:port` URL (a terminal server, a simulator) opened as the event loop's own TCP
    connection, as pyserial-asyncio-fast does, but without patching serial attributes onto the transport: uvloop's
    transports take none, and nothing here uses them."""
    parsed = urllib.parse.urlsplit(url)
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError as exc:
        raise DeviceDisconnected(name, f"cannot open {url}: {exc}") from exc
    if not host or port is None:
        raise DeviceDisconnected(name, f"cannot open {url}: expected socket://HOST:PORT")
    try:
        transport, _ = await asyncio.get_running_loop().create_connection(lambda: buffer, host, port)
    except OSError as exc:
        raise DeviceDisconnected(name, f"cannot open {url}: {exc}") from exc
    return transport


class _Held:
    """The port's lock held for one exchange: a plain class rather than a generator-based context manager, as a
    poll takes it several times per cycle."""

    __slots__ = ("_port",)

    def __init__(self, port: Port) -> None:
        self._port = port

    async def __aenter__(self) -> Exchange:
        port = self._port
        await port._lock.acquire()
        try:
            port._check_open()
        except BaseException:
            port._lock.release()
            raise
        return Exchange(port)

    async def __aexit__(self, *_: object) -> None:
        self._port._lock.release()


class Port:
    """An open byte stream from a pyserial URL (`/dev/ttyUSB0`, `socket://host:port`, `rfc2217://…`)."""

    def __init__(
        self,
        name: str,
        transport: asyncio.BaseTransport,
        buffer: _Buffer,
        *,
        url: str | None = None,
        settings: LineSettings | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.settings = settings or LineSettings()
        self._transport: asyncio.WriteTransport = transport  # type: ignore[assignment]
        self._buffer = buffer
        self._lock = asyncio.Lock()
        self._owed: deque[_Owed] = deque()
        """Requests sent through `Exchange.ask()` and not answered yet, oldest first.  Kept across `reopen()`:
        on a serial line (or a terminal server in front of one) the unit's late replies still come."""
        self._matched = 0
        """Frames matched to a ledger entry so far: fences wait for this to move."""
        self.reopens = 0
        """How many times the link was reopened (for logs and tests)."""

    @classmethod
    async def open(cls, url: str, *, name: str, settings: LineSettings | None = None) -> Port:
        s = settings or LineSettings()
        transport, buffer = await _connect(url, name, s)
        return cls(name, transport, buffer, url=url, settings=s)

    async def reopen(self) -> None:
        """Close the current stream (if still open) and open the same URL again, with an empty input buffer.

        Takes the port lock, so call it outside `exchange()`.  Raises DeviceDisconnected if the URL cannot be
        opened (the port then stays closed and a later call may try again).
        """
        if self.url is None:
            raise DeviceDisconnected(self.name, "cannot reopen: port was not opened from a URL")
        async with self._lock:
            self._transport.close()
            self._buffer.closed = True
            transport, buffer = await _connect(self.url, self.name, self.settings)
            self._transport = transport  # type: ignore[assignment]
            self._buffer = buffer
            self.reopens += 1

    @property
    def is_open(self) -> bool:
        return not self._buffer.closed and not self._transport.is_closing()

    def _check_open(self) -> None:
        if not self.is_open:
            raise DeviceDisconnected(self.name, "port is closed")

    def exchange(self) -> _Held:
        """Hold the port for one request/reply (or one multi-line conversation): `async with port.exchange() as x`."""
        return _Held(self)

    def send_unlocked(self, data: bytes) -> None:
        """Write without waiting for the lock: only for cancel/stop commands the protocol allows mid-request."""
        self._check_open()
        self._transport.write(data)

    async def close(self) -> None:
        self._transport.close()
