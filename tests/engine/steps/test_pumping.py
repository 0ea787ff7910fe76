"""Pump additions against the simulated Reglo over its socket: settings, a start journalled before it goes
out, the volume read back from the pump, and a run that ends short held for a person."""

from __future__ import annotations

import pytest

from labctl.engine.alarms import Level
from labctl.engine.steps.pumping import SHORT_ALARM, pump
from labctl.engine.supervisor import Supervisor
from labctl.protocol.steps import Pump
from tests.engine.bench import Bench
from tests.engine.steps.context import RecordingContext, advance, drive_on_bench

STEP = Pump.model_validate({"step": "pump", "material": "quench", "volume": "5 mL", "rate": "10 mL/min"})


@pytest.fixture
def supervisor(bench: Bench) -> Supervisor:
    return Supervisor(bench.devices.chiller, bench.clock, 1.0, None)


async def test_a_pump_step_moves_its_volume_and_counts_it_from_the_pump(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    cycles = await drive_on_bench(pump(STEP, ctx), ctx, bench, supervisor)
    assert 25 <= cycles <= 40  # 5 mL at 10 mL/min, and the cycle that sees it stopped
    assert [s.command for s in ctx.sent] == ["mode", "rate", "volume", "dispensed", "start", "dispensed"]
    assert ctx.kinds() == ["pump.start", "pump.result", "pump.completed"]
    assert ctx.kinds().index("pump.start") == 0  # journalled before the start went out
    start = ctx.data("pump.start")[0]
    assert start["volume_ml"] == 5.0
    assert start["rate_ml_min"] == 10.0
    moved = ctx.data("pump.result")[0]["moved_ml"]
    assert moved == pytest.approx(5.0, abs=0.05)
    assert ctx.data("pump.completed") == [{"planned_ml": 5.0, "moved_ml": round(moved, 3)}]
    assert ctx.additions_running == set()
    assert ctx.alarms == {}


async def test_no_start_while_an_addition_is_blocked(bench: Bench, supervisor: Supervisor) -> None:
    ctx = RecordingContext(devices=bench.devices, blockers=["run paused"])
    moves = pump(STEP, ctx)
    assert await advance(moves, ctx, 10)
    assert ctx.sent == []
    assert ctx.records == []
    await moves.aclose()


async def test_a_run_the_pump_ends_short_is_an_alarm_and_a_pause(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    ctx.snapshot = await supervisor.poll()
    moves = pump(STEP, ctx)
    assert await advance(moves, ctx, 1)  # started, running
    assert "pump" in ctx.additions_running
    bench.sim.inject("pump.occlusion")
    for _ in range(20):
        await bench.clock.sleep(1.0)
        assert await advance(moves, ctx, 1)
        if ctx.pauses:
            break
    short = ctx.data("pump.stopped-short")
    assert len(short) == 1
    assert short[0]["planned_ml"] == 5.0
    assert short[0]["moved_ml"] < 5.0
    assert ctx.alarms[SHORT_ALARM][0] is Level.ALARM
    assert len(ctx.pauses) == 1
    assert ctx.additions_running == set()
    await moves.aclose()
