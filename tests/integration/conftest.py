"""A simulated rig in the test's own event loop: the physics world on a manual clock, instruments served on real
sockets and pseudo-terminals, drivers connected to them by URL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from devices.huber_modbus import HuberModbus
from devices.huber_pb import HuberPB
from devices.roles import Chiller
from simulators.clock import ManualClock
from simulators.huber.modbus import serve_modbus
from simulators.huber.pb import serve_pty, serve_tcp
from simulators.huber.thermostat import Thermostat
from simulators.world import World, WorldConfig


@dataclass
class HuberRig:
    clock: ManualClock
    world: World
    unit: Thermostat
    chiller: Chiller


HUBER_LINKS = ["pb-tcp", "pb-pty", "modbus-tcp"]


async def _connect(link: str, unit: Thermostat) -> tuple[Chiller, Callable[[], Awaitable[None]]]:
    if link == "pb-tcp":
        server = await serve_tcp(unit, reply_delay_s=0.0)
        chiller: HuberPB | HuberModbus = await HuberPB.open(
            f"socket://127.0.0.1:{server.port}", timeout_s=0.3
        )
        return chiller, server.close
    if link == "pb-pty":
        pty = await serve_pty(unit, reply_delay_s=0.0)
        chiller = await HuberPB.open(pty.path, timeout_s=0.3)
        return chiller, pty.close
    modbus = await serve_modbus(unit)
    chiller = HuberModbus("127.0.0.1", modbus.port, timeout_s=0.3)
    await chiller.connect()
    return chiller, modbus.close


@pytest.fixture(params=HUBER_LINKS)
async def huber(request: pytest.FixtureRequest) -> AsyncIterator[HuberRig]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=7)
    unit = Thermostat(world.thermostat, clock)
    chiller, close_server = await _connect(request.param, unit)
    try:
        yield HuberRig(clock, world, unit, chiller)
    finally:
        await chiller.close()
        await close_server()
