"""Steps a person completes: a manual charge, or a prompt to read and confirm."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from labctl.protocol.steps import Charge, Prompt

if TYPE_CHECKING:
    from labctl.engine.engine import Engine


async def confirmed(eng: Engine, message: str) -> AsyncGenerator[None, None]:
    opened = eng.open_prompt(message)
    while not opened.answered:
        yield


async def charge(step: Charge, eng: Engine) -> AsyncGenerator[None, None]:
    async for move in confirmed(eng, step.instruction):
        yield move
    eng.record("charge.confirmed", {"materials": step.materials})


async def prompt(step: Prompt, eng: Engine) -> AsyncGenerator[None, None]:
    async for move in confirmed(eng, step.message.strip()):
        yield move
