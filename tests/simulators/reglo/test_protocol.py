"""Reglo ICC commands over a real socket: one-byte statuses, CRLF data lines, events interleaved."""

from __future__ import annotations

import json

import pytest

from simulators.clock import ManualClock
from simulators.reglo import RegloICC, serve_reglo_pty
from tests.simulators.reglo.conftest import Rig, StandInPumpPlant
from tests.simulators.wire import WireClient, pty_client

QUENCH = [
    (b"1~1\r", b"*"),
    (b"1O\r", b"*"),
    (b"1+0279\r", b"*"),
    (b"1f2000+1\r", b"2000E+1\r\n"),
    (b"1v5000+1\r", b"5000E+1\r\n"),
    (b"1J\r", b"*"),
]


async def set_up_quench(client: WireClient) -> None:
    for command, reply in QUENCH:
        await client.ask(command, reply)


async def test_no_greeting_on_connect(client: WireClient) -> None:
    await client.silence()


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (b"1~1\r", b"*"),
        (b"1#\r", b"REGLO ICC 0208 306\r\n"),
        (b"1O\r", b"*"),
        (b"1M\r", b"*"),
        (b"1L\r", b"*"),
        (b"1+0279\r", b"*"),
        (b"1+\r", b"2.79 mm\r\n"),
        (b"1f2000+1\r", b"2000E+1\r\n"),
        (b"1f\r", b"1000E+1\r\n"),
        (b"1v5000+1\r", b"5000E+1\r\n"),
        (b"1v\r", b"1000E+1\r\n"),
        (b"1J\r", b"*"),
        (b"1K\r", b"*"),
        (b"1E\r", b"-"),
        (b"1I\r", b"*"),
        (b"1:\r", b"0.00 ml\r\n"),
        (b"1?\r", b"31.00 ml/min\r\n"),
        (b"1xE1\r", b"*"),
        (b"1xE0\r", b"*"),
        (b"1xe\r", b"#"),
        (b"1Q\r", b"#"),
        (b"H\r", b"#"),
        (b"1f20+1\r", b"#"),
        (b"1+0500\r", b"#"),
        (b"1+279\r", b"#"),
        (b"1xE2\r", b"#"),
        (b"1O5\r", b"#"),
        (b"1\xff\r", b"#"),
    ],
)
async def test_reply_bytes(client: WireClient, command: bytes, reply: bytes) -> None:
    await client.ask(command, reply)
    await client.silence()


async def test_settings_read_back(client: WireClient) -> None:
    await set_up_quench(client)
    await client.ask(b"1f\r", b"2000E+1\r\n")
    await client.ask(b"1+0206\r", b"*")
    await client.ask(b"1+\r", b"2.06 mm\r\n")
    await client.ask(b"1?\r", b"20.00 ml/min\r\n")


async def test_other_pump_on_the_chain_gets_no_reply(client: WireClient) -> None:
    await client.send(b"2H\r")
    await client.silence()
    await client.ask(b"1~1\r", b"*")
    await client.ask(b"5H\r", b"#")


async def test_start_is_exactly_one_byte_and_runs_to_completion(client: WireClient, rig: Rig) -> None:
    await set_up_quench(client)
    await client.ask(b"1H\r", b"*")
    await client.silence()
    await client.ask(b"1E\r", b"+")
    rig.clock.advance(75.0)
    await client.ask(b"1:\r", b"25.00 ml\r\n")
    rig.clock.advance(75.0)
    await client.ask(b"1E\r", b"-")
    await client.ask(b"1:\r", b"50.00 ml\r\n")
    assert rig.plant.runs == [(20.0, 50.0)]
    [record] = rig.pump.ledger.records()
    assert (record.channel, record.mode, record.flow_ml_min, record.target_ml) == (1, "O", 20.0, 50.0)
    assert (record.started_at_s, record.ended_at_s, record.cause) == (0.0, 150.0, "complete")
    assert (record.commanded_ml, record.delivered_ml) == pytest.approx((50.0, 50.0))


async def test_flow_above_tubing_limit_refuses_start(client: WireClient, rig: Rig) -> None:
    await set_up_quench(client)
    await client.ask(b"1+0206\r", b"*")
    await client.ask(b"1f2500+1\r", b"2500E+1\r\n")
    await client.ask(b"1H\r", b"-")
    await client.ask(b"1xe\r", b"R 2000E+1\r\n")
    await client.ask(b"1E\r", b"-")
    assert rig.plant.runs == []
    assert rig.pump.ledger.records() == []


async def test_flow_rate_mode_runs_until_stopped(client: WireClient, rig: Rig) -> None:
    await set_up_quench(client)
    await client.ask(b"1M\r", b"*")
    await client.ask(b"1xE1\r", b"*")
    await client.ask(b"1H\r", b"*")
    await client.silence()
    rig.clock.advance(0.5)
    await client.silence()
    rig.clock.advance(299.5)
    await client.expect(b"^U1|2000E+1|J|1000E+2\r\n")
    await client.ask(b"1I\r", b"*")
    rig.clock.advance(5.0)
    await client.silence()
    [record] = rig.pump.ledger.records()
    assert (record.target_ml, record.cause) == (None, "host stop")
    assert record.commanded_ml == pytest.approx(100.0)


async def test_events_status_each_second_and_completion(client: WireClient, rig: Rig) -> None:
    await set_up_quench(client)
    await client.ask(b"1K\r", b"*")
    await client.ask(b"1xE1\r", b"*")
    await client.ask(b"1H\r", b"*")
    await client.silence()
    rig.clock.advance(1.0)
    await client.expect(b"^U1|2000E+1|K|3333E-1\r\n")
    rig.clock.advance(1.0)
    await client.expect(b"^U1|2000E+1|K|6667E-1\r\n")
    await client.silence()
    rig.clock.advance(148.0)
    await client.expect(b"^X1|5000E+1|A\r\n")
    await client.silence()


async def test_event_may_arrive_before_a_status_byte(client: WireClient, rig: Rig) -> None:
    await set_up_quench(client)
    await client.ask(b"1xE1\r", b"*")
    await client.ask(b"1H\r", b"*")
    await client.silence()
    rig.clock.advance(1.0)
    await client.send(b"1E\r")
    await client.expect(b"^U1|2000E+1|J|3333E-1\r\n+")


async def test_no_events_when_off(client: WireClient, rig: Rig) -> None:
    await set_up_quench(client)
    await client.ask(b"1H\r", b"*")
    rig.clock.advance(150.0)
    await client.silence()
    await client.ask(b"1E\r", b"-")


async def test_occlusion_stops_with_cause_3(client: WireClient, rig: Rig) -> None:
    rig.plant.occlude_at_ml = 10.0
    await set_up_quench(client)
    await client.ask(b"1xE1\r", b"*")
    await client.ask(b"1H\r", b"*")
    await client.silence()
    rig.clock.advance(30.0)
    await client.expect(b"^X1|1000E+1|3\r\n")
    [record] = rig.pump.ledger.records()
    assert record.cause == "occlusion"
    assert record.commanded_ml == pytest.approx(10.0)


async def test_empty_reservoir_is_silent_but_in_the_ledger(client: WireClient, rig: Rig) -> None:
    rig.plant.delivery = 0.0
    await set_up_quench(client)
    await client.ask(b"1xE1\r", b"*")
    await client.ask(b"1H\r", b"*")
    await client.silence()
    rig.clock.advance(150.0)
    await client.expect(b"^X1|5000E+1|A\r\n")
    await client.ask(b"1:\r", b"50.00 ml\r\n")
    dumped = json.loads(rig.pump.ledger.dump_json())
    assert [(d["cause"], d["commanded_ml"], d["delivered_ml"]) for d in dumped] == [
        ("complete", pytest.approx(50.0), 0.0)
    ]


async def test_pty_serves_the_pump(clock: ManualClock, plant: StandInPumpPlant) -> None:
    server = await serve_reglo_pty(RegloICC(plant, clock))
    try:
        client = await pty_client(server.slave_path)
        await client.ask(b"1#\r", b"REGLO ICC 0208 306\r\n")
        await client.ask(b"1H\r", b"*")
        await client.silence()
        await client.close()
    finally:
        await server.aclose()


async def test_wire_faults_hit_one_byte_statuses(client: WireClient, rig: Rig) -> None:
    rig.faults.garble_next(1)
    await client.ask(b"1I\r", b"j")
    rig.faults.drop_next(1)
    await client.send(b"1I\r")
    await client.silence()
    await client.ask(b"1I\r", b"*")
