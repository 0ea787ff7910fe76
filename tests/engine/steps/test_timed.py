"""Timed steps count process time while the step runs, journal it each minute, and continue after a restart
with what was left."""

from __future__ import annotations

from labctl.engine.steps.timed import stir, wait
from labctl.journal import Record
from labctl.protocol.steps import Stir, Wait
from tests.engine.steps.context import RecordingContext, drive


async def test_wait_takes_its_duration_and_journals_its_progress_every_minute() -> None:
    ctx = RecordingContext()
    step = Wait.model_validate({"step": "wait", "duration": "5 min"})
    assert await drive(wait(step, ctx), ctx) == 300
    assert ctx.data("step.progress") == [{"elapsed_s": float(s)} for s in (60, 120, 180, 240, 300)]


async def test_wait_after_a_restart_only_waits_for_what_was_left() -> None:
    earlier = Record(7, "r", 50.0, "", "step.progress", "s1", {"elapsed_s": 240.0})
    ctx = RecordingContext(earlier=[earlier])
    step = Wait.model_validate({"step": "wait", "duration": "5 min"})
    assert await drive(wait(step, ctx), ctx, period_s=2.0) == 30


async def test_stir_on_a_rig_without_a_stirrer_journals_the_speed_for_a_person_and_keeps_time() -> None:
    ctx = RecordingContext()
    step = Stir.model_validate({"step": "stir", "duration": "30 s", "speed": "300 rpm"})
    assert await drive(stir(step, ctx), ctx) == 30
    assert ctx.records == [("stir", {"speed_rpm": 300.0, "stirrer": "manual"})]
    assert ctx.stirrer_rpm == []
