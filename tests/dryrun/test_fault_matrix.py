"""The fault matrix's rules, and a selection of its cells within CI's time (the whole matrix:
benchmarks/bench_fault_matrix.py). The rules are tried first on journals written to break each one, so a cell
that passes means something."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labctl.dryrun.run import DryRunResult
from labctl.engine.control import RunState
from labctl.journal import Record
from simulators.clock import ManualClock
from simulators.rig import SimulatedRig
from tests.dryrun.conftest import DryRun
from tests.dryrun.fault_matrix import CELLS, FAULTS, TARGETS, Cell, Fault, judge

SCALE_UP = TARGETS[0]
AT = SCALE_UP.critical_s


def _cell(label: str, target: str = "scale-up") -> Cell:
    return next(c for c in CELLS if c.fault.label == label and c.target.name == target)


DONE = {"doser": [{"dispensed_g": 4.75}] * 10, "pump": [{"delivered_ml": 30.0}, {"delivered_ml": 20.0}]}


def _run(
    *records: tuple[float, str, str | None, dict[str, Any]],
    outcome: str = "completed",
    ledgers: dict[str, list[dict[str, Any]]] = DONE,
) -> DryRun:
    rows = [*records, (AT + 9000.0, "run.ended", None, {"state": outcome})]
    built = [Record(i, "r", t, "", kind, step, data) for i, (t, kind, step, data) in enumerate(rows)]
    result = DryRunResult("r", RunState(outcome), Path("j"), ledgers, [])
    return DryRun(result, built)


def _state(t: float, to: str, reason: str) -> tuple[float, str, str | None, dict[str, Any]]:
    return (t, "run.state", None, {"from": "x", "to": to, "reason": reason, "by": "labctl"})


def _portion(t: float) -> tuple[float, str, str | None, dict[str, Any]]:
    return (t, "portion.start", "kmno4-addition", {"portion": 3})


def _reading(t: float, tr: float | None) -> tuple[float, str, str | None, dict[str, Any]]:
    return (t, "reading", "kmno4-addition", {"Tr_C": tr})


def _alarm(t: float, kind: str, alarm: str) -> tuple[float, str, str | None, dict[str, Any]]:
    return (t, kind, None, {"id": alarm, "level": "alarm", "message": "m"})


POWER = _cell("chiller power off 2 min")
STIRRER_SLOW = _cell("stirrer link slow 10 min")
BROKEN = _cell("chiller compressor failure")


def test_a_clean_journal_keeps_every_rule() -> None:
    run = _run(
        _reading(AT, 2.0),
        _alarm(AT + 5, "alarm.raised", "chiller-lost"),
        _state(AT + 5, "tripped", "interlock chiller-lost"),
        _alarm(AT + 200, "alarm.acknowledged", "chiller-lost"),
        _state(AT + 200, "running", "operator resume"),
        _portion(AT + 260),
        _reading(AT + 300, 6.5),
    )
    verdict = judge(POWER, run)
    assert verdict.problems == []
    assert verdict.tr_max_c == 6.5
    assert verdict.alarms == ["chiller-lost"]
    assert verdict.recovered == "yes"


@pytest.mark.parametrize(
    ("records", "found"),
    [
        ([_alarm(AT + 5, "alarm.raised", "chiller-lost")], "completed with chiller-lost never acknowledged"),
        (
            [
                _alarm(AT + 5, "alarm.raised", "tr-high"),
                _alarm(AT + 9, "alarm.acknowledged", "tr-high"),
                _alarm(AT + 30, "alarm.raised", "tr-high"),
            ],
            "completed with tr-high never acknowledged",  # raised again after its acknowledgement
        ),
        ([(AT + 50, "batch.compromised", None, {"interlock": "x"})], "completed with the batch compromised"),
    ],
    ids=["open alarm", "raised again", "compromised"],
)
def test_a_completed_run_that_hides_something_is_untruthful(
    records: list[tuple[float, str, str | None, dict[str, Any]]], found: str
) -> None:
    assert found in judge(POWER, _run(*records)).problems


@pytest.mark.parametrize(
    ("ledgers", "found"),
    [
        ({**DONE, "doser": [{"dispensed_g": 4.75}] * 9}, "completed having dosed 42.8 g of 47.5 g"),
        ({**DONE, "doser": [*DONE["doser"], {"dispensed_g": None}]}, None),  # a start it refused adds nothing
        ({**DONE, "doser": [{"dispensed_g": 4.75}] * 11}, "completed having dosed 52.2 g of 47.5 g"),
        ({**DONE, "pump": [{"delivered_ml": 30.0}]}, "completed having pumped 30 mL of 50 mL"),
        ({"doser": DONE["doser"]}, "completed having pumped 0 mL of 50 mL"),
    ],
    ids=[
        "a portion short",
        "a refused start",
        "a portion too many",
        "quench stopped short",
        "never quenched",
    ],
)
def test_a_completed_run_must_have_done_its_plan_as_the_instruments_recorded_it(
    ledgers: dict[str, list[dict[str, Any]]], found: str | None
) -> None:
    problems = judge(POWER, _run(ledgers=ledgers)).problems
    assert problems == ([] if found is None else [found])
    assert judge(POWER, _run(ledgers=ledgers, outcome="halted")).problems == [
        "a fault put right at 45.5 min, yet the run ended halted"
    ]


@pytest.mark.parametrize(
    ("cell", "records", "found"),
    [
        (POWER, [_portion(AT + 60)], "portion started at 44.5 min"),  # while the chiller is off
        (STIRRER_SLOW, [_portion(AT + 400)], "portion started at 50.2 min"),  # while the stirrer link is slow
        (
            _cell("doser link silent 2 min"),
            [
                _state(AT + 3, "tripped", "interlock"),
                _portion(AT + 30),
                _state(AT + 90, "running", "operator resume"),
            ],
            "portion started at 44.0 min",  # inside a trip nobody resumed yet
        ),
        (
            _cell("pump occluded 5 min"),
            [
                _state(SCALE_UP.quench_s or 0.0, "emergency", "x"),
                (11190.0, "command", None, {"device": "pump", "command": "start"}),
            ],
            "pump started at 186.5 min",
        ),
    ],
    ids=["chiller off", "stirrer link slow", "inside a trip", "pump in an emergency"],
)
def test_an_addition_while_unsafe_breaks_the_rules(
    cell: Cell, records: list[tuple[float, str, str | None, dict[str, Any]]], found: str
) -> None:
    problems = judge(cell, _run(*records)).problems
    assert any(found in p for p in problems), problems


def test_a_portion_after_the_fault_is_put_right_and_a_resume_is_allowed() -> None:
    run = _run(
        _state(AT + 3, "tripped", "interlock chiller-lost"),
        _state(AT + 190, "running", "operator resume"),
        _portion(AT + 200),
    )
    assert judge(POWER, run).problems == []


def test_too_warm_counts_until_the_limit_ends_and_not_for_a_broken_compressor() -> None:
    hot = [_reading(AT + 300, 12.0)]  # the power back for 3 min
    assert "Tr reached 12.00 °C (limit 10 °C)" in judge(POWER, _run(*hot)).problems
    quenching = [(AT + 290, "step.started", "quench", {}), _reading(AT + 300, 12.0)]
    assert judge(POWER, _run(*quenching)).problems == []
    assert judge(BROKEN, _run(*hot, outcome="halted")).problems == []


@pytest.mark.parametrize(
    ("after_s", "problem"), [(60.0, False), (1190.0, False), (1210.0, True), (3000.0, True)]
)
def test_a_power_cut_is_physics_until_the_jacket_had_as_long_again(after_s: float, problem: bool) -> None:
    """KCp*/MgBr without power for 10 min: nothing cools, so Tr is labctl's to answer for from 20 min on."""
    cell = _cell("chiller power off 10 min", "KCp*/MgBr")
    warm = [(cell.at_s + after_s, "reading", "react", {"Tr_C": -37.0})]
    problems = judge(cell, _run(*warm, outcome="batch compromised")).problems
    assert problems == (["Tr reached -37.00 °C (limit -40 °C)"] if problem else [])


@pytest.mark.parametrize(
    ("pumped", "unconfirmed", "found"),
    [
        ([9.4, 50.0], 1, None),  # ran dry part-way, seen, pumped again in full
        ([0.0, 50.0, 50.0], 2, None),
        ([9.4, 50.0], 0, "completed having pumped 59.4 mL of 50 mL"),  # pumped twice, nobody said why
        ([9.4, 50.0, 50.0, 50.0], 1, "completed having pumped 159 mL of 50 mL"),
        ([9.4], 1, "completed having pumped 9.4 mL of 50 mL"),
    ],
    ids=["again once", "again twice", "unexplained", "more than the re-pumps", "never again"],
)
def test_a_quench_a_person_saw_fall_short_may_hold_one_plan_more_per_time(
    pumped: list[float], unconfirmed: int, found: str | None
) -> None:
    seen = [(AT + 100.0 + i, "quench.unconfirmed", "quench", {}) for i in range(unconfirmed)]
    ledgers = {**DONE, "pump": [{"delivered_ml": v} for v in pumped]}
    assert judge(POWER, _run(*seen, ledgers=ledgers)).problems == ([] if found is None else [found])


def test_a_missing_reading_is_not_a_cold_one() -> None:
    verdict = judge(POWER, _run(_reading(AT + 60, None)))
    assert verdict.tr_max_c is None


@pytest.mark.parametrize("outcome", ["halted", "completed with deviations", "aborted"])
def test_a_fault_put_right_must_end_completed(outcome: str) -> None:
    problems = judge(POWER, _run(outcome=outcome)).problems
    assert any("put right at 45.5 min, yet the run ended" in p for p in problems), problems


def test_a_fault_that_stays_need_not_recover_and_a_power_cut_may_cost_the_batch() -> None:
    assert judge(BROKEN, _run(outcome="halted")).recovered == "-"
    assert judge(BROKEN, _run(outcome="halted")).problems == []
    assert judge(POWER, _run(outcome="batch compromised")).problems == []


def test_every_fault_the_simulated_rig_knows_is_in_the_matrix() -> None:
    """A fault added to the rig without a row here would never be tried."""
    named = set(SimulatedRig(ManualClock(), seed=1).fault_names)
    used = {f.start for f in FAULTS} | {f.clear for f in FAULTS if f.clear is not None}
    assert named - used == set()
    assert used - named == set()


def test_every_fault_is_tried_on_every_protocol() -> None:
    assert len(CELLS) == len(FAULTS) * len(TARGETS)
    assert len({(c.target.name, c.fault.label) for c in CELLS}) == len(CELLS)
    assert all(isinstance(f, Fault) for f in FAULTS)


SELECTION = [
    ("MgBr storage", "chiller power off 10 min"),
    ("KCp*/MgBr", "chiller power off 2 min"),
    ("KCp*/MgBr", "process probe lost 10 min"),
    ("5 mmol", "pump reservoir empty 5 min"),
]
"""Kinds no other dry-run test tries: a long power cut in storage, one in the other MgBr protocol, a lost probe in
a hold only 3 K below the loss, and a reservoir that runs dry part-way through a quench no Tr rise can confirm
(slow links: tests/dryrun/test_slow_links.py, test_stirring.py; the rest: benchmarks/bench_fault_matrix.py)."""


@pytest.mark.long
@pytest.mark.parametrize(("target", "label"), SELECTION, ids=[f"{t}: {f}" for t, f in SELECTION])
async def test_a_cell_of_the_matrix_keeps_every_rule(tmp_path: Path, target: str, label: str) -> None:
    cell = _cell(label, target)
    verdict = judge(cell, await cell.run(tmp_path))
    assert verdict.problems == []
    assert verdict.recovered == "yes"
    assert verdict.tr_max_c is not None or cell.fault.phase == "quench"  # Tr is judged until the quench
