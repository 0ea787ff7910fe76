"""Wire fault injection on both front ends: what a driver must survive."""

from __future__ import annotations

import asyncio

import pytest

from simulators.huber.modbus import HuberModbusServer
from simulators.huber.pb import serve_tcp
from simulators.huber.thermostat import Thermostat
from simulators.serving import TcpServer, drop_bytes, garble

from .conftest import PbClient

READ_SETPOINT = bytes.fromhex("00 01 00 00 00 06 FF 03 00 00 00 01")


async def test_pb_garbled_reply(pb: PbClient, pb_server: TcpServer) -> None:
    pb_server.faults.mangle = garble(4)
    assert await pb.ask(b"{M0007D0\r\n") == b"{S0017D0\r\n"
    pb_server.faults.mangle = None
    assert await pb.ask(b"{M0007D0\r\n") == b"{S0007D0\r\n"


async def test_pb_dropped_bytes(pb: PbClient, pb_server: TcpServer) -> None:
    pb_server.faults.mangle = drop_bytes(8, 2)
    await pb.send(b"{M00****\r\n")
    assert await asyncio.wait_for(pb.reader.readexactly(8), 1.0) == b"{S0007D0"
    await pb.assert_silent(0.2)


async def test_pb_slow_reply(pb: PbClient, pb_server: TcpServer) -> None:
    pb_server.faults.reply_delay_s = 0.4
    await pb.send(b"{M00****\r\n")
    reading = asyncio.ensure_future(pb.reader.readexactly(10))
    done, _ = await asyncio.wait({reading}, timeout=0.2)
    assert not done
    assert await asyncio.wait_for(reading, 1.0) == b"{S0007D0\r\n"


async def test_pb_default_reply_delay(thermostat: Thermostat) -> None:
    server = await serve_tcp(thermostat)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    loop = asyncio.get_running_loop()
    try:
        start = loop.time()
        assert await PbClient(reader, writer).ask(b"{M00****\r\n") == b"{S0007D0\r\n"
        assert loop.time() - start >= 0.02
    finally:
        writer.close()
        await server.aclose()


async def test_pb_hung_unit_neither_answers_nor_acts(pb: PbClient, pb_server: TcpServer) -> None:
    pb_server.faults.silent = True
    await pb.send(b"{M000BB8\r\n")
    await pb.assert_silent(0.3)
    pb_server.faults.silent = False
    assert await pb.ask(b"{M00****\r\n") == b"{S0007D0\r\n"


async def test_pb_dropped_connection_and_reconnect(pb: PbClient, pb_server: TcpServer) -> None:
    pb_server.faults.disconnect()
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await pb.reply()
    reader, writer = await asyncio.open_connection(pb_server.host, pb_server.port)
    try:
        assert await PbClient(reader, writer).ask(b"{M00****\r\n") == b"{S0007D0\r\n"
    finally:
        writer.close()


async def test_modbus_garbled_and_dropped_reply(mb: PbClient, modbus_server: HuberModbusServer) -> None:
    modbus_server.faults.mangle = garble(10, 0xFF)
    await mb.send(READ_SETPOINT)
    reply = await asyncio.wait_for(mb.reader.readexactly(11), 1.0)
    assert reply.hex(" ").upper() == "00 01 00 00 00 05 FF 03 02 07 2F"
    modbus_server.faults.mangle = drop_bytes(9, 2)
    await mb.send(READ_SETPOINT)
    reply = await asyncio.wait_for(mb.reader.readexactly(9), 1.0)
    assert reply.hex(" ").upper() == "00 01 00 00 00 05 FF 03 02"
    await mb.assert_silent(0.2)


async def test_modbus_silent_and_slow(mb: PbClient, modbus_server: HuberModbusServer) -> None:
    modbus_server.faults.silent = True
    await mb.send(bytes.fromhex("00 02 00 00 00 06 FF 06 00 00 0B B8"))
    await mb.assert_silent(0.3)
    modbus_server.faults.silent = False
    modbus_server.faults.reply_delay_s = 0.3
    await mb.send(READ_SETPOINT)
    reading = asyncio.ensure_future(mb.reader.readexactly(11))
    done, _ = await asyncio.wait({reading}, timeout=0.15)
    assert not done
    reply = await asyncio.wait_for(reading, 1.0)
    assert reply.hex(" ").upper() == "00 01 00 00 00 05 FF 03 02 07 D0"  # the hung write never happened


async def test_modbus_dropped_connection_and_reconnect(
    mb: PbClient, modbus_server: HuberModbusServer
) -> None:
    modbus_server.faults.disconnect()
    assert await asyncio.wait_for(mb.reader.read(1), 1.0) == b""
    reader, writer = await asyncio.open_connection(modbus_server.host, modbus_server.port)
    try:
        writer.write(READ_SETPOINT)
        reply = await asyncio.wait_for(reader.readexactly(11), 1.0)
        assert reply.hex(" ").upper() == "00 01 00 00 00 05 FF 03 02 07 D0"
    finally:
        writer.close()
