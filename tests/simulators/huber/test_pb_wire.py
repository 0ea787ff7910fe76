"""The PB line protocol over real sockets and a pty: the manual's examples byte for byte, and framing rules."""

from __future__ import annotations

import asyncio
import os
import select
import tty

import pytest

from simulators.huber.pb import serve_pty
from simulators.huber.thermostat import Thermostat

from .conftest import PbClient, StandInPlant


async def test_write_setpoint_20_00(pb: PbClient) -> None:
    assert await pb.ask(b"{M0007D0\r\n") == b"{S0007D0\r\n"


async def test_write_setpoint_minus_23_15(pb: PbClient) -> None:
    assert await pb.ask(b"{M00F6F5\r\n") == b"{S00F6F5\r\n"


async def test_read_setpoint_minus_0_52(pb: PbClient) -> None:
    assert await pb.ask(b"{M00FFCC\r\n") == b"{S00FFCC\r\n"
    assert await pb.ask(b"{M00****\r\n") == b"{S00FFCC\r\n"


async def test_read_internal_temperature_41_12(pb: PbClient, plant: StandInPlant) -> None:
    plant.internal_c = 41.12
    assert await pb.ask(b"{M01****\r\n") == b"{S011010\r\n"


async def test_read_process_temperature_21_75(pb: PbClient, plant: StandInPlant) -> None:
    plant.process_c = 21.75
    assert await pb.ask(b"{M07****\r\n") == b"{S07087F\r\n"


async def test_process_probe_unplugged_reads_c504(pb: PbClient, plant: StandInPlant) -> None:
    plant.process_c = None
    assert await pb.ask(b"{M07****\r\n") == b"{S07C504\r\n"


async def test_address_not_enabled_reads_7fff(pb: PbClient) -> None:
    assert await pb.ask(b"{M02****\r\n") == b"{S027FFF\r\n"


async def test_write_to_undefined_address_echoes_it_with_7fff(pb: PbClient) -> None:
    assert await pb.ask(b"{MFF1234\r\n") == b"{SFF7FFF\r\n"


async def test_setpoint_beyond_min_replies_the_limited_value(pb: PbClient) -> None:
    assert await pb.ask(b"{M00F254\r\n") == b"{S00F448\r\n"  # −35.00 asked, −30.00 in force
    assert await pb.ask(b"{M00****\r\n") == b"{S00F448\r\n"
    assert await pb.ask(b"{M003A98\r\n") == b"{S003A98\r\n"  # 150.00 = max: kept
    assert await pb.ask(b"{M003A99\r\n") == b"{S003A98\r\n"


async def test_malformed_frame_gets_no_reply_and_the_next_good_one_does(pb: PbClient) -> None:
    await pb.send(b"{M0007d0\r\n")
    with pytest.raises(TimeoutError):
        await pb.reply(within_s=0.3)
    assert await pb.ask(b"{M0007D0\r\n") == b"{S0007D0\r\n"


MALFORMED = [
    b"{M0007D0\n",  # 9 characters
    b"{M0007D00\r\n",  # 11 characters
    b"{m0007D0\r\n",
    b"{M0007d0\r\n",  # lowercase hex value
    b"{Ma107D0\r\n",  # lowercase hex address
    b"{X0007D0\r\n",
    b"[M0007D0\r\n",
    b"{S0007D0\r\n",  # a reply is not a command
    b"{M00**D0\r\n",
    b"{M0007D0\n\r",
    b"{M00 7D0\r\n",
]


async def test_every_malformed_frame_is_ignored(pb: PbClient) -> None:
    await pb.send(b"".join(MALFORMED) + b"{M00****\r\n")
    assert await pb.reply() == b"{S0007D0\r\n"  # the default setpoint, and the first bytes back
    await pb.assert_silent(0.2)


async def test_pause_over_100_ms_inside_a_frame_aborts_it(pb: PbClient) -> None:
    await pb.send(b"{M00")
    await asyncio.sleep(0.15)
    await pb.send(b"0BB8\r\n")
    await pb.assert_silent(0.3)
    assert await pb.ask(b"{M00****\r\n") == b"{S0007D0\r\n"  # the aborted write changed nothing


async def test_short_pause_inside_a_frame_is_fine(pb: PbClient) -> None:
    await pb.send(b"{M00")
    await asyncio.sleep(0.03)
    await pb.send(b"0BB8\r\n")
    assert await pb.reply() == b"{S000BB8\r\n"


async def test_commands_sent_together_are_answered_in_order(pb: PbClient) -> None:
    await pb.send(b"{M0007D0\r\n{M01****\r\n{M02****\r\n")
    replies = [await pb.reply() for _ in range(3)]
    assert replies == [b"{S0007D0\r\n", b"{S011010\r\n", b"{S027FFF\r\n"]


async def test_pty_serves_the_same_protocol(thermostat: Thermostat) -> None:
    server = await serve_pty(thermostat, reply_delay_s=0.0)
    fd = os.open(server.slave_path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)

    def read_reply() -> bytes:
        data = b""
        while len(data) < 10 and select.select([fd], [], [], 1.0)[0]:
            data += os.read(fd, 10 - len(data))
        return data

    try:
        os.write(fd, b"{M07****\r\n")
        assert await asyncio.to_thread(read_reply) == b"{S07087F\r\n"
        os.write(fd, b"{M00F254\r\n")
        assert await asyncio.to_thread(read_reply) == b"{S00F448\r\n"
    finally:
        os.close(fd)
        await server.aclose()
