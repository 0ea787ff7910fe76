"""Steps a person completes: they wait for the prompt to be answered, whoever answers it."""

from __future__ import annotations

from labctl.engine.steps.manual import charge, prompt
from labctl.protocol.steps import Charge, Prompt
from tests.engine.steps.context import RecordingContext, advance


async def test_charge_waits_for_the_confirmation_then_journals_the_materials() -> None:
    ctx = RecordingContext()
    step = Charge.model_validate(
        {
            "step": "charge",
            "materials": ["alkene", "acetone"],
            "instruction": "Charge the alkene and acetone.",
        }
    )
    moves = charge(step, ctx)
    assert await advance(moves, ctx, 5)
    assert [p.message for p in ctx.prompts] == ["Charge the alkene and acetone."]
    assert ctx.records == []
    ctx.prompts[0].answered_by = "ana"
    assert not await advance(moves, ctx, 1)
    assert ctx.records == [("charge.confirmed", {"materials": ["alkene", "acetone"]})]


async def test_prompt_shows_its_message_trimmed_and_ends_once_answered() -> None:
    ctx = RecordingContext()
    step = Prompt.model_validate({"step": "prompt", "message": "  Take a sample.\n"})
    moves = prompt(step, ctx)
    assert await advance(moves, ctx, 3)
    assert ctx.prompts[0].message == "Take a sample."
    ctx.prompts[0].answered_by = "ana"
    assert not await advance(moves, ctx, 1)
    assert ctx.records == []
    assert len(ctx.prompts) == 1
