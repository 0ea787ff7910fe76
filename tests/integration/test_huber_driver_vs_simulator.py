"""The Huber drivers against the Huber simulator over PB/TCP, PB on a pseudo-terminal and Modbus TCP, with the
physics world underneath: every Chiller call the engine will use, and the faults it must survive."""

from __future__ import annotations

import pytest

from devices.errors import DeviceTimeout, NotSupported
from devices.huber_pb import HuberPB
from devices.roles import ControlMode, InstrumentIdentity, Sensor
from simulators.clock import ManualClock
from simulators.huber.pb import serve_tcp
from simulators.huber.registers import EGrade
from simulators.huber.thermostat import Thermostat
from simulators.world import World, WorldConfig
from tests.integration.conftest import HuberRig


async def run_for(rig: HuberRig, seconds: float, poll_s: float = 5.0) -> None:
    """Let process time pass the way a supervisor would see it: the unit is polled as the clock advances."""
    elapsed = 0.0
    while elapsed < seconds:
        rig.clock.advance(poll_s)
        elapsed += poll_s
        await rig.chiller.status()


async def start_process_control(rig: HuberRig, setpoint_c: float) -> None:
    await rig.chiller.set_setpoint(setpoint_c)
    assert (await rig.chiller.set_control_mode(ControlMode.PROCESS)).in_force is ControlMode.PROCESS
    await rig.chiller.start_circulation()
    await rig.chiller.start_temperature_control()


async def test_cools_the_charge_to_the_process_setpoint(huber: HuberRig) -> None:
    assert huber.world.reactor_c() == pytest.approx(20.0, abs=0.5)
    await start_process_control(huber, 2.5)
    await run_for(huber, 45 * 60)
    process = await huber.chiller.process_temperature()
    internal = await huber.chiller.internal_temperature()
    assert process.value is not None
    assert internal.value is not None
    assert process.value == pytest.approx(huber.world.reactor_c(), abs=0.3)  # probe: filtered, noisy
    assert process.value == pytest.approx(2.5, abs=1.0)
    assert internal.value < process.value  # the bath is colder than the charge it cools
    status = (await huber.chiller.status()).value
    assert status is not None
    assert (status.temperature_control, status.circulation, status.process_mode) == (True, True, True)
    assert (await huber.chiller.get_setpoint()).value == 2.5
    assert await huber.chiller.get_control_mode() is ControlMode.PROCESS


async def test_a_setpoint_beyond_the_limits_comes_back_limited(huber: HuberRig) -> None:
    limits = await huber.chiller.set_setpoint_limits(-30.0, 40.0)
    assert (limits.low, limits.high) == (-30.0, 40.0)
    applied = await huber.chiller.set_setpoint(-35.0)
    assert (applied.requested, applied.in_force, applied.limited) == (-35.0, -30.0, True)
    assert (await huber.chiller.get_setpoint()).value == -30.0


async def test_an_unplugged_probe_is_no_reading_and_a_fault_not_the_jacket_temperature(
    huber: HuberRig,
) -> None:
    await start_process_control(huber, 2.5)
    await run_for(huber, 60)
    huber.world.thermostat.unplug_probe()
    await run_for(huber, 10)
    assert (await huber.chiller.process_temperature()).value is None
    assert (await huber.chiller.internal_temperature()).value is not None
    faults = await huber.chiller.faults()
    assert faults.error == -350
    status = (await huber.chiller.status()).value
    assert status is not None
    assert status.error is True


async def test_compressor_failure_is_reported_as_an_error(huber: HuberRig) -> None:
    await start_process_control(huber, 2.5)
    await run_for(huber, 60)
    huber.world.thermostat.fail_compressor()
    await run_for(huber, 10)
    assert (await huber.chiller.faults()).error == -331
    status = (await huber.chiller.status()).value
    assert status is not None
    assert (status.error, status.compressor) == (True, False)
    await huber.chiller.clear_error()
    assert (await huber.chiller.faults()).error == -331  # the cause is still there: it latches again


async def test_power_loss_is_silence_then_bit_14_tells_of_the_restart(huber: HuberRig) -> None:
    await start_process_control(huber, 2.5)
    first = (await huber.chiller.status()).value
    assert first is not None
    assert first.no_restart_since_last_read is True
    huber.clock.advance(600)
    huber.world.thermostat.lose_power()
    with pytest.raises(DeviceTimeout):
        await huber.chiller.internal_temperature()
    huber.clock.advance(30)
    huber.world.thermostat.restore_power()
    after = (await huber.chiller.status()).value
    again = (await huber.chiller.status()).value
    assert after is not None
    assert again is not None
    assert after.no_restart_since_last_read is False  # 0 on the first read after a power failure
    assert again.no_restart_since_last_read is True
    assert after.temperature_control is False  # it came back idle: labctl must restart it on purpose


async def test_the_watchdog_stops_the_unit_when_labctl_stops_feeding_it(huber: HuberRig) -> None:
    await start_process_control(huber, 2.5)
    assert await huber.chiller.arm_watchdog(30) == 30
    for _ in range(4):
        huber.clock.advance(20)
        await huber.chiller.feed_watchdog()
    assert (await huber.chiller.faults()).error == 0
    huber.clock.advance(31)
    assert (await huber.chiller.faults()).error == -600
    status = (await huber.chiller.status()).value
    assert status is not None
    assert status.temperature_control is False


async def test_alarm_limits_are_programmed_on_the_unit(huber: HuberRig) -> None:
    limits = await huber.chiller.set_alarm_limits(Sensor.PROCESS, -10.0, 10.0)
    assert (limits.low, limits.high) == (-10.0, 10.0)
    assert await huber.chiller.alarm_limits(Sensor.PROCESS) == limits
    await huber.chiller.set_setpoint(20.0)
    await huber.chiller.start_circulation()
    await huber.chiller.start_temperature_control()
    huber.world.charge_kmno4(47.5)  # all at once: the charge heats past the unit's own alarm limit
    await run_for(huber, 20 * 60, poll_s=10)
    assert (await huber.chiller.faults()).error == -343


async def test_process_mode_on_a_basic_unit_is_not_supported(huber: HuberRig) -> None:
    basic = Thermostat(huber.world.thermostat, huber.clock, grade=EGrade.BASIC)
    server = await serve_tcp(basic, reply_delay_s=0.0)
    chiller = await HuberPB.open(f"socket://127.0.0.1:{server.port}", timeout_s=0.3)
    try:
        with pytest.raises(NotSupported):
            await chiller.set_control_mode(ControlMode.PROCESS)
        assert (await chiller.set_setpoint(5.0)).in_force == 5.0
    finally:
        await chiller.close()
        await server.aclose()


def test_a_power_loss_between_world_steps_is_still_seen_as_a_restart() -> None:
    """The world integrates in whole seconds; the unit compares the loss with its boot time on the clock."""
    clock = ManualClock(100.4)
    world = World(WorldConfig(), clock, seed=1)
    unit = Thermostat(world.thermostat, clock)
    assert unit.read(0x0A) is not None
    clock.advance(0.3)
    world.thermostat.lose_power()
    assert unit.read(0x0A) is None  # no power: no reply
    clock.advance(5)
    world.thermostat.restore_power()
    status = unit.read(0x0A)
    assert status is not None
    assert status & (1 << 14) == 0


async def test_identity_is_the_units_serial_number(huber: HuberRig) -> None:
    assert huber.unit.serial_number == 0x0001_E240
    assert await huber.chiller.identity() == InstrumentIdentity(model=None, serial="123456", firmware=None)
    huber.unit.serial_number = 0x00BC_614E  # a unit whose serial fills both words
    assert (await huber.chiller.identity()).serial == "12345678"
