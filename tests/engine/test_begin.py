"""What a run records about its plan when it begins: steps under the journal's names, a dose with the portion
count the engine doses, and the checker's findings. Readers (the batch record, the dashboard topics) rely on
these instead of re-deriving the engine's rules."""

from __future__ import annotations

from pathlib import Path

from labctl.engine.begin import begin_run
from labctl.journal import Journal
from labctl.protocol.loader import parse_protocol
from labctl.rig.loader import load_rig

ROOT = Path(__file__).resolve().parents[2]
SCALE_UP = ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"


def _unnamed_dose_by_size() -> str:
    """The scale-up with its dose step unnamed and given as 5 g portions."""
    return (
        SCALE_UP.read_text()
        .replace("  - id: kmno4-addition\n    step: dose_solid", "  - step: dose_solid")
        .replace("portions: 10", "portion: 5 g")
        .replace("during: [kmno4-addition, stir-cold]", "during: [stir-cold]")
        .replace(
            "during: [kmno4-addition, stir-cold, ready-to-quench]", "during: [stir-cold, ready-to-quench]"
        )
    )


def test_steps_are_recorded_under_the_journal_s_names_with_the_engine_s_portion_count(tmp_path: Path) -> None:
    loaded = parse_protocol(_unnamed_dose_by_size(), "unnamed.yaml", {})
    journal = Journal(tmp_path / "journal.sqlite")
    run_id = begin_run(journal, loaded, load_rig(ROOT / "rigs" / "sim.yaml"), mode="dry-run")
    (plan,) = [r.data for r in journal.records(run_id, "protocol.loaded")]
    steps = {s["id"]: s for s in plan["steps"]}
    assert list(steps)[3:6] == ["cold", "step-5", "stir-cold"]  # as step.started names it: step-<position>
    assert (steps["step-5"]["portion"], steps["step-5"]["portion_count"]) == (
        5.0,
        10,
    )  # 47.5 g in 5 g portions
    assert all("portion_count" not in s for name, s in steps.items() if name != "step-5")
    assert [r.kind for r in journal.records(run_id)] == ["protocol.loaded", "protocol.checked"]
    journal.close()
