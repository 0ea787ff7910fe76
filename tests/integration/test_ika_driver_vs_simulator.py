"""The EUROSTAR driver against the EUROSTAR simulator, over TCP and a pseudo-terminal, with the world's stirrer
plant underneath: the world's `stirring` is the outside truth of what the commands did."""

from __future__ import annotations

import pytest

from devices.errors import DeviceTimeout
from devices.roles import InstrumentIdentity, Stirrer, WatchdogMode
from tests.integration.conftest import EurostarRig


async def test_set_start_converge_torque_stop(eurostar: EurostarRig) -> None:
    rig, stirrer = eurostar, eurostar.stirrer
    assert isinstance(stirrer, Stirrer)
    assert await stirrer.identity() == InstrumentIdentity(model="EUROSTAR 60 control")
    await stirrer.stop()
    assert (await stirrer.speed_setpoint()).value == 300.0  # a round trip: the stop has landed
    rig.clock.advance(2)
    assert (await stirrer.speed()).value == 0.0
    assert rig.world.state.stirring is False

    applied = await stirrer.set_speed(450)
    assert (applied.requested, applied.in_force, applied.limited) == (450, 450.0, False)
    await stirrer.start()
    assert (await stirrer.speed_setpoint()).value == 450.0
    seen = []
    for _ in range(4):
        rig.clock.advance(1)
        reading = await stirrer.speed()
        seen.append((reading.at, reading.value))
    assert seen == [(3.0, 150.0), (4.0, 300.0), (5.0, 450.0), (6.0, 450.0)]
    assert rig.world.state.stirring is True
    assert (await stirrer.torque()).value == pytest.approx(2.0 + 0.01 * 450)

    await stirrer.start()  # again: harmless
    rig.clock.advance(1)
    assert (await stirrer.speed()).value == 450.0
    await stirrer.stop()
    assert (await stirrer.speed_setpoint()).value == 450.0
    rig.clock.advance(3)
    assert (await stirrer.speed()).value == 0.0
    assert (await stirrer.torque()).value == 0.0
    assert rig.world.state.stirring is False


async def test_a_setpoint_the_unit_declines_comes_back_as_the_one_it_kept(eurostar: EurostarRig) -> None:
    applied = await eurostar.stirrer.set_speed(2500)
    assert (applied.in_force, applied.limited) == (300.0, True)
    assert eurostar.world.stirrer.setpoint_rpm() == 300.0
    assert await eurostar.stirrer.speed_limit() == 2000.0


async def test_watchdog_fed_in_time_keeps_stirring_and_starved_stops_the_motor(eurostar: EurostarRig) -> None:
    rig, stirrer = eurostar, eurostar.stirrer
    await stirrer.arm_watchdog(20, WatchdogMode.STOP)
    rig.clock.advance(15)
    await stirrer.arm_watchdog(20)  # fed
    rig.clock.advance(15)
    assert (await stirrer.speed()).value == 300.0  # 30 s after arming, 15 s after feeding
    rig.clock.advance(6)
    assert (await stirrer.speed()).value == 300.0  # the trip is noticed now; the shaft still turns
    assert rig.unit.error == 2
    rig.clock.advance(2)
    assert (await stirrer.speed()).value == 0.0
    assert rig.world.state.stirring is False
    await stirrer.start()
    await stirrer.speed_setpoint()  # a round trip: the start has landed
    assert rig.unit.error is None


async def test_watchdog_2_falls_to_the_safety_speed_and_disarmed_never_fires(eurostar: EurostarRig) -> None:
    rig, stirrer = eurostar, eurostar.stirrer
    assert (await stirrer.set_safety_speed(120)).in_force == 120.0
    await stirrer.arm_watchdog(20, WatchdogMode.SAFE_SPEED)
    rig.clock.advance(21)
    assert (await stirrer.speed_setpoint()).value == 120.0
    rig.clock.advance(2)
    assert (await stirrer.speed()).value == 120.0
    await stirrer.arm_watchdog(20, WatchdogMode.STOP)
    await stirrer.disarm_watchdog()
    rig.clock.advance(100)
    assert (await stirrer.speed()).value == 120.0
    assert rig.unit.watchdog_events == [(21.0, 2)]


async def test_a_late_speed_reply_is_never_taken_as_the_torque(eurostar: EurostarRig) -> None:
    stirrer = eurostar.stirrer
    eurostar.faults.reply_delay_s = 1.2
    stirrer.retries = 0
    with pytest.raises(DeviceTimeout):
        await stirrer.speed()  # its `300.0 4` is on its way, 1.2 s late
    eurostar.faults.reply_delay_s = 0.0
    stirrer.retries = 2
    torque = await stirrer.torque()  # the late line arrives while this waits: mismatch, flushed, asked again
    assert torque.value == pytest.approx(5.0)


async def test_without_retries_the_late_reply_is_dropped_never_a_value(eurostar: EurostarRig) -> None:
    """The late `300.0 4` is matched to its own (abandoned) speed request and dropped; the torque request waits
    for its own reply, which the wire holds back behind the late one: a timeout, then the torque."""
    stirrer = eurostar.stirrer
    eurostar.faults.reply_delay_s = 1.2
    stirrer.retries = 0
    with pytest.raises(DeviceTimeout):
        await stirrer.speed()
    eurostar.faults.reply_delay_s = 0.0
    with pytest.raises(DeviceTimeout):
        await stirrer.torque()
    assert (await stirrer.torque()).value == pytest.approx(5.0)


async def test_silent_link_times_out_and_a_dropped_one_is_reopened(eurostar: EurostarRig) -> None:
    stirrer = eurostar.stirrer
    eurostar.faults.silent = True
    stirrer.retries = 0
    with pytest.raises(DeviceTimeout):
        await stirrer.speed()
    eurostar.faults.restore()
    stirrer.retries = 2
    assert (await stirrer.speed()).value == 300.0
    eurostar.faults.disconnect()
    assert (await stirrer.torque()).value == pytest.approx(5.0)
