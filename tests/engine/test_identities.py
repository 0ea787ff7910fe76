"""The rig's instrument identities, asked of a whole simulated rig over real sockets: every role answers with the
simulators' own identity, and an instrument that is silent or talks garbage gets an error entry without stopping
the others."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from devices.reglo import RegloICC
from devices.rig_devices import RigDevices
from labctl.engine.identities import identify_instruments
from labctl.rig.connect import connect_rig
from labctl.rig.loader import parse_rig
from labctl.sim.serve import rig_yaml
from simulators.clock import ManualClock
from simulators.rig import Endpoints, SimulatedRig
from simulators.serving import garble

QUANTOS = {"model": "XPE205", "serial": "B021002593", "firmware": None}
IDENTIFIED = {
    "chiller": {"driver": "huber-pb", "model": None, "serial": "123456", "firmware": None},
    "doser": {"driver": "quantos", **QUANTOS},
    "balance": {"driver": "mt-sics", **QUANTOS},
    "quench_pump": {"driver": "reglo-icc", "model": "REGLO ICC", "serial": None, "firmware": "0208"},
    "stirrer": {"driver": "ika-eurostar", "model": "EUROSTAR 60 control", "serial": None, "firmware": None},
}
MANUAL = {"driver": "manual", "model": "manual", "serial": None, "firmware": None}
TIMEOUT_S = 0.5


@dataclass
class Bench:
    sim: SimulatedRig
    clock: ManualClock
    endpoints: Endpoints
    opened: list[RigDevices]

    async def connect(self, edit: Callable[[str], str] = lambda text: text) -> RigDevices:
        """The rig as `labctl sim serve` writes it, opened by `connect_rig` like a real run opens its rig."""
        loaded = parse_rig(edit(rig_yaml(self.endpoints, 1.0)), "<test rig>")
        devices = await connect_rig(loaded.rig, self.clock.now)
        self.opened.append(devices)
        return devices


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    clock = ManualClock()
    sim = SimulatedRig(clock, seed=1)
    endpoints = await sim.serve(huber_reply_delay_s=0.0)
    b = Bench(sim, clock, endpoints, [])
    try:
        yield b
    finally:
        for devices in b.opened:
            await devices.close()
        await sim.close()


def _on_modbus(bench: Bench) -> Callable[[str], str]:
    urls = bench.endpoints.urls()
    return lambda text: text.replace("driver: huber-pb", "driver: huber-modbus").replace(
        urls["chiller"] + "\n", urls["chiller_modbus"] + "\n"
    )


async def test_every_role_gives_the_simulators_identity(bench: Bench) -> None:
    devices = await bench.connect()
    identities = await identify_instruments(devices, timeout_s=TIMEOUT_S)
    assert identities == IDENTIFIED
    assert list(identities) == list(IDENTIFIED)  # the rig file's order
    assert json.loads(json.dumps(identities)) == identities
    # The values are the simulators' own, not copies of the test's expectations.
    assert identities["chiller"]["serial"] == str(bench.sim.thermostat.serial_number)
    assert identities["balance"]["serial"] == bench.sim.mettler.config.balance.serial
    assert bench.sim.reglo.model_line.startswith("REGLO ICC 0208 ")


async def test_a_role_filled_by_hand_is_named_manual_in_the_record(bench: Bench) -> None:
    url = bench.endpoints.urls()["stirrer"]

    def by_hand(text: str) -> str:
        return text.replace("driver: ika-eurostar", "driver: manual").replace(f"    port: {url}\n", "")

    devices = await bench.connect(by_hand)
    assert devices.stirrer is None
    identities = await identify_instruments(devices, timeout_s=TIMEOUT_S)
    assert identities == {**IDENTIFIED, "stirrer": MANUAL}


async def test_the_chiller_on_modbus_gives_the_same_serial(bench: Bench) -> None:
    devices = await bench.connect(_on_modbus(bench))
    identities = await identify_instruments(devices, timeout_s=TIMEOUT_S)
    assert identities["chiller"] == {**IDENTIFIED["chiller"], "driver": "huber-modbus"}


async def test_a_silent_chiller_is_an_error_entry_and_the_others_are_still_identified(bench: Bench) -> None:
    devices = await bench.connect()
    bench.sim.inject("chiller.link-silent")
    t0 = time.monotonic()
    identities = await identify_instruments(devices, timeout_s=TIMEOUT_S)
    assert time.monotonic() - t0 < 3 * TIMEOUT_S  # asked at once, not one timeout after another
    assert identities == {
        **IDENTIFIED,
        "chiller": {"driver": "huber-pb", "error": "TimeoutError: no identity within 0.5 s"},
    }
    bench.sim.inject("chiller.link-restored")
    assert devices.chiller is not None
    assert (await devices.chiller.identity()).serial == "123456"  # the abandoned request left the link usable


async def test_a_pump_talking_garbage_is_a_typed_error_entry(bench: Bench) -> None:
    devices = await bench.connect()
    bench.sim.pump_wire.mangle = garble(0, 0x40)  # every reply's first byte: `R` becomes a control character
    identities = await identify_instruments(devices, timeout_s=TIMEOUT_S)
    entry = identities["quench_pump"]
    assert set(entry) == {"driver", "error"}
    assert entry["driver"] == "reglo-icc"
    assert entry["error"] is not None
    assert entry["error"].startswith("ProtocolError: pump: unparseable reply b'\\x12EGLO ICC 0208 306\\r\\n'")
    assert {role: e for role, e in identities.items() if role != "quench_pump"} == {
        role: e for role, e in IDENTIFIED.items() if role != "quench_pump"
    }


async def test_a_balance_port_that_never_answers_fails_both_of_its_roles(bench: Bench) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1024):
            pass
        writer.close()

    silent = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        balance_url = bench.endpoints.urls()["balance"]
        devices = await bench.connect(lambda text: text.replace(balance_url, f"socket://127.0.0.1:{port}"))
        identities = await identify_instruments(devices, timeout_s=TIMEOUT_S)
        timed_out = "TimeoutError: no identity within 0.5 s"
        assert identities == {
            **IDENTIFIED,
            "doser": {"driver": "quantos", "error": timed_out},
            "balance": {"driver": "mt-sics", "error": timed_out},
        }
    finally:
        for devices in bench.opened:
            await devices.close()
        bench.opened.clear()
        silent.close()
        await silent.wait_closed()


async def test_devices_not_opened_from_a_rig_file_have_no_driver_name(bench: Bench) -> None:
    pump = await RegloICC.open(bench.endpoints.urls()["pump"], name="pump")
    devices = RigDevices("by-hand", pump=pump)
    bench.opened.append(devices)
    assert await identify_instruments(devices) == {
        "quench_pump": {"driver": None, "model": "REGLO ICC", "serial": None, "firmware": "0208"}
    }


async def test_the_doser_s_deadline_starts_when_the_balance_has_answered_on_their_shared_port(
    bench: Bench,
) -> None:
    devices = await bench.connect()
    bench.sim.balance_wire.reply_delay_s = 0.1  # each of I2 and I4 takes 0.1 s: 0.2 s per role
    identities = await identify_instruments(devices, timeout_s=0.3)
    assert (identities["balance"], identities["doser"]) == (IDENTIFIED["balance"], IDENTIFIED["doser"])
