"""The EUROSTAR driver byte for byte against the transcripts of specs/ika-overhead-stirrer.md."""

from __future__ import annotations

import time

import pytest

from devices.errors import DeviceTimeout, ProtocolError
from devices.ika import SETTINGS, IkaEurostar
from devices.roles import InstrumentIdentity, Stirrer, WatchdogMode
from tests.devices.conftest import FakeClock, MakePeer
from tests.devices.peer import Expect, Send


def test_line_settings_are_7e1_at_9600() -> None:
    assert (SETTINGS.baudrate, SETTINGS.bytesize, SETTINGS.parity, SETTINGS.stopbits) == (9600, 7, "E", 1)


async def test_readings_carry_value_and_time(scripted: MakePeer, clock: FakeClock) -> None:
    peer = await scripted(
        Expect(b"IN_NAME\r\n"),
        Send(b"EUROSTAR 60 control\r\n"),
        Expect(b"IN_PV_4\r\n"),
        Send(b"300.0 4\r\n"),
        Expect(b"IN_SP_4\r\n"),
        Send(b"300.0 4 \r\n"),  # the manual's "blank CR LF"
        Expect(b"IN_PV_5\r\n"),
        Send(b"5.0 5\r\n"),
        Expect(b"IN_SP_6\r\n"),
        Send(b"2000.0 6\r\n"),
    )
    stirrer = await IkaEurostar.open(peer.url, clock=clock)
    assert isinstance(stirrer, Stirrer)
    assert await stirrer.identity() == InstrumentIdentity(model="EUROSTAR 60 control")
    speed = await stirrer.speed()
    assert (speed.value, speed.at) == (300.0, 1000.0)
    clock.t = 1001.5
    setpoint = await stirrer.speed_setpoint()
    assert (setpoint.value, setpoint.at) == (300.0, 1001.5)
    assert (await stirrer.torque()).value == 5.0
    assert await stirrer.speed_limit() == 2000.0
    await peer.finish()
    await stirrer.close()


async def test_writes_get_no_reply_and_are_confirmed_by_reading_back(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"OUT_SP_4 450\r\n"),
        Expect(b"IN_SP_4\r\n"),
        Send(b"450.0 4\r\n"),
        Expect(b"START_4\r\n"),
        Expect(b"STOP_4\r\n"),
        Expect(b"RESET\r\n"),
    )
    stirrer = await IkaEurostar.open(peer.url, timeout_s=2.0)
    t0 = time.monotonic()
    applied = await stirrer.set_speed(450.0)
    assert (applied.requested, applied.in_force, applied.limited) == (450.0, 450.0, False)
    await stirrer.start()
    await stirrer.stop()
    await stirrer.reset()
    assert time.monotonic() - t0 < 1.0  # never waited for a reply that does not come
    await peer.finish()
    await stirrer.close()


async def test_a_declined_setpoint_is_resent_once_then_reported_as_kept(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"OUT_SP_4 2500\r\n"),
        Expect(b"IN_SP_4\r\n"),
        Send(b"300.0 4\r\n"),
        Expect(b"OUT_SP_4 2500\r\n"),
        Expect(b"IN_SP_4\r\n"),
        Send(b"300.0 4\r\n"),
    )
    stirrer = await IkaEurostar.open(peer.url)
    applied = await stirrer.set_speed(2500.0)
    assert (applied.requested, applied.in_force, applied.limited) == (2500.0, 300.0, True)
    await peer.finish()
    await stirrer.close()


async def test_a_late_reply_for_another_parameter_is_never_the_answer(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"IN_PV_5\r\n"),
        Send(b"300.0 4\r\n"),  # the speed a timed-out IN_PV_4 asked for
        Expect(b"IN_PV_5\r\n"),
        Send(b"5.0 5\r\n"),
    )
    stirrer = await IkaEurostar.open(peer.url)
    assert (await stirrer.torque()).value == 5.0
    await peer.finish()
    await stirrer.close()


async def test_without_retries_the_mismatch_is_a_protocol_error(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"IN_PV_5\r\n"), Send(b"300.0 4\r\n"))
    stirrer = await IkaEurostar.open(peer.url, retries=0)
    with pytest.raises(ProtocolError, match="parameter 4 to a request for parameter 5"):
        await stirrer.torque()
    await peer.finish()
    await stirrer.close()


@pytest.mark.parametrize(
    "reply",
    [
        b"3p0.0 4\r\n",
        b"300.0`4\r\n",
        b"300.0\r\n",
        b"\r\n",
        b"300.0 4 5\r\n",
        b"30\x100.0 4\r\n",
        b"EUROSTAR\r\n",
    ],
)
async def test_garbled_or_misshapen_replies_are_errors_never_values(scripted: MakePeer, reply: bytes) -> None:
    peer = await scripted(Expect(b"IN_PV_4\r\n"), Send(reply))
    stirrer = await IkaEurostar.open(peer.url, retries=0)
    with pytest.raises(ProtocolError):
        await stirrer.speed()
    await peer.finish()
    await stirrer.close()


async def test_a_number_is_not_a_name(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"IN_NAME\r\n"), Send(b"300.0 4\r\n"))
    stirrer = await IkaEurostar.open(peer.url, retries=0)
    with pytest.raises(ProtocolError):
        await stirrer.identity()
    await peer.finish()
    await stirrer.close()


async def test_watchdog_arm_feed_disarm_echo(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"OUT_WD1@30\r\n"),
        Send(b"30\r\n"),
        Expect(b"OUT_WD1@30\r\n"),
        Send(b"30 \r\n"),
        Expect(b"OUT_SP_8 100\r\n"),
        Expect(b"IN_SP_8\r\n"),
        Send(b"100.0 8\r\n"),
        Expect(b"OUT_WD2@60\r\n"),
        Send(b"60\r\n"),
        Expect(b"OUT_WD2@0\r\n"),
        Send(b"0\r\n"),
    )
    stirrer = await IkaEurostar.open(peer.url)
    await stirrer.arm_watchdog(30)
    await stirrer.arm_watchdog(30.0)  # feeding is re-arming
    assert (await stirrer.set_safety_speed(100)).in_force == 100.0
    await stirrer.arm_watchdog(60, WatchdogMode.SAFE_SPEED)
    await stirrer.disarm_watchdog()
    await peer.finish()
    await stirrer.close()


async def test_a_wrong_echo_is_not_an_armed_watchdog(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"OUT_WD1@30\r\n"), Send(b"20\r\n"))
    stirrer = await IkaEurostar.open(peer.url, retries=0)
    with pytest.raises(ProtocolError):
        await stirrer.arm_watchdog(30)
    await peer.finish()
    await stirrer.close()


@pytest.mark.parametrize("seconds", [19, 1501, 0])
async def test_watchdog_times_outside_the_manual_range_are_not_sent(scripted: MakePeer, seconds: int) -> None:
    peer = await scripted()
    stirrer = await IkaEurostar.open(peer.url)
    with pytest.raises(ValueError, match="outside 20–1500 s"):
        await stirrer.arm_watchdog(seconds)
    await peer.finish()
    await stirrer.close()


async def test_silence_is_a_timeout(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"IN_PV_4\r\n"))
    stirrer = await IkaEurostar.open(peer.url, timeout_s=0.1, retries=0)
    with pytest.raises(DeviceTimeout):
        await stirrer.speed()
    await peer.finish()
    await stirrer.close()
