"""Every named fault of the simulated rig does what its name says: the vocabulary that tests, fault schedules
and `labctl sim faults` share is checked against what an instrument (or the physics) then shows."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from simulators.clock import ManualClock
from simulators.mettler.quantos import Fail
from simulators.rig import SimulatedRig

STATUS, PROCESS_T, ERROR = 0x0A, 0x07, 0x05


def rig() -> SimulatedRig:
    return SimulatedRig(ManualClock(), seed=3)


def running(r: SimulatedRig) -> SimulatedRig:
    """Circulating and regulating, as during a batch."""
    r.thermostat.write(0x16, 1)
    r.thermostat.write(0x14, 1)
    return r


def error_after(r: SimulatedRig, fault: str) -> int | None:
    running(r)
    r.inject(fault)
    r.clock.advance(5)  # type: ignore[attr-defined]
    r.tick()
    return r.thermostat.read(ERROR)


def test_compressor_and_circulation_failures_are_unit_errors() -> None:
    assert error_after(rig(), "chiller.compressor-failure") == -331
    assert error_after(rig(), "chiller.circulation-stop") == -328


def test_power_off_silences_the_unit_and_power_on_brings_it_back_idle() -> None:
    r = running(rig())
    r.clock.advance(60)  # type: ignore[attr-defined]
    r.inject("chiller.power-off")
    assert r.thermostat.read(STATUS) is None
    r.clock.advance(10)  # type: ignore[attr-defined]
    r.inject("chiller.power-on")
    status = r.thermostat.read(STATUS)
    assert status is not None
    assert status & 1 == 0  # temperature control is off after a power failure
    assert status & (1 << 14) == 0


def test_probe_unplugged_reads_c504_and_plugged_reads_a_temperature() -> None:
    r = rig()
    r.inject("chiller.probe-unplugged")
    assert r.thermostat.read(PROCESS_T) == -15100  # C504: the manual's "sensor missing"
    r.inject("chiller.probe-plugged")
    value = r.thermostat.read(PROCESS_T)
    assert value is not None
    assert 1500 < value < 2500  # about 20 °C


def test_stirrer_stop_jams_the_shaft_at_once_and_start_lets_it_ramp_back() -> None:
    r = rig()
    assert (r.world.stirrer.speed_rpm(), r.world.state.stirring) == (300.0, True)
    r.inject("stirrer.stop")
    assert r.world.state.stirring is False
    assert r.world.stirrer.speed_rpm() == 0.0
    assert r.world.stirrer.torque_ncm() == 60.0  # the motor strains at its stall torque
    r.inject("stirrer.start")
    r.clock.advance(1)  # type: ignore[attr-defined]
    r.tick()
    assert (r.world.stirrer.speed_rpm(), r.world.state.stirring) == (150.0, True)
    r.clock.advance(1)  # type: ignore[attr-defined]
    assert r.world.stirrer.speed_rpm() == 300.0


async def test_stirrer_link_silent_restored_garbled_and_the_unit_reports_a_jam() -> None:
    r = rig()
    endpoints = await r.serve()
    try:
        assert await ask(endpoints.stirrer, b"IN_PV_4\r\n", None) == b"300.0 4\r\n"
        r.inject("stirrer.stop")
        assert await ask(endpoints.stirrer, b"IN_PV_4\r\n", None) == b"0.0 4\r\n"
        r.inject("stirrer.link-silent")
        with pytest.raises(TimeoutError):
            await ask(endpoints.stirrer, b"IN_PV_4\r\n", None, within_s=0.3)
        r.inject("stirrer.link-restored")
        assert await ask(endpoints.stirrer, b"IN_PV_5\r\n", None) == b"60.0 5\r\n"
        r.inject("stirrer.link-garbled")
        garbled = await ask(endpoints.stirrer, b"IN_PV_5\r\n", None)
        assert garbled != b"60.0 5\r\n"
        assert endpoints.urls()["stirrer"] == f"socket://127.0.0.1:{endpoints.stirrer}"
    finally:
        await r.close()


async def test_the_stirrer_is_served_on_a_pty_too() -> None:
    r = rig()
    endpoints = await r.serve(pty=True)
    try:
        assert set(endpoints.ptys) == {"chiller", "balance", "pump", "stirrer"}
    finally:
        await r.close()


def dose(r: SimulatedRig, target_mg: float = 4750.0, run_s: float = 300.0) -> Fail | None:
    r.mettler.quantos.target_mg = target_mg
    refused = r.mettler.quantos.start_dose()
    if refused is None:
        for _ in range(int(run_s)):
            r.clock.advance(1)  # type: ignore[attr-defined]
            r.tick()
    return refused


def last_outcome(r: SimulatedRig) -> tuple[str, float]:
    (record,) = r.mettler.ledger.records()
    return record.outcome, record.dispensed_g or 0.0


def test_doser_faults_refuse_or_fail_the_dose_and_the_ledger_shows_what_left_the_head() -> None:
    assert dose(rig()) is None  # the reference: a healthy dose

    r = rig()
    r.inject("doser.door-open")
    assert dose(r) is Fail.NOT_ALLOWED

    r = rig()
    r.inject("doser.dose-limit")
    assert dose(r) is Fail.DOSE_LIMIT

    r = rig()
    r.inject("doser.empty-head")
    assert dose(r) is None
    outcome, dispensed = last_outcome(r)
    assert (outcome, dispensed) == ("I 7", 0.0)

    r = rig()
    r.inject("doser.powder-flow-error")
    assert dose(r) is None
    outcome, dispensed = last_outcome(r)
    assert outcome == "I 7"
    assert dispensed < 4.75 * 0.9


def pump_run(r: SimulatedRig) -> tuple[str | None, float, float]:
    r.world.pump.run(20.0, 50.0)
    for _ in range(200):
        r.clock.advance(1)  # type: ignore[attr-defined]
        r.tick()
    return r.world.pump.stop_cause(), r.world.pump.commanded_ml(), r.world.pump.delivered_ml()


def test_pump_faults_stop_the_run_or_deliver_nothing() -> None:
    cause, commanded, delivered = pump_run(rig())
    assert cause == "complete"
    assert commanded == pytest.approx(50.0)
    assert delivered == pytest.approx(50.0, rel=0.1)

    r = rig()
    r.inject("pump.occlusion")
    cause, commanded, _ = pump_run(r)
    assert cause == "occlusion"
    assert commanded < 50.0

    r = rig()
    r.inject("pump.reservoir-empty")
    cause, commanded, delivered = pump_run(r)
    assert (cause, delivered) == ("complete", 0.0)
    assert commanded == pytest.approx(50.0)
    r.inject("pump.reservoir-refilled")
    cause, _, delivered = pump_run(r)
    assert cause == "complete"
    assert delivered == pytest.approx(50.0, rel=0.1)

    r = rig()
    r.inject("pump.overheated")
    cause, commanded, _ = pump_run(r)
    assert (cause, commanded) == ("overtemperature", 0.0)
    r.inject("pump.cooled-down")
    assert pump_run(r)[0] == "complete"


async def ask(port: int, request: bytes, reply_len: int | None, within_s: float = 0.5) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        if reply_len is None:
            return await asyncio.wait_for(reader.readline(), within_s)
        return await asyncio.wait_for(reader.readexactly(reply_len), within_s)
    finally:
        writer.close()


async def test_chiller_link_silent_then_restored() -> None:
    r = rig()
    endpoints = await r.serve()
    try:
        assert await ask(endpoints.chiller, b"{M00****\r\n", 10) == b"{S0007D0\r\n"
        r.inject("chiller.link-silent")
        with pytest.raises(TimeoutError):
            await ask(endpoints.chiller, b"{M00****\r\n", 10, within_s=0.3)
        r.inject("chiller.link-restored")
        assert await ask(endpoints.chiller, b"{M00****\r\n", 10) == b"{S0007D0\r\n"
    finally:
        await r.close()


async def test_doser_link_silent_then_restored() -> None:
    r = rig()
    endpoints = await r.serve()
    try:
        assert (await ask(endpoints.balance, b"I4\r\n", None)).startswith(b"I4 A")
        r.inject("doser.link-silent")
        with pytest.raises(TimeoutError):
            await ask(endpoints.balance, b"I4\r\n", None, within_s=0.3)
        r.inject("doser.link-restored")
        assert (await ask(endpoints.balance, b"I4\r\n", None)).startswith(b"I4 A")
    finally:
        await r.close()


async def test_doser_and_pump_links_garble_and_drop() -> None:
    r = rig()
    endpoints = await r.serve()
    try:
        healthy = await ask(endpoints.pump, b"1#\r", None)
        assert healthy == b"REGLO ICC 0208 306\r\n"
        r.inject("pump.link-garbled")
        garbled = await ask(endpoints.pump, b"1#\r", None)
        assert garbled != healthy
        assert len(garbled) == len(healthy)
        r.inject("pump.link-dropped-bytes")
        assert len(await ask(endpoints.pump, b"1#\r", None)) == len(healthy) - 4
    finally:
        await r.close()


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("chiller.link-slow", lambda r: r.chiller_wire.reply_delay_s >= 1.0),
        ("doser.link-slow", lambda r: r.balance_wire.reply_delay_s >= 1.0),
        ("pump.link-slow", lambda r: r.pump_wire.reply_delay_s >= 1.0),
        ("stirrer.link-slow", lambda r: r.stirrer_wire.reply_delay_s >= 1.0),
    ],
)
def test_slow_links_add_seconds_to_every_reply(fault: str, check: Callable[[SimulatedRig], bool]) -> None:
    r = rig()
    r.inject(fault)
    assert check(r)


def test_every_fault_name_is_covered_here() -> None:
    covered = {
        "chiller.compressor-failure", "chiller.circulation-stop", "chiller.power-off", "chiller.power-on",
        "chiller.probe-unplugged", "chiller.probe-plugged", "chiller.link-silent", "chiller.link-restored",
        "chiller.link-slow", "chiller.link-disconnect", "stirrer.stop", "stirrer.start",
        "doser.powder-flow-error", "doser.powder-flow-restored", "doser.empty-head", "doser.dose-limit",
        "doser.door-open", "doser.link-disconnect", "doser.link-garbled", "doser.link-dropped-bytes",
        "doser.link-silent", "doser.link-restored",
        "doser.link-slow", "pump.occlusion", "pump.occlusion-cleared", "pump.reservoir-empty",
        "pump.reservoir-refilled", "pump.overheated", "pump.cooled-down",
        "pump.link-disconnect", "pump.link-garbled", "pump.link-dropped-bytes", "pump.link-slow",
        "stirrer.link-silent", "stirrer.link-restored", "stirrer.link-slow", "stirrer.link-disconnect",
        "stirrer.link-garbled",
    }  # fmt: skip
    assert set(rig().fault_names) == covered


def test_an_unknown_fault_names_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=re.escape("unknown fault 'chiller.melts'; known: chiller.circulation-stop")
    ):
        rig().inject("chiller.melts")
