from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.devices.peer import ScriptedPeer, Step

MakePeer = Callable[..., Awaitable[ScriptedPeer]]


@pytest.fixture
async def scripted() -> AsyncIterator[MakePeer]:
    peers: list[ScriptedPeer] = []

    async def make(*steps: Step, step_timeout_s: float = 5.0) -> ScriptedPeer:
        peer = await ScriptedPeer(list(steps), step_timeout_s=step_timeout_s).start()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        await peer.stop()


class FakeClock:
    """Steppable clock so tests can check that readings carry the time they were taken."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
