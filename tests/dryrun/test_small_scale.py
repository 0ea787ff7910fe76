"""The 5 mmol procedure runs to its end: its charge starts at room temperature, so the Tr > 20 °C emergency
guards only the dosing and the hold (it tripped the run in its first second before)."""

from __future__ import annotations

from pathlib import Path

from labctl.engine.control import RunState
from labctl.journal.kinds import RecordKind
from tests.dryrun.conftest import PROTOCOLS, run_dry


async def test_the_5_mmol_protocol_completes_with_all_five_portions(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, PROTOCOLS / "kmno4-dihydroxylation-5mmol.yaml")
    # The dry run's world is the 1 L jacket: the heat balance sees 40 times the protocol's heat capacity and
    # refuses; the dry-run operator lets dosing go on the model alone, and the alarm stays for a reviewer.
    assert run.result.state is RunState.COMPLETED_WITH_DEVIATIONS
    assert [r.data["id"] for r in run.of("alarm.raised")] == ["calibration-rejected"]
    assert run.first("calorimetry.waived").data["by"] == "dry-run operator"
    assert [r for r in run.of("interlock") if r.data["id"] == "tr-emergency"] == []
    assert [r.data["outcome"] for r in run.of("portion.result")] == ["done"] * 5
    assert [r.step for r in run.of("step.completed")][-1] == "done"
    kinds = {r.kind for r in run.records}
    assert kinds <= set(RecordKind)  # the vocabulary holds every kind a whole run writes
    assert len(kinds) >= 25
