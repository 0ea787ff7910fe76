"""The port over a real socket: the reply ledger's `expect()` and `Matching.unawaited`."""

from __future__ import annotations

import asyncio
import contextlib

from devices.errors import DeviceTimeout
from devices.transport import Matching, Port


async def test_expect_awaits_a_reply_s_later_line_and_unawaited_lines_are_set_aside() -> None:
    """`Matching.unawaited` takes a line whose key nothing awaits (not the oldest request's reply); the line
    after a reply stays buffered for `expect()`, also when both came in one packet; a later line that comes too
    late is matched to its own `expect()` entry, never to the next request, and sends no fence."""
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put((reader, writer))

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    host, number = server.sockets[0].getsockname()[:2]
    port = await Port.open(f"socket://{host}:{number}", name="instrument")
    reader, writer = await connected.get()
    aside: list[bytes] = []
    match: Matching[str] = Matching(
        end=lambda d: -1 if (i := d.find(b"\r\n")) < 0 else i + 2,
        key=lambda frame: frame.split()[0].decode() if frame.split() else None,
        fences=[("F", b"F\r\n")],
        unawaited=aside.append,
    )
    try:
        async with port.exchange() as x:
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
    finally:
        await port.close()
        writer.close()
        server.close()
