"""Nominal means nominal: each shipped protocol, with no fault, ends `completed` with no trip and no alarm on
seeds other than the one the README quotes (the scale-up tripped on seeds 4, 5, 8 and 10, the KCp*/MgBr run
marked its batch compromised: tests/engine/test_mgbr.py; its runs take a minute each). The whole sweep over seeds
1–20 and every protocol is benchmarks/bench_nominal_seeds.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.journal import Record
from tests.dryrun.conftest import PROTOCOLS, run_dry
from tests.dryrun.nominal import nominal_figures

CASES = [
    ("kmno4-dihydroxylation-scaleup", 4, None),
    ("kmno4-dihydroxylation-scaleup", 5, None),
    ("kmno4-dihydroxylation-scaleup", 8, None),
    ("kmno4-dihydroxylation-scaleup", 10, None),
    ("kmno4-dihydroxylation-5mmol", 2, None),
    ("kmno4-dihydroxylation-5mmol", 7, None),
    ("mgbr-cold-storage", 6, {"storage_time": "2 h"}),
]


EXPECTED_ALARMS = {"kmno4-dihydroxylation-5mmol": ["calibration-rejected"]}
"""The dry run's world is the 1 L jacket: for the 50 mL protocol the heat balance sees 40 times the heat capacity
the protocol declares, refuses its calibration, and the dry-run operator lets dosing go on the model alone."""


@pytest.mark.long
@pytest.mark.parametrize(("name", "seed", "parameters"), CASES)
async def test_a_nominal_run_ends_clean(
    tmp_path: Path, name: str, seed: int, parameters: dict[str, str] | None
) -> None:
    run = await run_dry(tmp_path, PROTOCOLS / f"{name}.yaml", seed=seed, parameters=parameters)
    figures = nominal_figures(run.records)
    expected = EXPECTED_ALARMS.get(name, [])
    assert figures.trips == []
    assert figures.alarms == expected
    assert not figures.compromised
    outcome = "completed with deviations" if expected else "completed"
    assert figures.outcome == outcome
    assert str(run.result.state) == outcome
    if name.endswith("scaleup"):
        _within_the_mtsr_cap(run.records)


def _within_the_mtsr_cap(records: list[Record]) -> None:
    """The MTSR gate is judged with the portion counted in, as the checker plans it: the model's estimate stays
    within the cap (plus what a portion may overdose by), and the fastest rise stays clear of the 1 K/min trip."""
    dosing = [r.data for r in records if r.kind == "reading" and r.step == "kmno4-addition"]
    assert max(d.get("MTSR_model_C", d["MTSR_C"]) for d in dosing if d["MTSR_C"] is not None) <= 25.05
    # the heat balance may learn the batch holds a little more than the model said: less than the alarm's 2 K
    assert max(d["MTSR_C"] for d in dosing if d["MTSR_C"] is not None) < 25.0 + 2.0
    assert max(d["dTr_dt_K_min"] for d in dosing if d["dTr_dt_K_min"] is not None) < 0.9
    releases = [r.data["portion"] for r in records if r.kind == "portion.start"]
    assert releases == list(range(1, 11))
