"""The Quantos dosing subset over a real socket, and the ledger of what physically left the head."""

from __future__ import annotations

import asyncio
import json

import pytest

from simulators.clock import ManualClock
from simulators.mettler import Door, MettlerQuantos
from tests.simulators.mettler.conftest import Rig, StandInDosingPlant
from tests.simulators.wire import WireClient

SETUP = [
    (b"QRD 1 1 5 5000\r\n", b"QRD 1 1 5 A\r\n"),
    (b"QRD 1 1 6 1\r\n", b"QRD 1 1 6 A\r\n"),
    (b"QRD 1 1 7 0\r\n", b"QRD 1 1 7 A\r\n"),
    (b"QRD 1 1 8 S-001\r\n", b"QRD 1 1 8 A\r\n"),
]


async def set_up_dose(client: WireClient) -> None:
    for command, reply in SETUP:
        await client.ask(command, reply)


async def start(client: WireClient) -> None:
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 B\r\n")
    await client.silence()


async def test_spec_example_target(client: WireClient, instrument: MettlerQuantos) -> None:
    await client.ask(b"QRD 1 1 5 4750\r\n", b"QRD 1 1 5 A\r\n")
    assert instrument.quantos.target_mg == 4750.0


@pytest.mark.parametrize(
    "command",
    [
        b"QRD 1 1 5 abc",
        b"QRD 1 1 5 0",
        b"QRD 1 1 5 300000",
        b"QRD 1 1 5",
        b"QRD 1 1 6 0.05",
        b"QRD 1 1 6 41",
        b"QRD 1 1 7 2",
        b"QRD 1 1 8 ABCDEFGHIJKLMNOPQRSTU",
    ],
)
async def test_bad_settings_are_logical_errors(client: WireClient, command: bytes) -> None:
    await client.ask(command + b"\r\n", command[:9] + b" L\r\n")


async def test_full_dose(client: WireClient, rig: Rig) -> None:
    rig.plant.overdose_factor = 1.002
    await set_up_dose(client)
    await client.ask(b"SI\r\n", b"S S     100.00 g\r\n")
    await start(client)
    rig.clock.advance(20.0)
    await client.ask(b"SI\r\n", b"S D     102.00 g\r\n")
    await client.ask(b"QRD 1 1 5 4000\r\n", b"QRD 1 1 5 I\r\n")
    await client.ask(b"QRD 2 4 12\r\n", b"QRD 2 4 12 I\r\n")
    rig.clock.advance(40.0)
    await client.expect(b"QRA 61 1 A\r\n")
    await client.ask(b"SI\r\n", b"S D     105.01 g\r\n")
    rig.clock.advance(1.5)
    await client.ask(b"S\r\n", b"S S     105.01 g\r\n")
    await client.send(b"QRD 2 4 12\r\n")
    await client.expect(
        b"QRD 2 4 12 B\r\n"
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b"<Dose_result>\r\n"
        b"<Sample_ID>S-001</Sample_ID>\r\n"
        b'<Target Unit="mg">5000.0</Target>\r\n'
        b'<Tolerance Unit="%">1</Tolerance>\r\n'
        b'<Content Unit="mg">5010.0</Content>\r\n'
        b"<Outcome>complete</Outcome>\r\n"
        b"</Dose_result>\r\n"
        b"QRD 2 4 12 A\r\n"
    )
    [record] = rig.inst.ledger.records()
    assert (record.index, record.started_at_s, record.target_g, record.sample_id) == (1, 0.0, 5.0, "S-001")
    assert record.ended_at_s == 60.0
    assert record.dispensed_g == pytest.approx(5.01)
    assert record.outcome == "complete"
    assert rig.plant.starts == [5.0]


async def test_head_data(client: WireClient) -> None:
    await client.send(b"QRD 2 4 11\r\n")
    await client.expect(
        b"QRD 2 4 11 B\r\n"
        b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
        b"<Dosing_head>\r\n"
        b"<Head_ID>QH002-CNMW</Head_ID>\r\n"
        b"<Substance>KMnO4</Substance>\r\n"
        b"<Dose_counter>0</Dose_counter>\r\n"
        b"<Dose_limit>999</Dose_limit>\r\n"
        b'<Rem._quantity Unit="mg">50000.0</Rem._quantity>\r\n'
        b"</Dosing_head>\r\n"
        b"QRD 2 4 11 A\r\n"
    )


async def test_stop_ends_the_dose_with_code_8(client: WireClient, rig: Rig) -> None:
    await set_up_dose(client)
    await start(client)
    rig.clock.advance(10.0)
    await client.ask(b"QRA 61 4\r\n", b"QRA 61 4 A\r\nQRA 61 1 I 8\r\n")
    [record] = rig.inst.ledger.records()
    assert record.outcome == "I 8"
    assert record.dispensed_g == pytest.approx(1.0)


async def test_second_start_while_dosing_is_refused(client: WireClient, rig: Rig) -> None:
    await set_up_dose(client)
    await start(client)
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 I 2\r\n")
    assert rig.plant.starts == [5.0]
    assert len(rig.inst.ledger.records()) == 1


async def test_start_without_target_is_not_selected(client: WireClient) -> None:
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 I 4\r\n")


async def test_empty_head_is_a_powder_flow_error(client: WireClient, rig: Rig) -> None:
    rig.plant.head_g = 1.0
    await set_up_dose(client)
    await start(client)
    rig.clock.advance(10.0)
    await client.expect(b"QRA 61 1 I 7\r\n")
    [record] = rig.inst.ledger.records()
    assert record.outcome == "I 7"
    assert record.dispensed_g == pytest.approx(1.0)


async def test_bridged_head_stalls_into_a_powder_flow_error(client: WireClient, rig: Rig) -> None:
    rig.plant.head_g = 1.0
    rig.plant.stall_when_empty = True
    await set_up_dose(client)
    await start(client)
    rig.clock.advance(10.0)
    await client.silence()
    rig.clock.advance(29.0)
    await client.silence()
    rig.clock.advance(1.0)
    await client.expect(b"QRA 61 1 I 7\r\n")
    assert not rig.plant.dose_running()


async def test_dose_timeout(client: WireClient, rig: Rig) -> None:
    rig.inst.quantos.config.dose_timeout_s = 30.0
    await set_up_dose(client)
    await start(client)
    rig.clock.advance(30.0)
    await client.expect(b"QRA 61 1 I 3\r\n")


async def test_dose_limit(client: WireClient, rig: Rig) -> None:
    rig.inst.quantos.set_head_dose_count(999)
    await set_up_dose(client)
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 I 11\r\n")
    assert rig.plant.starts == []
    assert rig.inst.ledger.records() == []


async def test_door_cycle_and_open_door_refuses_dosing(client: WireClient, rig: Rig) -> None:
    await client.ask(b"QRD 2 3 7\r\n", b"QRD 2 3 7 2 A\r\n")
    await client.ask(b"QRA 60 7 3\r\n", b"QRA 60 7 B\r\n")
    await client.ask(b"QRD 2 3 7\r\n", b"QRD 2 3 7 9 A\r\n")
    await client.ask(b"QRA 60 7 2\r\n", b"QRA 60 7 I\r\n")
    rig.clock.advance(3.0)
    await client.expect(b"QRA 60 7 A\r\n")
    await client.ask(b"QRD 2 3 7\r\n", b"QRD 2 3 7 3 A\r\n")
    await set_up_dose(client)
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 I 5\r\n")
    await client.ask(b"QRA 60 7 2\r\n", b"QRA 60 7 B\r\n")
    rig.clock.advance(3.0)
    await client.expect(b"QRA 60 7 A\r\n")
    await client.ask(b"QRA 60 7 2\r\n", b"QRA 60 7 B\r\nQRA 60 7 A\r\n")
    await client.ask(b"QRA 60 7 5\r\n", b"QRA 60 7 L\r\n")
    await start(client)
    assert rig.plant.starts == [5.0]


async def test_door_opened_by_hand(client: WireClient, rig: Rig) -> None:
    rig.inst.quantos.force_door(Door.OPEN)
    await set_up_dose(client)
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 I 5\r\n")


async def test_pin_unlock_and_lock(client: WireClient, rig: Rig) -> None:
    await set_up_dose(client)
    await client.ask(b"QRA 60 2 3\r\n", b"QRA 60 2 B\r\n")
    rig.clock.advance(1.0)
    await client.expect(b"QRA 60 2 A\r\n")
    await client.ask(b"QRA 61 1\r\n", b"QRA 61 1 I 5\r\n")
    await client.ask(b"QRA 60 2 4\r\n", b"QRA 60 2 B\r\n")
    rig.clock.advance(1.0)
    await client.expect(b"QRA 60 2 A\r\n")
    await start(client)


async def test_lost_link_during_dose_never_redoses(rig: Rig) -> None:
    """The final A goes nowhere; the result is still readable after reconnecting, and the ledger has one dose."""
    client = await rig.connect()
    await set_up_dose(client)
    await start(client)
    rig.faults.disconnect()
    assert await asyncio.wait_for(client.reader.read(), 2.0) == b""
    await client.close()
    rig.clock.advance(60.0)
    await asyncio.sleep(0.02)
    client = await rig.connect()
    await client.silence()
    await client.send(b"QRD 2 4 12\r\n")
    lines = [await client.line() for _ in range(10)]
    assert b'<Content Unit="mg">5000.0</Content>\r\n' in lines
    assert lines[-1] == b"QRD 2 4 12 A\r\n"
    await client.close()
    assert len(rig.inst.ledger.records()) == 1


async def test_ledger_dump_is_json(client: WireClient, rig: Rig, clock: ManualClock) -> None:
    await set_up_dose(client)
    await start(client)
    clock.advance(50.0)
    await client.expect(b"QRA 61 1 A\r\n")
    await start(client)
    clock.advance(5.0)
    await client.ask(b"QRA 61 4\r\n", b"QRA 61 4 A\r\nQRA 61 1 I 8\r\n")
    dumped = json.loads(rig.inst.ledger.dump_json())
    assert [(d["index"], d["outcome"], d["started_at_s"], d["ended_at_s"]) for d in dumped] == [
        (1, "complete", 0.0, 50.0),
        (2, "I 8", 50.0, 55.0),
    ]
    assert [d["dispensed_g"] for d in dumped] == [pytest.approx(5.0), pytest.approx(0.5)]
    assert rig.inst.ledger.total_dispensed_g() == pytest.approx(5.5)
    assert isinstance(rig.plant, StandInDosingPlant)
