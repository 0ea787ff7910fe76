"""Portion-wise dosing against the simulated Quantos over its socket: each start journalled before it goes
out, each portion settled from the doser's own record, nothing started while a gate is shut."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from labctl.engine.steps.dosing import dose_solid
from labctl.engine.supervisor import Supervisor
from labctl.protocol.steps import DoseSolid
from tests.engine.bench import Bench
from tests.engine.steps.context import RecordingContext, advance, drive_on_bench


def dose(**fields: Any) -> DoseSolid:
    return DoseSolid.model_validate(
        {
            "step": "dose_solid",
            "material": "kmno4",
            "total": "0.6 g",
            "portions": 3,
            "min_interval": "30 s",
            "tolerance": "3 %",
            "gate": ["Tr <= 40 °C"],
            **fields,
        }
    )


@pytest.fixture
async def supervisor(bench: Bench) -> Supervisor:
    """The chiller regulating (the permit asks for it); no stirrer instrument in the snapshot: stirring is not
    what these tests are about."""
    assert bench.devices.chiller is not None
    await bench.devices.chiller.start_temperature_control()
    return Supervisor(bench.devices.chiller, bench.clock, 1.0, None, balance=bench.devices.balance)


async def test_each_portion_is_journalled_before_its_start_and_settled_from_the_dosers_record(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    await drive_on_bench(dose_solid(dose(), ctx), ctx, bench, supervisor)
    commands = [s.command for s in ctx.sent]
    assert commands[:2] == ["tolerance", "last-dose"]
    assert commands[2:] == ["target", "sample-id", "last-dose"] * 3
    assert [d["portion"] for d in ctx.data("portion.start")] == [1, 2, 3]
    tag = ctx.run_id[-6:] if ctx.run_id else ""
    assert [d["sample_id"] for d in ctx.data("portion.start")] == [f"{tag}-1", f"{tag}-2", f"{tag}-3"]
    results = ctx.data("portion.result")
    assert [r["outcome"] for r in results] == ["done"] * 3
    assert all(r["dispensed_g"] == pytest.approx(0.2, rel=0.03) for r in results)
    doser_ledger = bench.sim.ledgers()["doser"]
    assert [round(r["dispensed_g"], 4) for r in results] == [round(e["dispensed_g"], 4) for e in doser_ledger]
    completed = ctx.data("dose.completed")
    assert completed == [
        {"planned_g": 0.6, "dispensed_g": round(sum(r["dispensed_g"] for r in results), 4), "portions": 3}
    ]
    assert ctx.additions_running == set()
    assert ctx.doser_answers == 3


async def test_portions_keep_the_minimum_interval_between_starts(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    await drive_on_bench(dose_solid(dose(min_interval="2 min"), ctx), ctx, bench, supervisor)
    starts = ctx.times("portion.start")
    assert len(starts) == 3
    assert all(later - earlier >= 120.0 for earlier, later in itertools.pairwise(starts))


async def test_no_portion_starts_while_the_gate_is_shut_and_the_wait_is_journalled(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    ctx.snapshot = await supervisor.poll()
    moves = dose_solid(dose(gate=["Tr <= -50 °C"]), ctx)
    assert await advance(moves, ctx, 20)
    assert ctx.data("portion.start") == []
    assert [s.command for s in ctx.sent] == ["tolerance", "last-dose"]
    waiting = ctx.data("portion.waiting")
    assert len(waiting) == 1
    assert waiting[0]["portion"] == 1
    assert any("Tr <= -50" in reason for reason in waiting[0]["for"])
    assert ctx.progress is not None
    assert ctx.progress.startswith("portion 1/3 waits for")
    await moves.aclose()


async def test_a_run_blocker_holds_the_portion_like_a_gate(bench: Bench, supervisor: Supervisor) -> None:
    ctx = RecordingContext(devices=bench.devices, blockers=["run paused"])
    ctx.snapshot = await supervisor.poll()
    moves = dose_solid(dose(), ctx)
    assert await advance(moves, ctx, 5)
    assert ctx.data("portion.waiting") == [{"portion": 1, "for": ["run paused"]}]
    assert ctx.data("portion.start") == []
    await moves.aclose()
