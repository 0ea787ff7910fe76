"""The balance on a pseudo-terminal, and the wire faults a cable or terminal server adds."""

from __future__ import annotations

import asyncio
import time

from simulators.mettler import MettlerQuantos, serve_mettler_pty
from simulators.serving import WireFaults
from tests.simulators.mettler.conftest import Rig
from tests.simulators.wire import WireClient, pty_client


async def test_pty_serves_the_same_instrument(instrument: MettlerQuantos) -> None:
    server = await serve_mettler_pty(instrument)
    try:
        assert server.slave_path.startswith("/dev/pts/")
        client = await pty_client(server.slave_path)
        await client.expect(b'I4 A "B021002593"\r\n')
        await client.ask(b"QRD 1 1 5 4750\r\n", b"QRD 1 1 5 A\r\n")
        await client.ask(b"SI\r\n", b"S S     100.00 g\r\n")
        await client.close()
        # The line survives the host closing and reopening the port.
        client = await pty_client(server.slave_path)
        await client.ask(b"I4\r\n", b'I4 A "B021002593"\r\n')
        await client.close()
    finally:
        await server.aclose()


async def test_pty_disconnect_restarts_the_session(instrument: MettlerQuantos) -> None:
    faults = WireFaults()
    server = await serve_mettler_pty(instrument, faults)
    try:
        client = await pty_client(server.slave_path)
        await client.expect(b'I4 A "B021002593"\r\n')
        faults.disconnect()
        await client.expect(b'I4 A "B021002593"\r\n')
        await client.close()
    finally:
        await server.aclose()


async def test_garbled_and_dropped_reply_bytes(client: WireClient, rig: Rig) -> None:
    rig.faults.garble_next(2)
    await client.ask(b"I4\r\n", b'\tt A "B021002593"\r\n')
    rig.faults.drop_next(3)
    await client.ask(b"I4\r\n", b'A "B021002593"\r\n')
    await client.ask(b"I4\r\n", b'I4 A "B021002593"\r\n')


async def test_dropped_command_bytes(client: WireClient, rig: Rig) -> None:
    rig.faults.drop_rx_next(1)
    await client.ask(b"XSI\r\n", b"S S     100.00 g\r\n")


async def test_slow_replies(client: WireClient, rig: Rig) -> None:
    rig.faults.reply_delay_s = 0.2
    started = time.monotonic()
    await client.ask(b"I4\r\n", b'I4 A "B021002593"\r\n')
    assert time.monotonic() - started >= 0.2


async def test_disconnect_closes_the_socket(client: WireClient, rig: Rig) -> None:
    rig.faults.disconnect()
    assert await asyncio.wait_for(client.reader.read(), 2.0) == b""
