"""The unit's own logic as a host sees it over the PB wire: status bits, restart bit, E-grade, watchdogs,
alarms, ramps and fault latching."""

from __future__ import annotations

import asyncio

import pytest

from simulators.clock import ManualClock
from simulators.huber.pb import serve_tcp
from simulators.huber.registers import EGrade
from simulators.huber.thermostat import Thermostat
from simulators.plant import ThermostatFault

from .conftest import PbClient, StandInPlant


async def test_status_bits_are_lsb_first(pb: PbClient, plant: StandInPlant) -> None:
    # idle: cooling available (5) and no restart since last read (14)
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4020\r\n"
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    # + control active (0), circulation (1), pump on (4)
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4033\r\n"
    plant.compressor = True
    assert await pb.ask(b"{M130001\r\n") == b"{S130001\r\n"
    # + compressor (2), process mode (3)
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A403F\r\n"
    assert plant.control == (20.0, True, True, True)


async def test_circulation_only(pb: PbClient, plant: StandInPlant) -> None:
    assert await pb.ask(b"{M160001\r\n") == b"{S160001\r\n"
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4032\r\n"
    assert await pb.ask(b"{M14****\r\n") == b"{S140000\r\n"
    assert plant.control == (20.0, False, False, True)


async def test_restart_bit_is_zero_once_after_a_power_failure(
    pb: PbClient, plant: StandInPlant, clock: ManualClock
) -> None:
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    clock.advance(5)
    plant.lose_power()
    await pb.send(b"{M0A****\r\n")
    await pb.assert_silent(0.3)  # a dead unit answers nothing
    clock.advance(5)
    plant.restore_power()
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A0020\r\n"  # restarted, control off, bit 14 = 0
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4020\r\n"
    assert await pb.ask(b"{M00****\r\n") == b"{S0007D0\r\n"  # the setpoint survived


@pytest.mark.parametrize(
    ("grade", "frame", "reply"),
    [
        (EGrade.BASIC, b"{M13****\r\n", b"{S137FFF\r\n"),
        (EGrade.BASIC, b"{M5A0BB8\r\n", b"{S5A7FFF\r\n"),
        (EGrade.BASIC, b"{M41****\r\n", b"{S417FFF\r\n"),
        (EGrade.BASIC, b"{M40****\r\n", b"{S400000\r\n"),
        (EGrade.EXCLUSIVE, b"{M13****\r\n", b"{S130000\r\n"),
        (EGrade.EXCLUSIVE, b"{M420000\r\n", b"{S427FFF\r\n"),
        (EGrade.PROFESSIONAL, b"{M42FC18\r\n", b"{S42FC18\r\n"),
        (EGrade.EXPLORE, b"{M02****\r\n", b"{S027FFF\r\n"),
    ],
)
async def test_e_grade_gates_addresses(
    plant: StandInPlant, clock: ManualClock, grade: EGrade, frame: bytes, reply: bytes
) -> None:
    server = await serve_tcp(Thermostat(plant, clock, grade=grade), reply_delay_s=0.0)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        assert await PbClient(reader, writer).ask(frame) == reply
    finally:
        writer.close()
        await server.aclose()


async def test_serial_number_words(pb: PbClient) -> None:
    assert await pb.ask(b"{M1B****\r\n") == b"{S1BE240\r\n"
    assert await pb.ask(b"{M1C****\r\n") == b"{S1C0001\r\n"


async def test_read_only_address_ignores_a_write(pb: PbClient) -> None:
    assert await pb.ask(b"{M010000\r\n") == b"{S011010\r\n"


async def test_watchdog_expiry_raises_error_and_stops(
    pb: PbClient, plant: StandInPlant, clock: ManualClock
) -> None:
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    assert await pb.ask(b"{M40000A\r\n") == b"{S40000A\r\n"
    clock.advance(9.9)
    assert await pb.ask(b"{M05****\r\n") == b"{S050000\r\n"
    assert await pb.ask(b"{M40000A\r\n") == b"{S40000A\r\n"  # rewritten in time: re-armed
    clock.advance(9.9)
    assert await pb.ask(b"{M05****\r\n") == b"{S050000\r\n"
    clock.advance(0.1)
    assert await pb.ask(b"{M05****\r\n") == b"{S05FDA8\r\n"  # −600
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4120\r\n"  # error (8), nothing running
    assert plant.control == (20.0, False, False, False)
    assert await pb.ask(b"{M140001\r\n") == b"{S140000\r\n"  # refused while latched
    assert await pb.ask(b"{M050001\r\n") == b"{S050000\r\n"
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"


async def test_watchdog_limited_to_150_s(pb: PbClient) -> None:
    assert await pb.ask(b"{M4000C8\r\n") == b"{S400096\r\n"


async def test_watchdog2_switches_to_the_safe_setpoint(
    pb: PbClient, plant: StandInPlant, clock: ManualClock
) -> None:
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    assert await pb.ask(b"{M42FC18\r\n") == b"{S42FC18\r\n"  # −10.00 °C
    assert await pb.ask(b"{M410005\r\n") == b"{S410005\r\n"
    clock.advance(5)
    assert await pb.ask(b"{M00****\r\n") == b"{S00FC18\r\n"
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4233\r\n"  # still running, new warning (9)
    assert await pb.ask(b"{M06****\r\n") == b"{S06FDA7\r\n"  # −601
    assert await pb.ask(b"{M0A****\r\n") == b"{S0A4033\r\n"  # read: no longer new
    assert await pb.ask(b"{M060001\r\n") == b"{S060000\r\n"
    assert plant.control == (-10.0, False, True, True)


async def test_internal_alarm_limit_raises_a_fault(pb: PbClient, plant: StandInPlant) -> None:
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    assert await pb.ask(b"{M510FA0\r\n") == b"{S510FA0\r\n"  # 40.00 °C, below 41.12
    assert await pb.ask(b"{M05****\r\n") == b"{S05FEAB\r\n"  # −341
    assert await pb.ask(b"{M050001\r\n") == b"{S05FEAB\r\n"  # cause persists: latches again
    plant.internal_c = 39.0
    assert await pb.ask(b"{M050001\r\n") == b"{S050000\r\n"


async def test_process_alarm_low(pb: PbClient, plant: StandInPlant) -> None:
    plant.process_c = -5.0
    assert await pb.ask(b"{M54FC18\r\n") == b"{S54FC18\r\n"  # −10.00 °C
    plant.process_c = -10.01
    assert await pb.ask(b"{M05****\r\n") == b"{S05FEA8\r\n"  # −344


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (ThermostatFault.COMPRESSOR, b"{S05FEB5\r\n", b"{S0A4100\r\n"),  # −331, cooling not available
        (ThermostatFault.CIRCULATION, b"{S05FEB8\r\n", b"{S0A4120\r\n"),  # −328
    ],
)
async def test_plant_faults_become_errors(
    pb: PbClient, plant: StandInPlant, fault: ThermostatFault, error: bytes, status: bytes
) -> None:
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    plant.fault_set.add(fault)
    assert await pb.ask(b"{M05****\r\n") == error
    assert await pb.ask(b"{M0A****\r\n") == status
    assert plant.control == (20.0, False, False, False)


async def test_ramp_moves_the_setpoint_linearly(pb: PbClient, clock: ManualClock) -> None:
    assert await pb.ask(b"{M590064\r\n") == b"{S590064\r\n"  # 100 s
    assert await pb.ask(b"{M5A0BB8\r\n") == b"{S5A0BB8\r\n"  # to 30.00 °C
    clock.advance(50)
    assert await pb.ask(b"{M00****\r\n") == b"{S0009C4\r\n"  # 25.00 °C
    clock.advance(50)
    assert await pb.ask(b"{M00****\r\n") == b"{S000BB8\r\n"


async def test_ramp_end_is_limited(pb: PbClient) -> None:
    assert await pb.ask(b"{M5AF254\r\n") == b"{S5AF448\r\n"
    assert await pb.ask(b"{M00****\r\n") == b"{S00F448\r\n"  # no duration: immediate


async def test_narrowing_limits_relimits_the_setpoint(pb: PbClient) -> None:
    assert await pb.ask(b"{M3103E8\r\n") == b"{S3103E8\r\n"  # max 10.00 °C
    assert await pb.ask(b"{M00****\r\n") == b"{S0003E8\r\n"
    assert await pb.ask(b"{M30FFFF\r\n") == b"{S30FFFF\r\n"
    assert await pb.ask(b"{M300BB8\r\n") == b"{S3003E8\r\n"  # min cannot pass max


async def test_process_mode_refused_without_probe(pb: PbClient, plant: StandInPlant) -> None:
    plant.process_c = None
    assert await pb.ask(b"{M130001\r\n") == b"{S130000\r\n"


async def test_losing_the_probe_in_process_mode_is_an_error(pb: PbClient, plant: StandInPlant) -> None:
    assert await pb.ask(b"{M130001\r\n") == b"{S130001\r\n"
    assert await pb.ask(b"{M140001\r\n") == b"{S140001\r\n"
    plant.process_c = None
    assert await pb.ask(b"{M05****\r\n") == b"{S05FEA2\r\n"  # −350
