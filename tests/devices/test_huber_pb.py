from __future__ import annotations

import asyncio
import os
import threading

import pytest

from devices.errors import DeviceTimeout, NotSupported, SensorMissing
from devices.huber_pb import HuberPB, encode
from devices.roles import Chiller, InstrumentIdentity
from tests.devices.conftest import FakeClock, MakePeer
from tests.devices.peer import Expect, Send


async def test_set_setpoint_20_byte_exact(scripted: MakePeer, clock: FakeClock) -> None:
    peer = await scripted(Expect(b"{M0007D0\r\n"), Send(b"{S0007D0\r\n"))
    huber = await HuberPB.open(peer.url, clock=clock)
    applied = await huber.set_setpoint(20.0)
    assert applied.in_force == 20.0
    assert not applied.limited
    assert applied.at == clock.t
    await peer.finish()
    await huber.close()


async def test_set_negative_setpoint_twos_complement(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"{M00F6F5\r\n"), Send(b"{S00F6F5\r\n"))
    huber = await HuberPB.open(peer.url)
    assert (await huber.set_setpoint(-23.15)).in_force == -23.15
    await peer.finish()
    await huber.close()


async def test_reads_from_manual_table(scripted: MakePeer, clock: FakeClock) -> None:
    peer = await scripted(
        Expect(b"{M00****\r\n"),
        Send(b"{S00FFCC\r\n"),
        Expect(b"{M01****\r\n"),
        Send(b"{S011010\r\n"),
        Expect(b"{M07****\r\n"),
        Send(b"{S07087F\r\n"),
    )
    huber = await HuberPB.open(peer.url, clock=clock)
    assert isinstance(huber, Chiller)
    assert (await huber.get_setpoint()).value == -0.52
    clock.t += 1.5
    internal = await huber.internal_temperature()
    assert internal.value == 41.12
    assert internal.at == 1001.5
    assert (await huber.process_temperature()).value == 21.75
    await peer.finish()
    await huber.close()


async def test_c504_process_sensor_missing(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M07****\r\n"),
        Send(b"{S07C504\r\n"),
        Expect(b"{M07****\r\n"),
        Send(b"{S07C504\r\n"),
    )
    huber = await HuberPB.open(peer.url)
    reading = await huber.process_temperature()
    assert reading.value is None  # no reading — not −151.00, not the internal temperature
    with pytest.raises(SensorMissing) as info:
        await huber.read_celsius(0x07)
    assert info.value.address == 0x07
    await peer.finish()
    await huber.close()


async def test_7fff_not_supported(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"{M02****\r\n"), Send(b"{S027FFF\r\n"))
    huber = await HuberPB.open(peer.url)
    with pytest.raises(NotSupported) as info:
        await huber.read(0x02)
    assert info.value.code == "7FFF"
    assert info.value.device == "huber"
    await peer.finish()
    await huber.close()


async def test_limited_setpoint_returns_value_in_force(scripted: MakePeer) -> None:
    # −35.00 requested, unit limits to the min setpoint −30.00 (same case as the manual's Modbus example).
    peer = await scripted(Expect(b"{M00F254\r\n"), Send(b"{S00F448\r\n"))
    huber = await HuberPB.open(peer.url)
    applied = await huber.set_setpoint(-35.0)
    assert applied.requested == -35.0
    assert applied.in_force == -30.0
    assert applied.limited
    await peer.finish()
    await huber.close()


async def test_no_reply_times_out_then_read_is_retried(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M00****\r\n"),  # unit drops it silently (as for a malformed frame)
        Expect(b"{M1B****\r\n"),  # fence: the first try's reply could still come, and would look the same
        Send(b"{S1BE240\r\n"),  # → every earlier reply is in (or lost): the retry's reply is its own
        Expect(b"{M00****\r\n"),
        Send(b"{S00FFCC\r\n"),
    )
    huber = await HuberPB.open(peer.url, timeout_s=0.2, retries=1)
    assert (await huber.get_setpoint()).value == -0.52
    await peer.finish()
    await huber.close()


async def test_read_gives_up_with_device_timeout(scripted: MakePeer) -> None:
    # the retry's fence goes unanswered
    peer = await scripted(Expect(b"{M01****\r\n"), Expect(b"{M1B****\r\n"))
    huber = await HuberPB.open(peer.url, timeout_s=0.1, retries=1)
    with pytest.raises(DeviceTimeout) as info:
        await huber.internal_temperature()
    assert info.value.request == b"{M01****\r\n"
    await peer.finish()
    await huber.close()


async def test_clear_error_is_not_retried(scripted: MakePeer) -> None:
    # "write 1 to clear" is not idempotent: a retry could clear a new error nobody saw.
    peer = await scripted(Expect(b"{M050001\r\n"))
    huber = await HuberPB.open(peer.url, timeout_s=0.1, retries=3)
    with pytest.raises(DeviceTimeout):
        await huber.clear_error()
    await peer.finish(settle_s=0.2)
    await huber.close()


async def test_late_reply_is_matched_to_its_own_request_not_misread(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M01****\r\n"),
        Expect(b"{M1B****\r\n"),  # the retry's fence
        Send(b"{S011010\r\n"),  # answer to the *first* try arrives only now: 41.12 °C, no longer current
        Send(b"{S1BE240\r\n"),
        Expect(b"{M01****\r\n"),
        Send(b"{S010FA0\r\n"),  # 40.00 °C: the retry's own answer
        Expect(b"{M00****\r\n"),
        Send(b"{S00FFCC\r\n"),
    )
    huber = await HuberPB.open(peer.url, timeout_s=0.2, retries=1)
    assert (await huber.internal_temperature()).value == 40.00
    assert (await huber.get_setpoint()).value == -0.52
    await peer.finish()
    await huber.close()


async def test_status_bits_lsb_first(scripted: MakePeer) -> None:
    # bits 0 (control), 1 (circulation), 5 (cooling available), 14 (no restart) → 0x4023
    peer = await scripted(Expect(b"{M0A****\r\n"), Send(b"{S0A4023\r\n"))
    huber = await HuberPB.open(peer.url)
    status = (await huber.status()).value
    assert status is not None
    assert status.temperature_control
    assert status.circulation
    assert status.cooling_available
    assert status.no_restart_since_last_read
    assert not status.compressor
    assert not status.freeze_protection
    assert not status.error
    await peer.finish()
    await huber.close()


async def test_watchdog_and_control(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M40001E\r\n"),
        Send(b"{S40001E\r\n"),
        Expect(b"{M40001E\r\n"),
        Send(b"{S40001E\r\n"),
        Expect(b"{M140001\r\n"),
        Send(b"{S140001\r\n"),
        Expect(b"{M05****\r\n"),
        Send(b"{S05FEB8\r\n"),
        Expect(b"{M06****\r\n"),
        Send(b"{S060000\r\n"),
    )
    huber = await HuberPB.open(peer.url)
    assert await huber.arm_watchdog(30) == 30
    await huber.feed_watchdog()
    await huber.start_temperature_control()
    faults = await huber.faults()
    assert faults.error == -328
    assert faults.warning == 0
    await peer.finish()
    await huber.close()


def test_encode_frames() -> None:
    assert encode(0x00, None) == b"{M00****\r\n"
    assert len(encode(0x31, 0xFFFF)) == 10


async def test_over_pseudo_terminal() -> None:
    """The serial path (pyserial on a tty, not socket://) works too."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    seen = bytearray()

    def instrument() -> None:
        while not seen.endswith(b"\r\n"):
            seen.extend(os.read(master, 64))
        os.write(master, b"{S07087F\r\n")

    thread = threading.Thread(target=instrument, daemon=True)
    thread.start()
    huber = await HuberPB.open(path, timeout_s=2.0)
    try:
        assert (await huber.process_temperature()).value == 21.75
    finally:
        await huber.close()
        await asyncio.to_thread(thread.join, 2.0)
        os.close(slave)
        os.close(master)
    assert bytes(seen) == b"{M07****\r\n"


# --- identity: serial number from 1B (low word) / 1C (high word) ---------------------------------------------------


async def test_identity_serial_from_low_and_high_word(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M1B****\r\n"),
        Send(b"{S1BE240\r\n"),
        Expect(b"{M1C****\r\n"),
        Send(b"{S1C0001\r\n"),
    )
    huber = await HuberPB.open(peer.url)
    identity = await huber.identity()
    assert identity == InstrumentIdentity(model=None, serial="123456", firmware=None)  # 0x0001E240
    await peer.finish()
    await huber.close()


async def test_identity_low_word_7fff_is_part_of_a_serial(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M1B****\r\n"),
        Send(b"{S1B7FFF\r\n"),
        Expect(b"{M1C****\r\n"),
        Send(b"{S1C0001\r\n"),
    )
    huber = await HuberPB.open(peer.url)
    assert (await huber.identity()).serial == str(0x0001_7FFF)
    await peer.finish()
    await huber.close()


async def test_identity_without_serial_registers_says_nothing(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"{M1B****\r\n"),
        Send(b"{S1B7FFF\r\n"),
        Expect(b"{M1C****\r\n"),
        Send(b"{S1C7FFF\r\n"),
    )
    huber = await HuberPB.open(peer.url)
    assert await huber.identity() == InstrumentIdentity()
    await peer.finish()
    await huber.close()


async def test_identity_silence_is_a_timeout_not_an_empty_identity(scripted: MakePeer) -> None:
    # the retry fences with 1C: a fence must echo an address no unanswered request has
    peer = await scripted(Expect(b"{M1B****\r\n"), Expect(b"{M1C****\r\n"))
    huber = await HuberPB.open(peer.url, timeout_s=0.1, retries=1)
    with pytest.raises(DeviceTimeout):
        await huber.identity()
    await peer.finish()
    await huber.close()
