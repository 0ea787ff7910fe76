"""The quench against the simulated pump: pumped behind its permissive, confirmed by a person who looked at the
reservoir, and pumped again in full when they saw less leave it."""

from __future__ import annotations

from typing import Any

import pytest

from labctl.engine.steps.quench import UNCONFIRMED_ALARM, quench
from labctl.engine.supervisor import Supervisor
from labctl.protocol.steps import Quench
from tests.engine.bench import Bench
from tests.engine.steps.context import RecordingContext, advance


def step(**fields: Any) -> Quench:
    return Quench.model_validate(
        {
            "step": "quench",
            "material": "quench",
            "volume": "5 mL",
            "rate": "10 mL/min",
            "permissive": ["Tr <= 40 °C"],
            **fields,
        }
    )


@pytest.fixture
def supervisor(bench: Bench) -> Supervisor:
    return Supervisor(bench.devices.chiller, bench.clock, 1.0, None)


async def until_asked(
    moves: Any, ctx: RecordingContext, bench: Bench, supervisor: Supervisor, asked: int
) -> None:
    """Cycles on the bench until the step has opened its `asked`-th prompt."""
    for _ in range(200):
        if len(ctx.prompts) >= asked:
            return
        assert await advance(moves, ctx, 1)
        await bench.clock.sleep(1.0)
        ctx.t, ctx.snapshot = bench.clock.now(), await supervisor.poll()
    raise AssertionError("the quench never asked for the reservoir to be checked")


async def test_the_quench_ends_once_a_person_saw_its_volume_leave_the_reservoir(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    ctx.t, ctx.snapshot = bench.clock.now(), await supervisor.poll()
    moves = quench(step(), ctx)
    await until_asked(moves, ctx, bench, supervisor, 1)
    asked = ctx.prompts[0]
    assert asked.delivery is not None
    assert asked.delivery.device == "pump"
    assert asked.delivery.planned_ml == 5.0
    assert "confirm only if 5 mL left it" in asked.message
    assert ctx.kinds()[:2] == ["pump.start", "quench.started"]
    assert await advance(moves, ctx, 3)  # waits for the person
    assert "quench.completed" not in ctx.kinds()
    asked.answered_by = "ana"
    assert not await advance(moves, ctx, 1)
    completed = ctx.data("quench.completed")
    assert len(completed) == 1
    assert completed[0]["planned_ml"] == 5.0
    assert completed[0]["moved_ml"] == pytest.approx(5.0, abs=0.05)
    assert completed[0]["seen_by"] == "ana"
    assert completed[0]["confirmed_by"] == "pump counter and a person at the reservoir"


async def test_a_person_who_saw_less_leave_has_it_pumped_again_in_full(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    ctx.t, ctx.snapshot = bench.clock.now(), await supervisor.poll()
    moves = quench(step(), ctx)
    await until_asked(moves, ctx, bench, supervisor, 1)
    first = ctx.prompts[0]
    assert first.on_decline is not None
    first.declined_by = "ana"
    first.on_decline("ana")
    unconfirmed = ctx.data("quench.unconfirmed")
    assert len(unconfirmed) == 1
    assert unconfirmed[0]["seen_by"] == "ana"
    assert UNCONFIRMED_ALARM in ctx.alarms
    await until_asked(moves, ctx, bench, supervisor, 2)
    assert len(ctx.data("quench.started")) == 2
    assert ctx.data("pump.start")[-1]["volume_ml"] == 5.0  # the whole volume again
    assert UNCONFIRMED_ALARM in ctx.cleared
    await moves.aclose()


async def test_nothing_is_pumped_while_the_permissive_does_not_hold(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    ctx.t, ctx.snapshot = bench.clock.now(), await supervisor.poll()
    moves = quench(step(permissive=["Tr <= -50 °C"]), ctx)
    assert await advance(moves, ctx, 10)
    assert ctx.sent == []
    assert ctx.records == []
    await moves.aclose()
