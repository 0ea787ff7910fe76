"""Steps that only let time pass while supervision goes on."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from labctl.protocol.steps import Stir, Wait

if TYPE_CHECKING:
    from labctl.engine.engine import Engine


async def until(eng: Engine, deadline: float) -> AsyncGenerator[None, None]:
    while eng.now() < deadline - 1e-9:
        yield


async def wait(step: Wait, eng: Engine) -> AsyncGenerator[None, None]:
    async for move in until(eng, eng.now() + step.duration):
        yield move


async def stir(step: Stir, eng: Engine) -> AsyncGenerator[None, None]:
    """The rig's stirrer is set by hand (no stirrer driver yet): the speed is journalled, the time is kept."""
    eng.record("stir", {"speed_rpm": step.speed, "stirrer": "manual"})
    async for move in until(eng, eng.now() + step.duration):
        yield move
