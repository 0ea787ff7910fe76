"""Wire faults on every driver against its simulator, over real sockets and pseudo-terminals.

Issue requirement: each injected fault (dropped link, garbled bytes, dropped bytes, slow reply) yields the typed
error or the recovery the driver documents, and never a wrong value.  Truth is the simulator's own state (the
thermostat's registers, the balance's load, the pump's channel, the dose ledger).

Garbling uses bit-6 flips (``xor 0x40``), the simulators' line-noise model.  The two tests named
``..._not_detectable`` pin down, honestly, what no check in a checksum-less protocol can catch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from devices.errors import (
    DeviceDisconnected,
    DeviceError,
    DeviceReplyError,
    DeviceTimeout,
    OutcomeUnknown,
    ProtocolError,
)
from devices.huber_modbus import HuberModbus
from devices.huber_pb import HuberPB
from devices.roles import PumpMode
from simulators.clock import ManualClock
from simulators.huber.modbus import HuberModbusServer, serve_modbus
from simulators.huber.pb import serve_tcp
from simulators.huber.thermostat import Thermostat
from simulators.serving import Mangler, TcpServer, WireFaults, drop_bytes, garble
from simulators.world import World, WorldConfig
from tests.integration.conftest import QuantosRig, RegloRig, advancing, until

TIMEOUT_S = 0.2
SETPOINT = 0x00

# --- Huber: PB over TCP and Modbus TCP, one thermostat each ---------------------------------------------------


@dataclass
class HuberWire:
    clock: ManualClock
    unit: Thermostat
    faults: WireFaults
    server: TcpServer | HuberModbusServer
    chiller: HuberPB | HuberModbus

    def once(self, mangler: Mangler) -> None:
        """Apply ``mangler`` to the next reply only."""

        def one_shot(reply: bytes) -> bytes:
            self.faults.mangle = None
            return mangler(reply)

        self.faults.mangle = one_shot

    def setpoint_truth(self) -> float:
        return self.unit.setpoint / 100


@pytest.fixture(params=["pb", "modbus"])
async def huber_wire(request: pytest.FixtureRequest) -> AsyncIterator[HuberWire]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=7)
    unit = Thermostat(world.thermostat, clock)
    faults = WireFaults()
    server: TcpServer | HuberModbusServer
    chiller: HuberPB | HuberModbus
    if request.param == "pb":
        server = await serve_tcp(unit, reply_delay_s=0.0, faults=faults)
        chiller = await HuberPB.open(f"socket://127.0.0.1:{server.port}", timeout_s=TIMEOUT_S)
    else:
        server = await serve_modbus(unit, faults=faults)
        chiller = HuberModbus("127.0.0.1", server.port, timeout_s=TIMEOUT_S)
        await chiller.connect()
    try:
        await chiller.set_setpoint(12.34)
        yield HuberWire(clock, unit, faults, server, chiller)
    finally:
        await chiller.close()
        await server.aclose()


def _pb_frame_indices(rig: HuberWire) -> range:
    return (
        range(10) if isinstance(rig.chiller, HuberPB) else range(9)
    )  # Modbus: header bytes (MBAP, FC, count)


async def test_huber_garbled_reply_is_never_a_value(huber_wire: HuberWire) -> None:
    rig = huber_wire
    for index in _pb_frame_indices(rig):
        rig.chiller.retries = 0
        rig.once(garble(index, xor=0x40))
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await rig.chiller.get_setpoint()
        rig.chiller.retries = 2
        rig.once(garble(index, xor=0x40))
        assert (await rig.chiller.get_setpoint()).value == rig.setpoint_truth() == 12.34, index


async def test_huber_out_of_range_temperature_is_rejected(huber_wire: HuberWire) -> None:
    rig = huber_wire
    # PB: '0' → '8' in the top hex digit; Modbus: bit 7 of the high value byte.  Both make 12.34 °C a word
    # below −151 °C, which no Huber sends (C504 aside).
    index, xor = (4, 0x08) if isinstance(rig.chiller, HuberPB) else (9, 0x80)
    rig.chiller.retries = 0
    rig.once(garble(index, xor=xor))
    with pytest.raises(ProtocolError):
        await rig.chiller.get_setpoint()
    rig.chiller.retries = 2
    rig.once(garble(index, xor=xor))
    assert (await rig.chiller.get_setpoint()).value == rig.setpoint_truth()


async def test_huber_value_digit_flip_is_not_detectable(huber_wire: HuberWire) -> None:
    """Documented limit: no checksum in PB or Modbus TCP, so a plausible value stays a plausible value."""
    rig = huber_wire
    index = 7 if isinstance(rig.chiller, HuberPB) else 10  # lowest digit / low byte of the value
    rig.once(garble(index, xor=0x01))
    wrong = (await rig.chiller.get_setpoint()).value
    assert wrong is not None
    assert wrong != rig.setpoint_truth()
    assert abs(wrong - rig.setpoint_truth()) <= 0.16


async def test_huber_short_reply_then_next_call_is_correct(huber_wire: HuberWire) -> None:
    rig = huber_wire
    cuts = [(0, 1), (3, 2), (8, 2)] if isinstance(rig.chiller, HuberPB) else [(9, 2), (5, 1)]
    for start, count in cuts:
        rig.chiller.retries = 0
        rig.once(drop_bytes(start, count))
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await rig.chiller.get_setpoint()
        assert (await rig.chiller.get_setpoint()).value == rig.setpoint_truth()
        rig.chiller.retries = 2
        rig.once(drop_bytes(start, count))
        applied = await rig.chiller.set_setpoint(15.5)  # idempotent write: retried after the short reply
        assert applied.in_force == rig.setpoint_truth() == 15.5
        await rig.chiller.set_setpoint(12.34)


async def test_huber_slow_reply(huber_wire: HuberWire) -> None:
    rig = huber_wire
    rig.faults.reply_delay_s = TIMEOUT_S / 2  # slow but within the timeout: the value
    assert (await rig.chiller.get_setpoint()).value == rig.setpoint_truth()
    rig.chiller.retries = 0
    rig.faults.reply_delay_s = TIMEOUT_S * 1.5  # slower than the timeout: typed error
    with pytest.raises(DeviceTimeout):
        await rig.chiller.get_setpoint()
    rig.faults.reply_delay_s = 0.0
    rig.chiller.retries = 2
    # The late reply to the abandoned read lands now or during the next request: never taken as its answer.
    assert (await rig.chiller.set_setpoint(-5.0)).in_force == rig.setpoint_truth() == -5.0
    await asyncio.sleep(TIMEOUT_S * 2)
    internal = (await rig.chiller.internal_temperature()).value
    assert internal is not None
    truth = rig.unit.read(0x01)
    assert truth is not None
    assert internal == pytest.approx(truth / 100, abs=0.05)
    assert (await rig.chiller.get_setpoint()).value == -5.0


async def test_huber_dropped_link_reconnects_once_for_safe_requests(huber_wire: HuberWire) -> None:
    rig = huber_wire
    rig.faults.disconnect()
    await asyncio.sleep(0.05)
    assert (await rig.chiller.get_setpoint()).value == rig.setpoint_truth()
    # Dropped while a reply is on its way: a read is resent on the reopened link.
    rig.faults.reply_delay_s = 0.1
    read = asyncio.create_task(rig.chiller.get_setpoint())
    await asyncio.sleep(0.03)
    rig.faults.disconnect()
    rig.faults.reply_delay_s = 0.0
    assert (await read).value == rig.setpoint_truth()
    # A non-idempotent write (clear error) is not resent: typed error, and the next call works.
    rig.faults.reply_delay_s = 0.1
    clear = asyncio.create_task(rig.chiller.clear_error())
    await asyncio.sleep(0.03)
    rig.faults.disconnect()
    rig.faults.reply_delay_s = 0.0
    with pytest.raises((DeviceDisconnected, DeviceTimeout)):
        await clear
    assert (await rig.chiller.get_setpoint()).value == rig.setpoint_truth()


# --- helpers for the served (serving.WireFaults) instruments -------------------------------------------------


def flip_next_reply(
    faults: WireFaults, index: int, *, skip: Callable[[bytes], bool] = lambda c: False
) -> None:
    """Flip bit 6 of byte ``index`` of the next reply chunk (one chunk = one reply line or status byte)."""
    original = faults.filter_tx

    def filter_tx(data: bytes) -> bytes:
        if skip(data) or index >= len(data):
            return original(data)
        faults.filter_tx = original  # type: ignore[method-assign]
        return original(data[:index] + bytes([data[index] ^ 0x40]) + data[index + 1 :])

    faults.filter_tx = filter_tx  # type: ignore[method-assign]


def _unprompted(chunk: bytes) -> bool:
    return chunk.startswith(b"I4 ")


# --- Mettler balance and Quantos on MT-SICS -------------------------------------------------------------------


def _fast(rig: QuantosRig, retries: int = 1) -> None:
    rig.balance._sics.timeout_s = 0.25
    rig.balance._sics.retries = retries


def _load_g(rig: QuantosRig) -> float:
    return 30.0  # the funnel on the pan (WorldConfig default); noise is a few digits of 0.01 g


async def test_balance_garbled_reply_is_never_a_value(quantos: QuantosRig) -> None:
    rig = quantos
    line_len = len(b"S S     30.00 g\r\n")
    for index in range(line_len):
        _fast(rig, retries=0)
        flip_next_reply(rig.faults, index, skip=_unprompted)
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await rig.balance.immediate_weight()
        _fast(rig, retries=1)
        flip_next_reply(rig.faults, index, skip=_unprompted)
        value = (await rig.balance.immediate_weight()).value
        assert value == pytest.approx(_load_g(rig), abs=0.05), index


async def test_balance_short_reply_then_next_call_is_correct(quantos: QuantosRig) -> None:
    rig = quantos
    await asyncio.sleep(
        0.05
    )  # let the connection's `I4` line pass first: drop_next counts from the next chunk
    for n in (1, 2, 3, 8, 15):
        _fast(rig, retries=0)
        rig.faults.drop_next(n)
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await rig.balance.immediate_weight()
        assert (await rig.balance.immediate_weight()).value == pytest.approx(_load_g(rig), abs=0.05)


async def test_balance_slow_reply(quantos: QuantosRig) -> None:
    rig = quantos
    _fast(rig, retries=0)
    rig.faults.reply_delay_s = 0.1
    assert (await rig.balance.immediate_weight()).value == pytest.approx(_load_g(rig), abs=0.05)
    rig.faults.reply_delay_s = 0.4
    with pytest.raises(DeviceTimeout):
        await rig.balance.immediate_weight()
    rig.faults.reply_delay_s = 0.0
    await asyncio.sleep(0.3)  # the late `S S …` arrives and is flushed before the next request
    tare = await advancing(rig.clock, rig.balance.tare())
    assert tare.value == pytest.approx(rig.unit.balance.tare_g, abs=1e-9)
    assert (await rig.balance.immediate_weight()).value == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("quantos", ["tcp"], indirect=True)
async def test_balance_dropped_link_reconnects_and_rereads(quantos: QuantosRig) -> None:
    rig = quantos
    _fast(rig)
    port = rig.balance._sics.port
    rig.faults.disconnect()
    await asyncio.sleep(0.05)
    assert not port.is_open
    assert (await rig.balance.immediate_weight()).value == pytest.approx(_load_g(rig), abs=0.05)
    assert port.reopens == 1
    rig.faults.reply_delay_s = 0.1
    read = asyncio.create_task(rig.balance.immediate_weight())
    await asyncio.sleep(0.03)
    rig.faults.disconnect()
    rig.faults.reply_delay_s = 0.0
    assert (await read).value == pytest.approx(_load_g(rig), abs=0.05)
    assert port.reopens == 2


async def test_quantos_garbled_settings_and_reads(quantos: QuantosRig) -> None:
    rig = quantos
    _fast(rig)
    for index in range(len(b"QRD 1 1 5 A\r\n")):
        flip_next_reply(rig.faults, index, skip=_unprompted)
        await rig.doser.set_target(4.75)  # absolute setting: resent after a garbled acknowledgement
        assert rig.unit.quantos.target_mg == 4750
    for index in range(len(b"QRD 2 3 7 2 A\r\n")):
        flip_next_reply(rig.faults, index, skip=_unprompted)
        state = await rig.doser.door_state()
        assert state.name == rig.unit.quantos.door.name


@pytest.mark.parametrize("quantos", ["tcp"], indirect=True)
async def test_quantos_dose_start_is_never_resent_and_the_result_is_read_after_reopen(
    quantos: QuantosRig,
) -> None:
    rig = quantos
    _fast(rig)
    await rig.doser.set_target(4.75)
    await rig.doser.set_tolerance(5.0)
    dose = asyncio.create_task(rig.doser.dose())
    async with asyncio.timeout(5):
        await until(rig.clock, rig.unit.quantos.dosing, step_s=0.0)
    await asyncio.sleep(0.05)
    rig.faults.disconnect()
    with pytest.raises(OutcomeUnknown):
        async with asyncio.timeout(5):
            await dose
    with pytest.raises(OutcomeUnknown):
        await rig.doser.dose()  # refused: the outcome of the first start is unknown
    with pytest.raises(DeviceReplyError):
        await rig.doser.last_dose_result()  # reopens the port; `I`: still dosing, no result yet
    async with asyncio.timeout(10):
        await until(rig.clock, lambda: not rig.unit.quantos.dosing())
    # The same driver reopens its port for the read; the result line is garbled once and re-read.
    flip_next_reply(rig.faults, 20, skip=lambda c: b"<Content" not in c)
    result = await rig.doser.last_dose_result()
    [record] = rig.unit.ledger.records()  # exactly one dose: the start was never resent
    assert result.value == pytest.approx(record.dispensed_g, abs=1e-4)
    assert rig.doser.outcome_unknown is False
    assert rig.balance._sics.port.reopens == 1


# --- Ismatec Reglo ICC -----------------------------------------------------------------------------------------


async def _quench_ready(rig: RegloRig, rate: float = 20.0) -> None:
    pump = rig.pump
    await pump.enable_channel_addressing()
    await pump.set_mode(PumpMode.VOLUME_AT_RATE)
    await pump.set_tubing(2.79)
    await pump.set_rate(rate)
    await pump.set_volume(50.0)


async def test_reglo_garbled_replies_are_never_values(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await _quench_ready(rig)
    channel = rig.unit.channels[1]
    for index in range(len(b"2000E+1\r\n")):
        pump.retries = 0
        flip_next_reply(rig.faults, index)
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await pump.get_rate()
        pump.retries = 2
        flip_next_reply(rig.faults, index)
        assert (await pump.get_rate()).value == channel.flow_ml_min == 20.0
    for command in (pump.is_running, pump.stop, pump.max_flow, pump.dispensed_volume):
        pump.retries = 0
        flip_next_reply(rig.faults, 0)
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await command()
        pump.retries = 2
        flip_next_reply(rig.faults, 0)
        await command()
    assert await pump.is_running() is False
    assert await pump.max_flow() == pytest.approx(channel.max_flow(), abs=0.01)


async def test_reglo_short_reply_then_next_call_is_correct(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await _quench_ready(rig)
    for n in (1, 3, 8):
        pump.retries = 0
        rig.faults.drop_next(n)
        with pytest.raises((ProtocolError, DeviceTimeout)):
            await pump.get_rate()
        assert (await pump.get_rate()).value == 20.0
    pump.retries = 0
    rig.faults.drop_next(1)  # the whole `*` of a stop
    with pytest.raises(DeviceTimeout):
        await pump.stop()
    assert await pump.is_running() is False


async def test_reglo_slow_reply(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await _quench_ready(rig)
    rig.faults.reply_delay_s = 0.1
    assert (await pump.get_rate()).value == 20.0
    pump.retries = 0
    rig.faults.reply_delay_s = 0.5
    with pytest.raises(DeviceTimeout):
        await pump.get_rate()
    rig.faults.reply_delay_s = 0.0
    await asyncio.sleep(0.4)
    assert await pump.is_running() is False  # not the late `2000E+1`
    assert (await pump.set_rate(10.0)).in_force == rig.unit.channels[1].flow_ml_min == 10.0


async def test_reglo_lost_start_reply_is_resolved_by_reading_e(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await _quench_ready(rig)
    channel = rig.unit.channels[1]
    flip_next_reply(rig.faults, 0)  # `*` → `j`
    await pump.start()  # running afterwards: the start took effect
    assert rig.unit.running(channel)
    await pump.stop()
    rig.faults.drop_next(1)  # the `*` is lost: timeout, then `E`
    await pump.start()
    assert rig.unit.running(channel)
    await pump.stop()
    assert len(rig.unit.ledger.records()) == 2  # two calls, two starts: `H` was never resent


async def test_reglo_lost_refusal_is_outcome_unknown(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await _quench_ready(rig, rate=25.0)
    await pump.set_tubing(2.06)  # the max flow drops below the rate: the pump answers `-`
    rig.faults.drop_next(1)
    with pytest.raises(OutcomeUnknown):
        await pump.start()
    assert not rig.unit.running(rig.unit.channels[1])
    assert rig.unit.ledger.records() == []


@pytest.mark.parametrize("reglo", ["tcp"], indirect=True)
async def test_reglo_dropped_link(reglo: RegloRig) -> None:
    rig, pump = reglo, reglo.pump
    await _quench_ready(rig)
    rig.faults.disconnect()
    await asyncio.sleep(0.05)
    assert (await pump.get_rate()).value == rig.unit.channels[1].flow_ml_min == 20.0
    assert rig.port.reopens == 1
    # Dropped while the answer to `H` is on its way: not resent; reopened, `E` says running.
    rig.faults.reply_delay_s = 0.1
    start = asyncio.create_task(pump.start())
    await asyncio.sleep(0.03)
    rig.faults.disconnect()
    rig.faults.reply_delay_s = 0.0
    await start
    assert rig.unit.running(rig.unit.channels[1])
    assert len(rig.unit.ledger.records()) == 1
    # And a stop (safe to repeat) across a dropped link.
    rig.faults.disconnect()
    await asyncio.sleep(0.05)
    await pump.stop()
    assert not rig.unit.running(rig.unit.channels[1])


def test_errors_are_device_errors() -> None:
    for cls in (DeviceTimeout, ProtocolError, DeviceDisconnected, OutcomeUnknown):
        assert issubclass(cls, DeviceError)
