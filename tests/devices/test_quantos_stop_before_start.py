"""A stop (a trip, an abort) that comes while dose() still waits to send its start (for a fence's answer, or for
the port) withholds the start: `QRA 61 1` never reaches the Quantos and nothing is dosed.  Sent past the port
lock, the stop alone would reach an idle head and the start would follow it, dosing the whole portion while the
run is tripped.  Against the simulator on a real socket and pseudo-terminal; its ledger is what left the head."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from devices.errors import DeviceTimeout, DoseStartWithheld, DosingFailed
from devices.roles import DoseEnd
from tests.devices.held_quantos import HeldQuantos, held_quantos


@pytest.fixture(params=["tcp", "pty"])
async def rig(request: pytest.FixtureRequest) -> AsyncIterator[HeldQuantos]:
    async with held_quantos(request.param) as rig:
        await rig.doser.set_target(0.2)
        await rig.doser.set_tolerance(5.0)
        yield rig


async def _owe_a_reply(rig: HeldQuantos) -> None:
    """A weight read given up on while its reply is held: the next request must send a fence first."""
    sics = rig.doser._sics
    sics.retries, sics.timeout_s = 0, 0.1
    rig.wire.holding = True
    with pytest.raises(DeviceTimeout):
        await rig.balance.immediate_weight()
    sics.timeout_s = 2.0


async def test_a_stop_while_the_start_s_fence_is_unanswered_withholds_the_start(rig: HeldQuantos) -> None:
    await _owe_a_reply(rig)
    dose = asyncio.create_task(rig.doser.dose())
    await rig.wire.received_line("I2")  # the fence
    await rig.doser.stop()
    await rig.wire.received_line("QRA 61 4")
    rig.wire.release()  # the weight, the fence and the stop are answered
    with pytest.raises(DoseStartWithheld) as withheld:
        async with asyncio.timeout(5):
            await dose
    assert withheld.value.outcome is DoseEnd.STOPPED
    assert withheld.value.dispensed_g == 0.0
    assert "QRA 61 1" not in rig.wire.received
    assert rig.wire.received[-3:] == ["SI", "I2", "QRA 61 4"]
    assert rig.unit.ledger.records() == []
    assert not rig.doser.outcome_unknown
    assert "QRA 61 4 A" in rig.doser._sics.stray  # the stop reached an idle head


async def test_a_stop_while_the_dose_waits_for_the_port_withholds_the_start(rig: HeldQuantos) -> None:
    """The port is busy with a read; the dose waits for it, and the stop (not yet past the lock: nothing is
    dosing) waits behind the dose."""
    rig.wire.holding = True
    read = asyncio.create_task(rig.balance.immediate_weight())
    await rig.wire.received_line("SI")
    dose = asyncio.create_task(rig.doser.dose())
    await asyncio.sleep(0.01)
    stop = asyncio.create_task(rig.doser.stop())
    await asyncio.sleep(0.01)
    rig.wire.release()
    async with asyncio.timeout(5):
        await read
    with pytest.raises(DoseStartWithheld):
        async with asyncio.timeout(5):
            await dose
    async with asyncio.timeout(5):
        await stop
    assert "QRA 61 1" not in rig.wire.received
    assert rig.wire.received[-2:] == ["SI", "QRA 61 4"]
    assert rig.unit.ledger.records() == []
    assert not rig.doser.outcome_unknown


async def test_a_withheld_start_leaves_the_next_dose_free(rig: HeldQuantos) -> None:
    """The stop belongs to the dose() call it came during: the next portion's start goes out and doses."""
    await _owe_a_reply(rig)
    dose = asyncio.create_task(rig.doser.dose())
    await rig.wire.received_line("I2")
    await rig.doser.stop()
    await rig.wire.received_line("QRA 61 4")
    rig.wire.release()
    with pytest.raises(DoseStartWithheld):
        async with asyncio.timeout(5):
            await dose
    await rig.advancing(asyncio.create_task(rig.doser.dose()))
    assert rig.wire.received.count("QRA 61 1") == 1
    [record] = rig.unit.ledger.records()
    assert record.outcome == "complete"
    assert record.dispensed_g == pytest.approx(0.2, rel=0.05)


async def test_a_stop_after_the_start_still_ends_the_dose_with_8(rig: HeldQuantos) -> None:
    """Unchanged: once `QRA 61 1` is out, the stop goes past the lock and the dose ends `I 8` with what it
    dispensed so far."""
    dose = asyncio.create_task(rig.doser.dose())
    await rig.wire.received_line("QRA 61 1")
    await rig.until(rig.unit.quantos.dosing)
    await rig.doser.stop()
    with pytest.raises(DosingFailed) as stopped:
        await rig.advancing(dose)
    assert stopped.value.outcome is DoseEnd.STOPPED
    assert stopped.value.error_code == 8
    [record] = rig.unit.ledger.records()
    assert record.outcome == "I 8"
