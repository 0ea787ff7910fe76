"""A run's outcome says what happened to the batch: `completed` only when every step is done, every alarm
that needs a person was acknowledged and the batch is intact; otherwise `completed with deviations` or `batch
compromised`, with their own exit codes, in `labctl runs` and in the batch record."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState, Verb, exit_code
from labctl.engine.engine import Engine
from tests.dryrun.conftest import MGBR_STORAGE, run_dry
from tests.test_cli import labctl

UNDERSHOOTING = Path(__file__).resolve().parents[1] / "telemetry" / "undershooting-hold.yaml"
STORAGE_4H = {"storage_time": "4 h"}


class AcknowledgesAll:
    """Confirms prompts; acknowledges every alarm as soon as it is raised."""

    def __init__(self) -> None:
        self.prompts = SimulatedOperator()

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        for alarm in eng.alarms.unacknowledged():
            assert eng.command(Verb.ACK_ALARM, "chemist", alarm.id).accepted


async def test_an_alarm_nobody_acknowledged_ends_the_run_with_deviations(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, UNDERSHOOTING)
    assert run.result.state is RunState.COMPLETED_WITH_DEVIATIONS
    ended = run.first("run.state", to="completed with deviations")
    assert ended.data["reason"] == "all steps done; never acknowledged: stir-cold-excursion"
    assert run.of("run.ended")[-1].data["state"] == "completed with deviations"
    assert run.of("step.completed")[-1].step == "quench"  # every step ran


async def test_the_same_run_with_its_alarm_acknowledged_is_completed(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, UNDERSHOOTING, operator=AcknowledgesAll())
    assert run.first("alarm.acknowledged", id="stir-cold-excursion").data["by"] == "chemist"
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
@pytest.mark.parametrize("fault", ["chiller.compressor-failure"])
async def test_a_batch_marked_compromised_is_never_completed_even_with_every_alarm_acknowledged(
    tmp_path: Path, fault: str
) -> None:
    run = await run_dry(
        tmp_path, MGBR_STORAGE, faults=[(150 * 60, fault)], parameters=STORAGE_4H, operator=AcknowledgesAll()
    )
    assert run.of("batch.compromised")
    assert run.result.state is RunState.COMPROMISED
    assert run.of("run.ended")[-1].data == {"state": "batch compromised", "compromised": True}


def test_exit_codes_tell_the_outcomes_apart() -> None:
    codes = {state: exit_code(state) for state in RunState if state.finished}
    assert codes[RunState.COMPLETED] == 0
    assert codes[RunState.COMPLETED_WITH_DEVIATIONS] == 3
    assert codes[RunState.COMPROMISED] == 4
    assert {codes[s] for s in (RunState.ABORTED, RunState.FAILED, RunState.HALTED)} == {1}


def test_the_command_line_says_the_outcome_with_its_exit_code(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    result = labctl("dry-run", UNDERSHOOTING, "--journal", journal, "--report", tmp_path / "record.html")
    assert result.returncode == 3, result.stdout
    assert ": completed with deviations after" in result.stdout
    runs = labctl("runs", "--journal", journal)
    assert "completed with deviations" in runs.stdout
    page = (tmp_path / "record.html").read_text(encoding="utf-8")
    assert 'class="outcome-other">completed with deviations</span>' in page
