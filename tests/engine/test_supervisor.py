"""The supervisor's poll against the simulated instruments: what each poll reads, how often, and what a link
that stops answering leaves in the snapshot."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labctl.engine.accumulation import OxidantModel
from labctl.engine.supervisor import SETPOINT_EVERY, Supervisor, reading_record
from labctl.protocol.conditions import Condition, parse_condition
from simulators.clock import ManualClock
from tests.engine.bench import Bench


def supervisor(
    bench: Bench, *, oxidant: OxidantModel | None = None, balance_busy: Callable[[], bool] = lambda: False
) -> Supervisor:
    devices = bench.devices
    return Supervisor(
        devices.chiller,
        bench.clock,
        1.0,
        oxidant,
        balance=devices.balance,
        balance_busy=balance_busy,
        stirrer=devices.stirrer,
    )


async def test_the_first_poll_reads_every_instrument_with_the_time_it_was_read(bench: Bench) -> None:
    assert bench.devices.chiller is not None
    await bench.devices.chiller.set_setpoint(-3.0)
    sup = supervisor(bench)
    snap = await sup.poll()
    now = bench.clock.now()
    assert snap.at == now
    assert snap.tr is not None
    assert snap.tr.at == now
    assert snap.tr_value() == pytest.approx(bench.sim.world.thermostat.process_temperature_c(), abs=0.01)
    assert snap.tj_value() is not None
    assert snap.setpoint == -3.0
    assert snap.status is not None
    assert snap.chiller.online
    assert snap.balance is not None
    assert snap.stir_speed is not None
    assert snap.stir_setpoint is not None
    assert sup.snapshot is snap


async def test_the_setpoint_is_read_back_only_every_tenth_poll(bench: Bench) -> None:
    chiller = bench.devices.chiller
    assert chiller is not None
    sup = supervisor(bench)
    await sup.poll()
    await chiller.set_setpoint(7.5)  # changed at the unit, not through labctl
    for _ in range(SETPOINT_EVERY - 1):
        assert (await sup.poll()).setpoint != 7.5
    assert (await sup.poll()).setpoint == 7.5


async def test_the_balance_is_left_alone_while_a_dose_holds_its_port(bench: Bench) -> None:
    assert (await supervisor(bench, balance_busy=lambda: True).poll()).balance is None
    assert (await supervisor(bench, balance_busy=lambda: False).poll()).balance is not None


async def test_the_mtsr_is_tr_plus_the_rise_of_what_is_unreacted(bench: Bench) -> None:
    model = OxidantModel(heat_capacity_j_k=100.0, enthalpy_j_mol=-200_000.0, tau_0c_s=600.0)
    model.add(0.001)
    snap = await supervisor(bench, oxidant=model).poll()
    tr = snap.tr_value()
    assert tr is not None
    assert snap.mtsr_c == pytest.approx(tr + 2.0, abs=1e-6)
    assert reading_record(snap)["MTSR_C"] == round(tr + 2.0, 2)


async def test_a_chiller_that_stops_answering_is_offline_and_its_readings_go_stale(bench: Bench) -> None:
    sup = supervisor(bench)
    first = await sup.poll()
    bench.sim.inject("chiller.link-silent")
    clock = bench.sim.clock
    assert isinstance(clock, ManualClock)
    clock.advance(5.0)
    snap = await sup.poll()
    assert not snap.chiller.online
    assert snap.chiller.error
    assert snap.tr == first.tr  # the last reading is kept with its old time
    assert snap.tr_stale()
    record = reading_record(snap)
    assert record["Tr_C"] is None
    assert record["Tr_state"] == "stale"
    assert record["chiller_online"] is False


async def test_a_doser_fault_stands_until_the_doser_answers(bench: Bench) -> None:
    sup = supervisor(bench)
    await sup.poll()
    sup.set_doser_fault("the doser holds a dose the journal lost")
    assert sup.snapshot.doser_fault == "the doser holds a dose the journal lost"
    sup.doser_answered()
    assert sup.snapshot.doser_fault is None
    assert sup.snapshot.doser.online


def mtsr_below(celsius: float) -> list[Condition]:
    return [parse_condition(f"MTSR <= {celsius} °C")]


async def test_a_step_period_with_a_condition_holds_only_while_the_condition_does(bench: Bench) -> None:
    model = OxidantModel(heat_capacity_j_k=100.0, enthalpy_j_mol=-200_000.0, tau_0c_s=600.0)
    model.add(0.001)  # 2 K above Tr if it reacted at once
    sup = supervisor(bench, oxidant=model)
    tr = (await sup.poll()).tr_value()
    assert tr is not None
    sup.for_step(5.0, mtsr_below(tr + 1.0))
    assert sup.pace(calm=True) == 1.0
    model.consumed()
    await sup.poll()
    assert sup.pace(calm=True) == 5.0
    assert sup.snapshot.stale_after_s == 10.0
    model.add(0.001)
    await sup.poll()
    assert sup.pace(calm=True) == 1.0
    assert sup.snapshot.stale_after_s == 2.0


async def test_a_condition_that_cannot_be_known_keeps_the_rig_period(bench: Bench) -> None:
    sup = supervisor(bench, oxidant=None)  # no oxidant model: no MTSR at all
    await sup.poll()
    sup.for_step(5.0, mtsr_below(100.0))
    assert sup.snapshot.mtsr_c is None
    assert sup.pace(calm=True) == 1.0
    sup.for_step(5.0, [parse_condition("Tr <= 100 °C"), *mtsr_below(100.0)])
    assert sup.pace(calm=True) == 1.0  # every condition must be known to hold
    sup.for_step(5.0, [parse_condition("Tr <= 100 °C")])
    assert sup.pace(calm=True) == 5.0


async def test_a_step_period_whose_conditions_hold_still_gives_way_to_an_alarm(bench: Bench) -> None:
    sup = supervisor(bench, oxidant=OxidantModel(heat_capacity_j_k=100.0))
    await sup.poll()
    sup.for_step(5.0, mtsr_below(100.0))
    assert sup.pace(calm=True) == 5.0
    assert sup.pace(calm=False) == 1.0
    sup.for_step(5.0)
    assert sup.pace(calm=True) == 5.0  # no condition: the period holds whenever all is calm
    sup.for_step(None, mtsr_below(100.0))
    assert sup.pace(calm=True) == 1.0
