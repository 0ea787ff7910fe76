"""The port over a real socket: the ledger's `expect()` and `Matching.unawaited`, reply deadlines, socket URLs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest

from devices.errors import DeviceDisconnected, DeviceTimeout
from devices.transport import Matching, Port
from labctl.event_loop import run_fast

LINES: Matching[str] = Matching(
    end=lambda d: -1 if (i := d.find(b"\r\n")) < 0 else i + 2,
    key=lambda frame: frame.split()[0].decode() if frame.split() else None,
    fences=[("F", b"F\r\n")],
    aside=lambda frame: frame.startswith(b"^"),
)

Link = tuple[Port, asyncio.StreamReader, asyncio.StreamWriter]


@contextlib.asynccontextmanager
async def _instrument(name: str) -> AsyncIterator[Link]:
    """A port opened on a loopback server, and the server's end of that connection: the test is the instrument."""
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put((reader, writer))

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    host, number = server.sockets[0].getsockname()[:2]
    port = await Port.open(f"socket://{host}:{number}", name=name)
    reader, writer = await connected.get()
    try:
        yield port, reader, writer
    finally:
        await port.close()
        writer.close()
        server.close()


async def test_expect_awaits_a_reply_s_later_line_and_unawaited_lines_are_set_aside() -> None:
    """`Matching.unawaited` takes a line whose key nothing awaits (not the oldest request's reply); the line
    after a reply stays buffered for `expect()`, also when both came in one packet; a later line that comes too
    late is matched to its own `expect()` entry, never to the next request, and sends no fence."""
    aside: list[bytes] = []
    match = dataclasses.replace(LINES, aside=lambda frame: False, unawaited=aside.append)
    async with _instrument("instrument") as (port, reader, writer), port.exchange() as x:
        writer.write(b"X hello\r\n")  # unsolicited, before anything is asked
        await writer.drain()
        ask = asyncio.create_task(x.ask(b"A\r\n", "A", match, 1.0, lambda: 1.0))
        assert await reader.readline() == b"A\r\n"
        writer.write(b"A B\r\nA done\r\n")
        await writer.drain()
        assert await ask == (b"A B\r\n", 1.0)
        assert await x.expect(("A",), match, 1.0) == b"A done\r\n"
        assert aside == [b"X hello\r\n"]
        ask = asyncio.create_task(x.ask(b"B\r\n", "B", match, 1.0, lambda: 2.0))
        assert await reader.readline() == b"B\r\n"
        writer.write(b"B B\r\n")
        await writer.drain()
        await ask
        with contextlib.suppress(DeviceTimeout):
            await x.expect(("Bend",), match, 0.05)  # its later line is late
        assert x.awaiting("Bend")
        ask = asyncio.create_task(x.ask(b"B\r\n", "B", match, 1.0, lambda: 3.0))
        assert await reader.readline() == b"B\r\n"  # no fence: a later line is not in order with replies
        writer.write(b"B B\r\nBend done\r\n")
        await writer.drain()
        assert await ask == (b"B B\r\n", 3.0)
        x.settle(match)
        assert not x.awaiting("Bend")  # the late line was matched to its own entry
        assert aside == [b"X hello\r\n"]


async def _chatter(writer: asyncio.StreamWriter, lines_per_s: float) -> None:
    """An instrument that never answers the request but sends unsolicited event lines without pause."""
    while True:
        writer.write(b"^ event\r\n")
        await writer.drain()
        await asyncio.sleep(1 / lines_per_s)


@pytest.mark.parametrize("lines_per_s", [200.0, 2000.0])
async def test_lines_that_keep_coming_do_not_hold_a_reply_s_deadline_off(lines_per_s: float) -> None:
    loop = asyncio.get_running_loop()
    async with _instrument("chatty") as (port, _, writer):
        chatter = asyncio.create_task(_chatter(writer, lines_per_s))
        try:
            async with port.exchange() as x:
                started = loop.time()
                with pytest.raises(DeviceTimeout) as raised:
                    await x.ask(b"A\r\n", "A", LINES, 0.2, loop.time)
                waited = loop.time() - started
        finally:
            chatter.cancel()
    assert raised.value.device == "chatty"
    assert 0.2 <= waited < 1.0  # the deadline, not the end of the chatter


async def test_a_reply_that_comes_in_pieces_is_put_together_before_its_deadline() -> None:
    async with _instrument("slow") as (port, reader, writer), port.exchange() as x:
        ask = asyncio.create_task(x.ask(b"A\r\n", "A", LINES, 1.0, lambda: 7.0))
        assert await reader.readline() == b"A\r\n"
        for piece in (b"A ", b"4", b"2\r", b"\n"):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        assert await ask == (b"A 42\r\n", 7.0)


@pytest.mark.parametrize(
    "url", ["socket://127.0.0.1", "socket://:4001", "socket://127.0.0.1:notaport", "socket://127.0.0.1:1"]
)
async def test_a_socket_url_that_cannot_be_opened_says_which_and_why(url: str) -> None:
    with pytest.raises(DeviceDisconnected) as raised:
        await Port.open(url, name="chiller")
    assert raised.value.device == "chiller"
    assert url in str(raised.value)


def test_a_port_talks_to_an_instrument_on_the_dry_run_s_event_loop() -> None:
    """`labctl dry-run` runs on uvloop (labctl/event_loop.py): the port's own socket connection works there."""

    async def main() -> tuple[bytes, float]:
        async with _instrument("echo") as (port, reader, writer), port.exchange() as x:
            ask = asyncio.create_task(x.ask(b"A\r\n", "A", LINES, 1.0, lambda: 3.0))
            assert await reader.readline() == b"A\r\n"
            writer.write(b"A 1\r\n")
            return await ask

    assert run_fast(main()) == (b"A 1\r\n", 3.0)
    assert type(asyncio.new_event_loop()).__module__.startswith("asyncio")  # the policy is left as it was
