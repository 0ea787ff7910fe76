"""The Mettler balance and Quantos doser drivers against the MT-SICS simulator, over TCP and a pseudo-terminal, with
the world's powder plant underneath: the KMnO4 portions of the batch, and every way a dose can go wrong.

The simulator's dose ledger is the outside truth: what physically left the head, whatever the driver believed."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from devices.errors import DeviceDisconnected, DeviceReplyError, DosingFailed, OutcomeUnknown
from devices.roles import Balance, DoorState, Doser, InstrumentIdentity, ToleranceMode
from simulators.mettler import Door
from simulators.world.config import KMNO4_G_PER_MOL
from tests.integration.conftest import QuantosRig, advancing, until

PORTION_G = 4.75


async def prepare_portion(rig: QuantosRig, grams: float = PORTION_G, tolerance_pct: float = 5.0) -> None:
    await rig.doser.set_target(grams)
    await rig.doser.set_tolerance(tolerance_pct, ToleranceMode.SYMMETRIC)


def kmno4_in_reactor_g(rig: QuantosRig) -> float:
    rig.world.advance()
    return rig.world.state.kmno4_dosed_mol * KMNO4_G_PER_MOL


async def test_weighing_tare_and_zero(quantos: QuantosRig) -> None:
    assert isinstance(quantos.balance, Balance)
    assert isinstance(quantos.doser, Doser)
    # The unprompted `I4 A "…"` of the connection is not mistaken for the first reply.
    first = await quantos.balance.immediate_weight()
    assert first.value == pytest.approx(30.0, abs=0.05)  # the funnel on the pan
    assert first.at == quantos.clock.now()
    stray = list(quantos.doser._sics.stray)  # skipped, not taken for an answer (if it had not been flushed)
    assert stray in ([], ['I4 A "B021002593"'])
    stable = await advancing(quantos.clock, quantos.balance.stable_weight())
    assert stable.stable is True
    assert stable.value == pytest.approx(30.0, abs=0.05)
    tare = await advancing(quantos.clock, quantos.balance.tare())
    assert tare.value == pytest.approx(30.0, abs=0.05)
    assert quantos.unit.balance.tare_g == pytest.approx(tare.value, abs=1e-9)
    net = await quantos.balance.immediate_weight()
    assert net.value == pytest.approx(0.0, abs=0.05)
    await advancing(quantos.clock, quantos.balance.zero())
    assert quantos.unit.balance.tare_g == 0.0  # zeroing clears the tare
    zeroed = await advancing(quantos.clock, quantos.balance.stable_weight())
    assert zeroed.value == pytest.approx(0.0, abs=0.05)


async def test_one_portion_is_dosed_recorded_and_lands_in_the_reactor(quantos: QuantosRig) -> None:
    rig, doser = quantos, quantos.doser
    await advancing(rig.clock, rig.balance.tare())
    assert await doser.door_state() is DoorState.CLOSED
    await advancing(rig.clock, doser.set_door(False))  # already closed: the door answers B then A at once
    await advancing(rig.clock, doser.lock_head(True))
    assert rig.unit.quantos.pin_locked
    await doser.set_target(PORTION_G)
    await doser.set_tolerance(2.0, ToleranceMode.OVERDOSE_ONLY)
    q = rig.unit.quantos
    assert (q.target_mg, q.tolerance_pct, q.overdose_only) == (4750.0, 2.0, True)
    await doser.set_tolerance(5.0)
    assert (q.tolerance_pct, q.overdose_only) == (5.0, False)

    before = await doser.remaining_quantity()
    assert before.value == pytest.approx(60.0)
    started = rig.clock.now()
    await advancing(rig.clock, doser.dose(), step_s=0.5)
    assert doser.outcome_unknown is False
    assert 30.0 < rig.clock.now() - started < 60.0  # 5 g at 0.125 g/s: tens of seconds, as the spec says

    [record] = rig.unit.ledger.records()
    assert record.outcome == "complete"
    assert record.dispensed_g is not None
    assert record.dispensed_g == pytest.approx(PORTION_G, rel=0.05)
    result = await doser.last_dose_result()
    assert result.value == pytest.approx(record.dispensed_g, abs=1e-4)  # the doser's own record, in mg to 0.1
    after = await doser.remaining_quantity()
    assert after.value == pytest.approx(60.0 - record.dispensed_g, abs=1e-3)

    # The balance agrees once the powder has landed and the pan has settled; so does the reactor.
    weighed = await advancing(rig.clock, rig.balance.stable_weight())
    assert weighed.stable is True
    assert weighed.value == pytest.approx(record.dispensed_g, abs=0.05)
    assert kmno4_in_reactor_g(rig) == pytest.approx(record.dispensed_g, abs=1e-3)


async def test_ten_portions_make_the_batch(quantos: QuantosRig) -> None:
    rig = quantos
    await prepare_portion(rig)
    results: list[float] = []
    remaining = [(await rig.doser.remaining_quantity()).value]
    for _ in range(10):
        await advancing(rig.clock, rig.doser.dose(), step_s=1.0)
        result = (await rig.doser.last_dose_result()).value
        assert result is not None
        results.append(result)
        remaining.append((await rig.doser.remaining_quantity()).value)
        rig.clock.advance(30)  # the supervisor waits for the exotherm between portions
    records = rig.unit.ledger.records()
    assert [r.outcome for r in records] == ["complete"] * 10
    assert results == pytest.approx([r.dispensed_g for r in records], abs=1e-4)
    assert all(r == pytest.approx(PORTION_G, rel=0.05) for r in results)
    total = rig.unit.ledger.total_dispensed_g()
    assert total == pytest.approx(10 * PORTION_G, rel=0.05)
    assert sum(results) == pytest.approx(total, abs=1e-3)
    assert all(a is not None and b is not None and b < a for a, b in itertools.pairwise(remaining))
    assert remaining[-1] == pytest.approx(60.0 - total, abs=1e-3)
    assert kmno4_in_reactor_g(rig) == pytest.approx(
        total, abs=1e-3
    )  # every gram weighed went into the reactor
    assert 0.0 <= rig.world.unreacted_fraction() < 1.0


async def test_an_empty_head_fails_with_7_and_the_ledger_shows_what_came_out(quantos: QuantosRig) -> None:
    rig = quantos
    rig.world.doser.refill(2.0)  # less powder left than the portion needs
    await prepare_portion(rig)
    with pytest.raises(DosingFailed) as failed:
        await advancing(rig.clock, rig.doser.dose(), step_s=1.0)
    assert failed.value.error_code == 7
    assert rig.doser.outcome_unknown is False  # failed is a known outcome
    [record] = rig.unit.ledger.records()
    assert record.outcome == "I 7"
    assert record.dispensed_g == pytest.approx(2.0)
    assert (await rig.doser.last_dose_result()).value == pytest.approx(2.0)
    assert (await rig.doser.remaining_quantity()).value == pytest.approx(0.0)
    assert kmno4_in_reactor_g(rig) == pytest.approx(2.0, abs=1e-3)


async def test_an_open_door_or_unlocked_head_refuses_the_start_with_5(quantos: QuantosRig) -> None:
    rig = quantos
    await prepare_portion(rig)
    await advancing(rig.clock, rig.doser.set_door(True))
    assert await rig.doser.door_state() is DoorState.OPEN
    with pytest.raises(DosingFailed) as failed:
        await rig.doser.dose()
    assert failed.value.error_code == 5
    await advancing(rig.clock, rig.doser.set_door(False))
    assert await rig.doser.door_state() is DoorState.CLOSED

    await advancing(rig.clock, rig.doser.lock_head(False))
    assert rig.unit.quantos.pin_locked is False
    with pytest.raises(DosingFailed) as unlocked:
        await rig.doser.dose()
    assert unlocked.value.error_code == 5
    assert rig.unit.ledger.records() == []  # nothing was started, nothing left the head
    await advancing(rig.clock, rig.doser.lock_head(True))
    await advancing(rig.clock, rig.doser.dose())
    assert [r.outcome for r in rig.unit.ledger.records()] == ["complete"]


async def test_a_door_opened_by_hand_is_seen_and_refuses_the_start(quantos: QuantosRig) -> None:
    await prepare_portion(quantos)
    quantos.unit.quantos.force_door(Door.OPEN)
    assert await quantos.doser.door_state() is DoorState.OPEN
    with pytest.raises(DosingFailed) as failed:
        await quantos.doser.dose()
    assert failed.value.error_code == 5


async def test_the_head_dose_limit_refuses_the_start_with_11(quantos: QuantosRig) -> None:
    rig = quantos
    await prepare_portion(rig)
    rig.unit.quantos.set_head_dose_count(rig.unit.quantos.config.head_dose_limit)
    with pytest.raises(DosingFailed) as failed:
        await rig.doser.dose()
    assert failed.value.error_code == 11
    assert rig.unit.ledger.records() == []


async def test_stop_during_a_dose_ends_it_with_8(quantos: QuantosRig) -> None:
    rig = quantos
    await prepare_portion(rig)
    dose = asyncio.create_task(rig.doser.dose())
    await until(rig.clock, lambda: rig.unit.quantos.dosing() and rig.world.doser.dosed_g() > 1.0)
    await rig.doser.stop()  # goes out past the port lock the running dose holds
    with pytest.raises(DosingFailed) as failed:
        async with asyncio.timeout(5):
            await dose
    assert failed.value.error_code == 8
    [record] = rig.unit.ledger.records()
    assert record.outcome == "I 8"
    assert record.dispensed_g is not None
    assert 1.0 < record.dispensed_g < PORTION_G
    assert (await rig.doser.last_dose_result()).value == pytest.approx(record.dispensed_g, abs=1e-4)


async def test_a_stop_while_idle_is_acknowledged(quantos: QuantosRig) -> None:
    await quantos.doser.stop()
    assert quantos.unit.ledger.records() == []


@pytest.mark.parametrize("quantos", ["tcp"], indirect=True)
async def test_a_link_lost_after_the_start_is_outcome_unknown_and_never_resent(quantos: QuantosRig) -> None:
    rig = quantos
    await prepare_portion(rig)
    dose = asyncio.create_task(rig.doser.dose())
    await until(rig.clock, rig.unit.quantos.dosing, step_s=0.0)
    await asyncio.sleep(0.05)  # `QRA 61 1 B` is on the controller's side of the wire
    rig.clock.advance(10)
    rig.faults.disconnect()  # the terminal server drops the connection mid-dose
    with pytest.raises(OutcomeUnknown) as lost:
        async with asyncio.timeout(5):
            await dose
    assert isinstance(lost.value.__cause__, DeviceDisconnected)  # the B had come; the A never will
    assert rig.doser.outcome_unknown is True
    with pytest.raises(OutcomeUnknown):
        await rig.doser.dose()  # refused without a byte on the wire

    # The dose goes on without anyone listening; a fresh connection learns what happened.
    balance, doser = await rig.reconnect()
    with pytest.raises(DeviceReplyError) as running:
        await doser.last_dose_result()
    assert running.value.code == "I"  # still dosing: no result yet
    await until(rig.clock, lambda: not rig.unit.quantos.dosing())
    result = await doser.last_dose_result()
    [record] = rig.unit.ledger.records()  # exactly one dose started: the start was never resent
    assert record.outcome == "complete"
    assert result.value == pytest.approx(record.dispensed_g, abs=1e-4)
    assert result.value == pytest.approx(PORTION_G, rel=0.05)
    weighed = await advancing(rig.clock, balance.stable_weight())
    assert weighed.value == pytest.approx(30.0 + result.value, abs=0.05)  # untared: funnel + this dose


async def test_balance_and_doser_report_the_balances_identity(quantos: QuantosRig) -> None:
    config = quantos.unit.config.balance
    assert (config.model, config.serial) == ("XPE205", "B021002593")
    expected = InstrumentIdentity(model="XPE205", serial="B021002593", firmware=None)
    assert await quantos.balance.identity() == expected
    assert await quantos.doser.identity() == expected
    weight = await quantos.balance.immediate_weight()  # the identification left the port in step
    assert weight.value == pytest.approx(30.0, abs=0.05)
