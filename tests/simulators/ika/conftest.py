"""The EUROSTAR simulator on a real socket over the world's stirrer plant, on a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from simulators.clock import ManualClock
from simulators.ika import Eurostar, serve_ika_tcp
from simulators.serving import TcpServer
from simulators.world import World, WorldConfig
from tests.simulators.wire import WireClient, tcp_client


@dataclass
class Bench:
    clock: ManualClock
    world: World
    unit: Eurostar
    server: TcpServer


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=2)
    unit = Eurostar(world.stirrer, clock)
    server = await serve_ika_tcp(unit)
    try:
        yield Bench(clock, world, unit, server)
    finally:
        await server.aclose()


@pytest.fixture
async def client(bench: Bench) -> AsyncIterator[WireClient]:
    c = await tcp_client(bench.server.port)
    try:
        yield c
    finally:
        await c.close()
