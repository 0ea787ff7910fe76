"""The quench judged by what the rig can confirm: the pump's stop cause and counter, and the reactor's warming.
An empty reservoir or a blocked line holds the run for a person with the quench marked as it really is."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.engine.control import RunState
from tests.dryrun.conftest import DryRun, run_dry
from tests.dryrun.test_control import ChemistWhoAcknowledges

QUENCH_S = 185.9 * 60  # the quench's pump starts at 185.9 min with seed 1
BEFORE_QUENCH_S = 180 * 60


def _never_completed(run: DryRun) -> None:
    assert run.result.state is RunState.HALTED  # nobody came: held, then halted, never `completed`
    assert run.of("quench.completed") == []


async def test_an_empty_reservoir_is_not_a_quench_whatever_the_pump_counted(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, faults=[(BEFORE_QUENCH_S, "pump.reservoir-empty")])
    unconfirmed = run.first("quench.unconfirmed")
    assert unconfirmed.data["counted_ml"] == pytest.approx(50.0)
    assert unconfirmed.data["delivered"] == "not confirmed"
    assert unconfirmed.data["rise_K"] < 1.0
    alarm = run.first("alarm.raised", id="quench-unconfirmed")
    assert "NOT quenched" in alarm.data["message"]
    assert run.first("run.state", to="paused").t_s == unconfirmed.t_s
    assert len(run.of("pump.start")) == 1  # no second start without a person
    assert sum(r["delivered_ml"] for r in run.result.ledgers["pump"]) == 0.0
    _never_completed(run)


@pytest.mark.long
@pytest.mark.parametrize(
    ("fault", "at_s", "code"),
    [("pump.occlusion", BEFORE_QUENCH_S, "3"), ("pump.occlusion", QUENCH_S + 20, "3"),
     ("pump.overheated", QUENCH_S + 10, "2")],
)  # fmt: skip
async def test_a_pump_that_stops_short_holds_the_run_with_what_was_delivered(
    tmp_path: Path, fault: str, at_s: float, code: str
) -> None:
    run = await run_dry(tmp_path, faults=[(at_s, fault)])
    short = run.first("pump.stopped-short")
    assert short.data["code"] == code
    incomplete = run.first("quench.incomplete")
    delivered = incomplete.data["delivered_ml"]
    assert delivered == pytest.approx(short.data["total_ml"])
    assert incomplete.data["missing_ml"] == pytest.approx(50.0 - delivered)
    commanded = sum(r["commanded_ml"] for r in run.result.ledgers["pump"])
    assert delivered == pytest.approx(commanded, abs=0.01)  # the record says what the pump really moved
    assert run.first("alarm.raised", id="pump-stopped-short")
    assert len(run.of("pump.start")) == 1  # never restarted by itself
    _never_completed(run)


@pytest.mark.long
async def test_a_person_clears_the_line_and_resumes_and_the_rest_is_pumped(tmp_path: Path) -> None:
    fixed = QUENCH_S + 15 * 60
    run = await run_dry(
        tmp_path,
        faults=[(QUENCH_S + 20, "pump.occlusion"), (fixed - 60, "pump.occlusion-cleared")],
        operator=ChemistWhoAcknowledges(fixed),
    )
    starts = run.of("pump.start")
    assert len(starts) >= 2
    assert starts[1].t_s >= fixed
    done = run.first("quench.completed")
    assert done.data["moved_ml"] == pytest.approx(50.0, abs=0.1)
    assert run.first("quench.confirmed")
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
async def test_a_refilled_reservoir_is_quenched_again_after_the_resume(tmp_path: Path) -> None:
    fixed = QUENCH_S + 20 * 60
    run = await run_dry(
        tmp_path,
        faults=[(BEFORE_QUENCH_S, "pump.reservoir-empty"), (fixed - 60, "pump.reservoir-refilled")],
        operator=ChemistWhoAcknowledges(fixed),
    )
    unconfirmed = run.first("quench.unconfirmed")
    again = [r for r in run.of("quench.started") if r.t_s > unconfirmed.t_s]
    assert again
    assert again[0].data["remaining_ml"] == pytest.approx(50.0)
    assert run.first("quench.confirmed").t_s > unconfirmed.t_s
    assert run.result.state is RunState.COMPLETED
