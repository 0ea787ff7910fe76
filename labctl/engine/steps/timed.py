"""Steps that only let time pass while supervision goes on."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from labctl.engine.step_context import StepContext
from labctl.journal.kinds import RecordKind
from labctl.protocol.steps import Stir, Wait

PROGRESS_EVERY_S = 60.0


def elapsed_before(ctx: StepContext) -> float:
    """Time this step had already counted before a restart (its last `progress` record)."""
    marks = [r.data["elapsed_s"] for r in ctx.previous() if r.kind == RecordKind.STEP_PROGRESS]
    return float(marks[-1]) if marks else 0.0


class Progress:
    """Journals a timed step's counted time every minute, so a restart continues with what is left."""

    def __init__(self, ctx: StepContext) -> None:
        self._ctx = ctx
        self._noted = ctx.now()

    def note(self, elapsed_s: float) -> None:
        now = self._ctx.now()
        if now - self._noted >= PROGRESS_EVERY_S:
            self._ctx.record(RecordKind.STEP_PROGRESS, {"elapsed_s": round(elapsed_s, 3)})
            self._noted = now


async def timer(ctx: StepContext, duration: float) -> AsyncGenerator[None, None]:
    """Counts process time while the step runs: time while labctl was down does not count."""
    elapsed, last, progress = elapsed_before(ctx), ctx.now(), Progress(ctx)
    while elapsed < duration - 1e-9:
        yield
        now = ctx.now()
        elapsed, last = elapsed + now - last, now
        progress.note(elapsed)


async def wait(step: Wait, ctx: StepContext) -> AsyncGenerator[None, None]:
    async for move in timer(ctx, step.duration):
        yield move


async def stir(step: Stir, ctx: StepContext) -> AsyncGenerator[None, None]:
    """The stirrer at the step's speed (or its own) and running; it keeps running after the step. A manual
    stirrer is set by a person: the speed is journalled, the time is kept."""
    driver = ctx.devices.drivers.get("stirrer", "manual") if ctx.devices.stirrer is not None else "manual"
    ctx.record(RecordKind.STIR, {"speed_rpm": step.speed, "stirrer": driver})
    if ctx.devices.stirrer is not None:
        await ctx.run_stirrer(step.speed)
    async for move in timer(ctx, step.duration):
        yield move
