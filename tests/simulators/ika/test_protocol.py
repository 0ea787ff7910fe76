"""EUROSTAR NAMUR commands on raw bytes: exact replies, silence for everything else, the watchdog, the torque."""

from __future__ import annotations

import pytest

from tests.simulators.ika.conftest import Bench
from tests.simulators.wire import WireClient


async def test_no_greeting_on_connect(client: WireClient) -> None:
    await client.silence()


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"IN_NAME\r\n", b"EUROSTAR 60 control\r\n"),
        (b"IN_PV_3\r\n", b"21.5 3\r\n"),
        (b"IN_PV_4\r\n", b"300.0 4\r\n"),
        (b"IN_PV_5\r\n", b"5.0 5\r\n"),
        (b"IN_SP_4\r\n", b"300.0 4\r\n"),
        (b"IN_SP_5\r\n", b"60.0 5\r\n"),
        (b"IN_SP_6\r\n", b"2000.0 6\r\n"),
        (b"IN_SP_8\r\n", b"100.0 8\r\n"),
        (b"IN_PV_4 \r\n", b"300.0 4\r\n"),  # the manual's "blank CR LF"
        (b"IN_PV_4\n", b"300.0 4\r\n"),
        (b"OUT_WD1@30\r\n", b"30\r\n"),
        (b"OUT_WD2@1500\r\n", b"1500\r\n"),
        (b"OUT_WD2@0\r\n", b"0\r\n"),
    ],
)
async def test_reply_bytes(client: WireClient, command: bytes, reply: bytes) -> None:
    await client.ask(command, reply)
    await client.silence()


@pytest.mark.parametrize(
    "command",
    [
        b"OUT_SP_4 400\r\n",
        b"START_4\r\n",
        b"STOP_4\r\n",
        b"RESET\r\n",
        b"OUT_SP_6 1500\r\n",
        b"OUT_SP_8 120\r\n",
        b"in_pv_4\r\n",  # commands are capitals
        b"IN_PV_9\r\n",
        b"IN_PV_4",  # no terminator yet
        b"HELLO\r\n",
        b"OUT_SP_4\r\n",
        b"OUT_SP_4 fast\r\n",
        b"OUT_WD1@19\r\n",
        b"OUT_WD1@1501\r\n",
        b"OUT_WD1@0\r\n",
        b"OUT_WD3@30\r\n",
        b"IN_PV_\xb4\r\n",
        b"IN_PV_4" + b" " * 80 + b"\r\n",
    ],
)
async def test_silence_for_writes_and_for_anything_malformed(client: WireClient, command: bytes) -> None:
    await client.send(command)
    await client.silence(0.1)


async def test_setpoints_outside_the_range_or_limit_are_ignored_not_clamped(client: WireClient) -> None:
    for command in (b"OUT_SP_4 2500\r\n", b"OUT_SP_4 20\r\n", b"OUT_SP_4 -5\r\n"):
        await client.send(command)
        await client.ask(b"IN_SP_4\r\n", b"300.0 4\r\n")
    await client.send(b"OUT_SP_6 1000\r\n")
    await client.ask(b"IN_SP_6\r\n", b"1000.0 6\r\n")
    await client.send(b"OUT_SP_4 1200\r\n")  # above the speed limit
    await client.ask(b"IN_SP_4\r\n", b"300.0 4\r\n")
    await client.send(b"OUT_SP_4 1000\r\n")
    await client.ask(b"IN_SP_4\r\n", b"1000.0 4\r\n")


async def test_the_speed_ramps_to_a_new_setpoint_and_torque_rises_with_speed(
    client: WireClient, bench: Bench
) -> None:
    await client.send(b"OUT_SP_4 600\r\n")
    await client.ask(b"IN_SP_4\r\n", b"600.0 4\r\n")  # the write has landed before time moves on
    bench.clock.advance(1)
    await client.ask(b"IN_PV_4\r\n", b"450.0 4\r\n")
    await client.ask(b"IN_PV_5\r\n", b"6.5 5\r\n")
    bench.clock.advance(1)
    await client.ask(b"IN_PV_4\r\n", b"600.0 4\r\n")
    await client.ask(b"IN_PV_5\r\n", b"8.0 5\r\n")


async def test_stop_and_start_are_states_so_repeating_them_is_harmless(
    client: WireClient, bench: Bench
) -> None:
    await client.send(b"START_4\r\n")  # already running: nothing changes
    await client.ask(b"IN_SP_4\r\n", b"300.0 4\r\n")
    bench.clock.advance(1)
    await client.ask(b"IN_PV_4\r\n", b"300.0 4\r\n")
    await client.send(b"STOP_4\r\nSTOP_4\r\n")
    await client.ask(b"IN_SP_4\r\n", b"300.0 4\r\n")
    bench.clock.advance(2)
    await client.ask(b"IN_PV_4\r\n", b"0.0 4\r\n")
    await client.ask(b"IN_PV_5\r\n", b"0.0 5\r\n")
    assert bench.world.state.stirring is False
    await client.send(b"START_4\r\n")
    await client.ask(b"IN_SP_4\r\n", b"300.0 4\r\n")
    bench.clock.advance(2)
    await client.ask(b"IN_PV_4\r\n", b"300.0 4\r\n")
    assert bench.world.state.stirring is True


async def test_watchdog_1_expiry_stops_the_motor_and_shows_er_2(client: WireClient, bench: Bench) -> None:
    await client.ask(b"OUT_WD1@30\r\n", b"30\r\n")
    bench.clock.advance(20)
    await client.ask(b"OUT_WD1@30\r\n", b"30\r\n")  # fed by re-sending
    bench.clock.advance(25)
    await client.ask(b"IN_PV_4\r\n", b"300.0 4\r\n")  # other commands do not feed it ...
    bench.clock.advance(6)  # ... 31 s after the last OUT_WD1@30
    bench.unit.update()
    assert bench.unit.error == 2
    assert bench.unit.watchdog_events == [(51.0, 1)]
    bench.clock.advance(3)
    await client.ask(b"IN_PV_4\r\n", b"0.0 4\r\n")
    await client.ask(b"IN_SP_4\r\n", b"300.0 4\r\n")
    assert bench.world.state.stirring is False


async def test_watchdog_2_expiry_falls_to_the_safety_speed(client: WireClient, bench: Bench) -> None:
    await client.send(b"OUT_SP_8 120\r\n")
    await client.ask(b"OUT_WD2@20\r\n", b"20\r\n")
    bench.clock.advance(21)
    await client.ask(b"IN_SP_4\r\n", b"120.0 4\r\n")
    bench.clock.advance(2)
    await client.ask(b"IN_PV_4\r\n", b"120.0 4\r\n")
    assert bench.unit.error is None
    assert bench.world.state.stirring is True


async def test_disarmed_watchdog_never_fires(client: WireClient, bench: Bench) -> None:
    await client.ask(b"OUT_WD1@20\r\n", b"20\r\n")
    await client.ask(b"OUT_WD2@0\r\n", b"0\r\n")
    bench.clock.advance(100)
    await client.ask(b"IN_PV_4\r\n", b"300.0 4\r\n")
    assert bench.unit.watchdog_events == []


async def test_a_jammed_shaft_reads_zero_speed_and_stall_torque(client: WireClient, bench: Bench) -> None:
    bench.world.stop_stirrer()
    await client.ask(b"IN_PV_4\r\n", b"0.0 4\r\n")
    await client.ask(b"IN_PV_5\r\n", b"60.0 5\r\n")
    bench.world.start_stirrer()
    bench.clock.advance(1)
    await client.ask(b"IN_PV_4\r\n", b"150.0 4\r\n")
