"""Modbus TCP over a raw socket: exact request bytes in, exact response bytes out."""

from __future__ import annotations

import asyncio

from .conftest import PbClient, StandInPlant


async def exchange(client: PbClient, request: str, reply_len: int) -> str:
    await client.send(bytes.fromhex(request))
    reply = await asyncio.wait_for(client.reader.readexactly(reply_len), 1.0)
    return reply.hex(" ").upper()


async def test_manual_example_limited_setpoint_write(mb: PbClient) -> None:
    reply = await exchange(mb, "00 04 00 00 00 06 FF 06 00 00 F2 54", 12)
    assert reply == "00 04 00 00 00 06 FF 06 00 00 F4 48"


async def test_fc03_reads_internal_temperature(mb: PbClient) -> None:
    reply = await exchange(mb, "00 01 00 00 00 06 FF 03 00 01 00 01", 11)
    assert reply == "00 01 00 00 00 05 FF 03 02 10 10"


async def test_fc03_reads_several_registers(mb: PbClient, plant: StandInPlant) -> None:
    plant.process_c = None
    reply = await exchange(mb, "00 02 00 00 00 06 FF 03 00 05 00 03", 15)
    assert reply == "00 02 00 00 00 09 FF 03 06 00 00 00 00 C5 04"  # 05, 06, 07 = C504


async def test_fc03_undefined_pb_address_reads_7fff_as_on_pb(mb: PbClient) -> None:
    reply = await exchange(mb, "00 03 00 00 00 06 FF 03 00 02 00 01", 11)
    assert reply == "00 03 00 00 00 05 FF 03 02 7F FF"


async def test_fc06_to_undefined_pb_address_replies_7fff(mb: PbClient) -> None:
    reply = await exchange(mb, "00 03 00 00 00 06 FF 06 00 02 12 34", 12)
    assert reply == "00 03 00 00 00 06 FF 06 00 02 7F FF"


async def test_register_beyond_the_pb_space_is_exception_02(mb: PbClient) -> None:
    reply = await exchange(mb, "00 05 00 00 00 06 FF 03 01 00 00 01", 9)
    assert reply == "00 05 00 00 00 03 FF 83 02"


async def test_read_crossing_the_end_of_the_pb_space_is_exception_02(mb: PbClient) -> None:
    reply = await exchange(mb, "00 05 00 00 00 06 FF 03 00 FF 00 02", 9)
    assert reply == "00 05 00 00 00 03 FF 83 02"


async def test_other_function_codes_are_exception_01(mb: PbClient) -> None:
    reply = await exchange(mb, "00 06 00 00 00 06 FF 04 00 00 00 01", 9)
    assert reply == "00 06 00 00 00 03 FF 84 01"
    reply = await exchange(mb, "00 07 00 00 00 09 FF 10 00 00 00 01 02 07 D0", 9)
    assert reply == "00 07 00 00 00 03 FF 90 01"


async def test_other_unit_id_is_exception_0b(mb: PbClient) -> None:
    reply = await exchange(mb, "00 08 00 00 00 06 01 03 00 00 00 01", 9)
    assert reply == "00 08 00 00 00 03 01 83 0B"


async def test_both_front_ends_share_one_unit(mb: PbClient, pb: PbClient) -> None:
    reply = await exchange(mb, "00 09 00 00 00 06 FF 06 00 00 09 C4", 12)
    assert reply == "00 09 00 00 00 06 FF 06 00 00 09 C4"
    assert await pb.ask(b"{M00****\r\n") == b"{S0009C4\r\n"
    assert await pb.ask(b"{M000BB8\r\n") == b"{S000BB8\r\n"
    reply = await exchange(mb, "00 0A 00 00 00 06 FF 03 00 00 00 01", 11)
    assert reply == "00 0A 00 00 00 05 FF 03 02 0B B8"


async def test_status_read_via_modbus_consumes_the_restart_bit_once(
    mb: PbClient, plant: StandInPlant
) -> None:
    plant.clock.advance(1)
    plant.lose_power()
    await mb.send(bytes.fromhex("00 0B 00 00 00 06 FF 03 00 0A 00 01"))
    await mb.assert_silent(0.3)
    plant.restore_power()
    reply = await exchange(mb, "00 0C 00 00 00 06 FF 03 00 0A 00 01", 11)
    assert reply == "00 0C 00 00 00 05 FF 03 02 00 20"
    reply = await exchange(mb, "00 0D 00 00 00 06 FF 03 00 0A 00 01", 11)
    assert reply == "00 0D 00 00 00 05 FF 03 02 40 20"
