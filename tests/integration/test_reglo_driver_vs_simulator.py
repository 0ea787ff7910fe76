"""The Reglo ICC driver against the Reglo simulator, over TCP and a pseudo-terminal, with the world's pump plant
underneath: the 50 mL quench on channel 1, and the faults a status byte does or does not tell about.

The simulator's run ledger is the outside truth: what the head moved versus what reached the reactor."""

from __future__ import annotations

import pytest

from devices.errors import DeviceReplyError, DeviceTimeout, StartRefused
from devices.reglo import RegloICC
from devices.roles import InstrumentIdentity, Pump, PumpMode
from simulators.reglo import max_flow_ml_min
from tests.integration.conftest import RegloRig


async def set_up_quench(rig: RegloRig, rate: float = 20.0, volume: float = 50.0) -> None:
    pump = rig.pump
    await pump.enable_channel_addressing()
    await pump.enable_events(True)
    await pump.set_mode(PumpMode.VOLUME_AT_RATE)
    await pump.set_tubing(2.79)
    rate_applied = await pump.set_rate(rate)
    volume_applied = await pump.set_volume(volume)
    assert (rate_applied.requested, rate_applied.in_force, rate_applied.limited) == (rate, rate, False)
    assert (volume_applied.requested, volume_applied.in_force) == (volume, volume)
    await pump.clockwise(True)


async def wait(rig: RegloRig, seconds: float) -> None:
    """Process time passes; the supervisor polls the pump as it does (events arrive with the next reply)."""
    rig.clock.advance(seconds)
    await rig.pump.is_running()


async def test_the_50_ml_quench_runs_and_stops_itself(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    assert isinstance(pump, Pump)
    await set_up_quench(rig)
    assert await pump.identify() == "REGLO ICC 0208 306"
    channel = rig.unit.channels[1]
    assert rig.unit.channel_addressing is True
    assert (channel.mode, channel.clockwise) == ("O", True)
    assert await pump.get_tubing() == 2.79
    assert await pump.max_flow() == pytest.approx(31.0, abs=0.01)
    assert (await pump.get_rate()).value == 20.0
    assert await pump.is_running() is False

    await pump.start()
    assert await pump.is_running() is True
    rig.clock.advance(60)
    midway = await pump.dispensed_volume()
    assert midway.value == pytest.approx(20.0, abs=0.01)
    assert midway.at == 60.0
    await wait(rig, 90)  # 2.5 min in all
    assert await pump.is_running() is False  # it stopped itself at the volume
    assert (await pump.dispensed_volume()).value == pytest.approx(50.0, abs=0.01)
    assert any(e.startswith("^U1|2000E+1|J|") for e in pump.events)  # status while running
    assert pump.events[-1] == "^X1|5000E+1|A"  # stopped: complete

    [run] = rig.unit.ledger.records()
    assert (run.channel, run.mode, run.flow_ml_min, run.target_ml, run.cause) == (
        1,
        "O",
        20.0,
        50.0,
        "complete",
    )
    assert run.commanded_ml == pytest.approx(50.0)
    assert run.delivered_ml == pytest.approx(50.0, rel=0.1)  # the tubing moves a few % more or less
    assert run.delivered_ml != run.commanded_ml
    assert run.ended_at_s == pytest.approx(150.0, abs=1.0)
    assert rig.world.pump.reservoir_ml == pytest.approx(100.0 - run.delivered_ml)


async def test_addresses_select_channels_once_channel_addressing_is_on(reglo: RegloRig) -> None:
    channel_2 = RegloICC(reglo.port, channel=2, timeout_s=0.3)
    with pytest.raises(DeviceTimeout):
        await channel_2.is_running()  # address 2 is another pump on the daisy chain: nobody answers
    await reglo.pump.enable_channel_addressing()
    with pytest.raises(DeviceReplyError) as no_channel:
        await channel_2.is_running()  # now it is channel 2, which this pump does not have
    assert no_channel.value.code == "#"
    assert await reglo.pump.is_running() is False


async def test_a_rate_above_the_tubing_limit_is_refused_with_the_pumps_limit(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await set_up_quench(rig, rate=35.0)
    with pytest.raises(StartRefused) as refused:
        await pump.start()
    assert refused.value.reason == "R"
    assert refused.value.detail == "R 3100E+1"
    assert refused.value.limit == pytest.approx(await pump.max_flow(), abs=0.01)
    assert refused.value.limit == pytest.approx(max_flow_ml_min(2.79), abs=0.01)
    assert await pump.is_running() is False
    assert rig.unit.ledger.records() == []


async def test_a_limit_below_one_is_read_by_the_type1_rule(reglo: RegloRig) -> None:
    """The spec's `R 1386E-1` is 0.1386 by Volume Type 1, not "13.86": driver and simulator both follow the rule."""
    pump = reglo.pump
    await pump.enable_channel_addressing()
    await pump.set_tubing(0.13)
    assert await pump.get_tubing() == 0.13
    await pump.set_rate(0.5)
    with pytest.raises(StartRefused) as refused:
        await pump.start()
    actual = max_flow_ml_min(0.13)
    assert actual == pytest.approx(0.3693, abs=1e-4)
    assert refused.value.detail == "R 3693E-1"
    assert refused.value.limit == pytest.approx(actual, abs=1e-4)
    assert refused.value.limit == pytest.approx(await pump.max_flow(), abs=0.01)
    await pump.set_rate(0.3)
    await pump.start()  # below the limit it runs
    assert await pump.is_running() is True
    await pump.stop()


async def test_an_occlusion_stops_the_run_with_event_3(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await set_up_quench(rig)
    await pump.start()
    await wait(rig, 30)
    rig.world.pump.occlude()
    await wait(rig, 1)
    assert await pump.is_running() is False
    stopped = [e for e in pump.events if e.startswith("^X1|")]
    assert stopped == ["^X1|1000E+1|3"]  # 10 mL moved, then over-current
    assert (await pump.dispensed_volume()).value == pytest.approx(10.0, abs=0.01)
    [run] = rig.unit.ledger.records()
    assert run.cause == "occlusion"
    assert run.commanded_ml == pytest.approx(10.0)


async def test_an_empty_reservoir_is_invisible_to_the_pump_but_not_to_the_ledger(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    rig.world.pump.empty_reservoir()
    await set_up_quench(rig)
    await pump.start()
    await wait(rig, 150)
    assert await pump.is_running() is False
    assert (await pump.dispensed_volume()).value == pytest.approx(50.0, abs=0.01)  # what the pump believes
    assert pump.events[-1] == "^X1|5000E+1|A"  # and it says "complete"
    [run] = rig.unit.ledger.records()
    assert (run.cause, run.commanded_ml, run.delivered_ml) == ("complete", pytest.approx(50.0), 0.0)
    assert rig.world.state.reductant_mol_e == 0.0  # no quench reached the reactor


async def test_a_host_stop_stops_without_an_event(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await set_up_quench(rig)
    await pump.start()
    await wait(rig, 45)
    await pump.stop()
    assert await pump.is_running() is False
    assert (await pump.dispensed_volume()).value == pytest.approx(15.0, abs=0.01)
    rig.clock.advance(60)
    assert await pump.is_running() is False
    assert not [e for e in pump.events if e.startswith("^X")]  # not sent after a host stop `I`
    [run] = rig.unit.ledger.records()
    assert (run.cause, run.commanded_ml) == ("host stop", pytest.approx(15.0))
    assert rig.world.state.reductant_mol_e > 0.0  # the 15 mL that went in carry bisulfite


async def test_identity_is_model_and_firmware(reglo: RegloRig) -> None:
    assert reglo.unit.model_line == "REGLO ICC 0208 306"
    assert await reglo.pump.identity() == InstrumentIdentity(model="REGLO ICC", serial=None, firmware="0208")
    await reglo.pump.enable_channel_addressing()  # with channel addressing on, `1#` still names the pump
    assert (await reglo.pump.identity()).firmware == "0208"
