"""Role values in words, vendor codes on the wire: each driver translates both ways, and a vendor code it does not
know never becomes a harmless role value."""

from __future__ import annotations

import pytest

from devices.errors import DosingFailed, ProtocolError
from devices.huber_pb import HuberPB
from devices.ika import IkaEurostar
from devices.mettler import QuantosDoser, open_quantos
from devices.reglo import RegloICC
from devices.roles import ControlMode, DoorState, DoseEnd, DoseResult, PumpMode, ToleranceMode, WatchdogMode
from tests.devices.conftest import MakePeer
from tests.devices.peer import Expect, Send


async def _doser(url: str) -> QuantosDoser:
    _, doser = await open_quantos(url, timeout_s=1.0, dose_timeout_s=120.0)
    return doser


@pytest.mark.parametrize(
    ("code", "state"),
    [(b"2", DoorState.CLOSED), (b"3", DoorState.OPEN), (b"8", DoorState.UNKNOWN), (b"9", DoorState.MOVING)],
)
async def test_quantos_door_codes_become_door_states(
    scripted: MakePeer, code: bytes, state: DoorState
) -> None:
    peer = await scripted(Expect(b"QRD 2 3 7\r\n"), Send(b"QRD 2 3 7 " + code + b" A\r\n"))
    doser = await _doser(peer.url)
    assert await doser.door_state() is state
    await peer.finish()
    await doser.close()


async def test_an_unknown_door_code_is_an_error_not_a_state(scripted: MakePeer) -> None:
    unknown = (Expect(b"QRD 2 3 7\r\n"), Send(b"QRD 2 3 7 5 A\r\n"))
    peer = await scripted(*unknown, *unknown)  # a read: asked once more, as after any garbled reply
    doser = await _doser(peer.url)
    with pytest.raises(ProtocolError, match="unknown door state"):
        await doser.door_state()
    await peer.finish()
    await doser.close()


@pytest.mark.parametrize(
    ("mode", "code"), [(ToleranceMode.SYMMETRIC, b"0"), (ToleranceMode.OVERDOSE_ONLY, b"1")]
)
async def test_tolerance_modes_go_out_as_quantos_codes(
    scripted: MakePeer, mode: ToleranceMode, code: bytes
) -> None:
    peer = await scripted(
        Expect(b"QRD 1 1 6 2\r\n"),
        Send(b"QRD 1 1 6 A\r\n"),
        Expect(b"QRD 1 1 7 " + code + b"\r\n"),
        Send(b"QRD 1 1 7 A\r\n"),
    )
    doser = await _doser(peer.url)
    await doser.set_tolerance(2.0, mode)
    await peer.finish()
    await doser.close()


@pytest.mark.parametrize(
    ("replies", "end", "code"),
    [
        ((b"QRA 61 1 I 5\r\n",), DoseEnd.NOT_STARTED, 5),
        ((b"QRA 61 1 B\r\n", b"QRA 61 1 I 7\r\n"), DoseEnd.FAILED, 7),
        ((b"QRA 61 1 B\r\n", b"QRA 61 1 I 8\r\n"), DoseEnd.STOPPED, 8),
        ((b"QRA 61 1 I 8\r\n",), DoseEnd.STOPPED, 8),
    ],
)
async def test_a_dose_s_i_code_says_how_it_ended(
    scripted: MakePeer, replies: tuple[bytes, ...], end: DoseEnd, code: int
) -> None:
    """Answered at once (no `B`), the start was refused, except `I 8`: the host's stop, which reached the
    Quantos before the start (a stop either way, not a doser fault); after `B`, any other code is a failure."""
    peer = await scripted(Expect(b"QRA 61 1\r\n"), *(Send(r) for r in replies))
    doser = await _doser(peer.url)
    with pytest.raises(DosingFailed) as failed:
        await doser.dose()
    assert failed.value.outcome is end
    assert failed.value.error_code == code
    await peer.finish()
    await doser.close()


def _record(outcome: bytes | None) -> list[Send]:
    lines = [b"<Sample_ID>ab12-3</Sample_ID>", b'<Content Unit="mg">4750.3</Content>']
    if outcome is not None:
        lines.append(b"<Outcome>" + outcome + b"</Outcome>")
    return [Send(b"QRD 2 4 12 B\r\n"), *(Send(line + b"\r\n") for line in lines), Send(b"QRD 2 4 12 A\r\n")]


@pytest.mark.parametrize(
    ("stated", "outcome", "code"),
    [
        (b"complete", DoseEnd.COMPLETED, None),
        (b"I 7", DoseEnd.FAILED, 7),
        (b"I 8", DoseEnd.STOPPED, 8),
        (b"running", DoseEnd.UNKNOWN, None),
        (b"I x", DoseEnd.UNKNOWN, None),
        (b"", DoseEnd.UNKNOWN, None),
        (b"done", DoseEnd.UNKNOWN, None),
        (b"Complete", DoseEnd.UNKNOWN, None),
        (None, DoseEnd.UNKNOWN, None),
    ],
)
async def test_the_dose_record_s_outcome_becomes_a_dose_end(
    scripted: MakePeer, stated: bytes | None, outcome: DoseEnd | None, code: int | None
) -> None:
    """What the doser states is kept as it said it (for the record); an outcome the driver does not know, an
    empty one or none at all is UNKNOWN, never completed."""
    peer = await scripted(Expect(b"QRD 2 4 12\r\n"), *_record(stated))
    doser = await _doser(peer.url)
    last = await doser.last_dose()
    assert isinstance(last, DoseResult)
    assert (last.sample_id, last.outcome, last.code) == ("ab12-3", outcome, code)
    assert last.stated == (None if stated is None else stated.decode())
    assert last.grams == pytest.approx(4.7503)
    await peer.finish()
    await doser.close()


@pytest.mark.parametrize(
    ("mode", "command"),
    [(PumpMode.RPM, b"1L\r"), (PumpMode.FLOW_RATE, b"1M\r"), (PumpMode.VOLUME_AT_RATE, b"1O\r")],
)
async def test_pump_modes_go_out_as_reglo_letters(scripted: MakePeer, mode: PumpMode, command: bytes) -> None:
    peer = await scripted(Expect(command), Send(b"*"))
    pump = await RegloICC.open(peer.url)
    await pump.set_mode(mode)
    await peer.finish()
    await pump.close()


@pytest.mark.parametrize(
    ("mode", "command"),
    [(WatchdogMode.STOP, b"OUT_WD1@30\r\n"), (WatchdogMode.SAFE_SPEED, b"OUT_WD2@30\r\n")],
)
async def test_stirrer_watchdog_modes_go_out_as_ika_numbers(
    scripted: MakePeer, mode: WatchdogMode, command: bytes
) -> None:
    peer = await scripted(Expect(command), Send(b"30\r\n"))
    stirrer = await IkaEurostar.open(peer.url)
    await stirrer.arm_watchdog(30, mode)
    await peer.finish()
    await stirrer.close()


async def test_chiller_control_modes_go_out_and_come_back_as_huber_values(scripted: MakePeer) -> None:
    """The unit may keep another mode than the one asked: what comes back is read, not echoed."""
    peer = await scripted(
        Expect(b"{M130001\r\n"),
        Send(b"{S130001\r\n"),
        Expect(b"{M130000\r\n"),
        Send(b"{S130001\r\n"),
        Expect(b"{M13****\r\n"),
        Send(b"{S130000\r\n"),
    )
    chiller = await HuberPB.open(peer.url)
    assert (await chiller.set_control_mode(ControlMode.PROCESS)).in_force is ControlMode.PROCESS
    kept = await chiller.set_control_mode(ControlMode.INTERNAL)
    assert (kept.requested, kept.in_force) == (ControlMode.INTERNAL, ControlMode.PROCESS)
    assert await chiller.get_control_mode() is ControlMode.INTERNAL
    await peer.finish()
    await chiller.close()


def test_role_values_are_words_not_vendor_codes() -> None:
    assert [m.value for m in ControlMode] == ["internal", "process"]
    assert [m.value for m in DoorState] == ["closed", "open", "moving", "unknown"]
    assert [m.value for m in PumpMode] == ["rpm", "flow-rate", "volume-at-rate"]
    assert [m.value for m in DoseEnd] == ["completed", "stopped", "failed", "not-started", "unknown"]
    assert [m.value for m in ToleranceMode] == ["symmetric", "overdose-only"]
    assert [m.value for m in WatchdogMode] == ["stop", "safe-speed"]
