from __future__ import annotations

import time

import pytest

from devices.errors import DeviceReplyError, DeviceTimeout, StartRefused
from devices.reglo import RegloICC, decode_volume1, encode_tubing, encode_volume2
from devices.roles import InstrumentIdentity, Pump, PumpMode
from tests.devices.conftest import MakePeer
from tests.devices.peer import Expect, Send


async def test_start_one_byte_status_returns_promptly(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"1H\r"), Send(b"*"))
    pump = await RegloICC.open(peer.url, timeout_s=2.0)
    assert isinstance(pump, Pump)
    t0 = time.monotonic()
    await pump.start()
    assert time.monotonic() - t0 < 0.5  # did not wait for a newline that never comes
    await peer.finish()
    await pump.close()


async def test_rate_volume_tubing_mode(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"1~1\r"),
        Send(b"*"),
        Expect(b"1O\r"),
        Send(b"*"),
        Expect(b"1+0279\r"),
        Send(b"*"),
        Expect(b"1+\r"),
        Send(b"2.79 mm\r\n"),
        Expect(b"1f2000+1\r"),
        Send(b"2000E+1\r\n"),
        Expect(b"1f\r"),
        Send(b"2000E+1\r\n"),
        Expect(b"1v5000+1\r"),
        Send(b"5000E+1\r\n"),
        Expect(b"1#\r"),
        Send(b"REGLO ICC 0208 306\r\n"),
    )
    pump = await RegloICC.open(peer.url)
    await pump.enable_channel_addressing()
    await pump.set_mode(PumpMode.VOLUME_AT_RATE)
    await pump.set_tubing(2.79)
    assert await pump.get_tubing() == 2.79
    applied = await pump.set_rate(20.0)
    assert applied.in_force == 20.0
    assert not applied.limited
    assert (await pump.get_rate()).value == 20.0
    assert (await pump.set_volume(50.0)).in_force == 50.0
    assert await pump.identify() == "REGLO ICC 0208 306"
    await peer.finish()
    await pump.close()


async def test_running_plus_minus(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"1E\r"), Send(b"+"), Expect(b"1E\r"), Send(b"-"), Expect(b"1I\r"), Send(b"*")
    )
    pump = await RegloICC.open(peer.url)
    assert await pump.is_running() is True
    assert await pump.is_running() is False
    await pump.stop()
    await peer.finish()
    await pump.close()


async def test_start_refused_reads_reason(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"1H\r"), Send(b"-"), Expect(b"1xe\r"), Send(b"R 1386E-1\r\n"))
    pump = await RegloICC.open(peer.url)
    with pytest.raises(StartRefused) as info:
        await pump.start()
    err = info.value
    assert err.reason == "R"
    assert err.detail == "R 1386E-1"
    # The spec's prose says "limit 13.86", but its own Volume Type 1 rule (m.mmm × 10^e, `2000E+1` = 20.00)
    # reads `1386E-1` as 0.1386.  We decode consistently and keep the raw text; see the report.
    assert err.limit == pytest.approx(0.1386)
    await peer.finish()
    await pump.close()


async def test_event_line_before_status_byte(scripted: MakePeer) -> None:
    peer = await scripted(
        Expect(b"1xE1\r"),
        Send(b"*"),
        Expect(b"1E\r"),
        Send(b"^U1|2000E+1|0125E+0\r\n+"),
        Expect(b"1:\r"),
        Send(b"^X1|A\r\n5000E+1 ml\r\n"),
    )
    pump = await RegloICC.open(peer.url)
    await pump.enable_events()
    assert await pump.is_running() is True
    assert (await pump.dispensed_volume()).value == 50.0
    assert list(pump.events) == ["^U1|2000E+1|0125E+0", "^X1|A"]
    await peer.finish()
    await pump.close()


async def test_silence_is_timeout(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"2I\r"))
    pump = await RegloICC.open(peer.url, channel=2, timeout_s=0.1, retries=0)
    with pytest.raises(DeviceTimeout):
        await pump.stop()
    await peer.finish()
    await pump.close()


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (20.0, "2000+1"),
        (50.0, "5000+1"),
        (0.5, "5000-1"),
        (13.86, "1386+1"),
        (1.0, "1000+0"),
        (0.0, "0000+0"),
    ],
)
def test_volume_type2(value: float, code: str) -> None:
    assert encode_volume2(value) == code
    assert decode_volume1(code[:4] + "E" + code[4:]) == pytest.approx(value)


def test_tubing_discrete_type2() -> None:
    assert encode_tubing(2.79) == "0279"
    assert encode_tubing(2.06) == "0206"


async def test_identity_model_and_firmware_from_the_manuals_reply(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"1#\r"), Send(b"REGLO ICC 0208 306\r\n"))
    pump = await RegloICC.open(peer.url)
    assert await pump.identity() == InstrumentIdentity(model="REGLO ICC", serial=None, firmware="0208")
    await peer.finish()
    await pump.close()


async def test_identity_refused_is_an_error(scripted: MakePeer) -> None:
    peer = await scripted(Expect(b"3#\r"), Send(b"#"))
    pump = await RegloICC.open(peer.url, channel=3)
    with pytest.raises(DeviceReplyError):
        await pump.identity()
    await peer.finish()
    await pump.close()
