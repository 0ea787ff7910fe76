"""Steps a person completes: a manual charge, or a prompt to read and confirm."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from labctl.engine.step_context import StepContext
from labctl.journal.kinds import RecordKind
from labctl.protocol.steps import Charge, Prompt


async def confirmed(ctx: StepContext, message: str) -> AsyncGenerator[None, None]:
    opened = ctx.open_prompt(message)
    while not opened.answered:
        yield


async def charge(step: Charge, ctx: StepContext) -> AsyncGenerator[None, None]:
    async for move in confirmed(ctx, step.instruction):
        yield move
    ctx.record(RecordKind.CHARGE_CONFIRMED, {"materials": step.materials})


async def prompt(step: Prompt, ctx: StepContext) -> AsyncGenerator[None, None]:
    async for move in confirmed(ctx, step.message.strip()):
        yield move
