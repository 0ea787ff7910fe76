"""The port over a real socket: a read its caller gave up on (a cancelled task, an outer deadline) leaves the
port marked, so the late reply is discarded before the next request instead of being read as its answer."""

from __future__ import annotations

import asyncio

from devices.transport import Port


async def test_a_cancelled_read_s_late_reply_is_flushed_before_the_next_request() -> None:
    connected: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put((reader, writer))

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    host, number = server.sockets[0].getsockname()[:2]
    port = await Port.open(f"socket://{host}:{number}", name="instrument")
    reader, writer = await connected.get()
    try:
        async with port.exchange() as x:
            x.send(b"first?\r\n")
            try:
                async with asyncio.timeout(0.05):  # the caller's deadline, well inside the read's own
                    await x.read_until(b"\r\n", timeout_s=5.0)
            except TimeoutError:
                pass
        assert await reader.readline() == b"first?\r\n"

        async def answer_late() -> None:
            await asyncio.sleep(0.1)
            writer.write(b"answer to first\r\n")  # late: nobody is reading any more
            await writer.drain()

        async with port.exchange() as x, asyncio.TaskGroup() as tasks:
            tasks.create_task(answer_late())
            stale = await x.flush_stale(quiet_s=0.3)
            x.send(b"second?\r\n")
            assert await reader.readline() == b"second?\r\n"
            writer.write(b"answer to second\r\n")
            await writer.drain()
            assert await x.read_until(b"\r\n", timeout_s=1.0) == b"answer to second\r\n"
        assert stale == b"answer to first\r\n"
    finally:
        await port.close()
        writer.close()
        server.close()
        await server.wait_closed()
