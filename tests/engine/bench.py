"""A simulated rig served over real sockets, with labctl's drivers connected to it: for the engine's parts that
talk to instruments (the supervisor, the guards, the dosing and pumping steps, the engine itself)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from devices.rig_devices import RigDevices
from labctl.dryrun.clock import FastForwardClock
from labctl.protocol.loader import LoadedProtocol
from simulators.rig import SimulatedRig
from tests.dryrun.wired import wired

PROTOCOL = Path(__file__).parents[2] / "protocols" / "kmno4-dihydroxylation-5mmol.yaml"


@dataclass
class Bench:
    sim: SimulatedRig
    devices: RigDevices
    clock: FastForwardClock
    loaded: LoadedProtocol


@asynccontextmanager
async def open_bench(protocol: Path = PROTOCOL) -> AsyncIterator[Bench]:
    rig = await wired(protocol)
    devices = await rig.devices()
    try:
        yield Bench(rig.sim, devices, rig.clock, rig.loaded)
    finally:
        await devices.close()
        await rig.sim.close()
