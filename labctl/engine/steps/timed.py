"""Steps that only let time pass while supervision goes on."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from labctl.protocol.steps import Stir, Wait

if TYPE_CHECKING:
    from labctl.engine.engine import Engine


PROGRESS_EVERY_S = 60.0


def elapsed_before(eng: Engine) -> float:
    """Time this step had already counted before a restart (its last `progress` record)."""
    marks = [r.data["elapsed_s"] for r in eng.previous() if r.kind == "step.progress"]
    return float(marks[-1]) if marks else 0.0


class Progress:
    """Journals a timed step's counted time every minute, so a restart continues with what is left."""

    def __init__(self, eng: Engine) -> None:
        self._eng = eng
        self._noted = eng.now()

    def note(self, elapsed_s: float) -> None:
        now = self._eng.now()
        if now - self._noted >= PROGRESS_EVERY_S:
            self._eng.record("step.progress", {"elapsed_s": round(elapsed_s, 3)})
            self._noted = now


async def timer(eng: Engine, duration: float) -> AsyncGenerator[None, None]:
    """Counts process time while the step runs: time while labctl was down does not count."""
    elapsed, last, progress = elapsed_before(eng), eng.now(), Progress(eng)
    while elapsed < duration - 1e-9:
        yield
        now = eng.now()
        elapsed, last = elapsed + now - last, now
        progress.note(elapsed)


async def wait(step: Wait, eng: Engine) -> AsyncGenerator[None, None]:
    async for move in timer(eng, step.duration):
        yield move


async def stir(step: Stir, eng: Engine) -> AsyncGenerator[None, None]:
    """The stirrer at the step's speed (or its own) and running; it keeps running after the step. A manual
    stirrer is set by a person: the speed is journalled, the time is kept."""
    driver = eng.devices.drivers.get("stirrer", "manual") if eng.devices.stirrer is not None else "manual"
    eng.record("stir", {"speed_rpm": step.speed, "stirrer": driver})
    if eng.devices.stirrer is not None:
        await eng.stirring_guard.run_at(step.speed)
    async for move in timer(eng, step.duration):
        yield move
