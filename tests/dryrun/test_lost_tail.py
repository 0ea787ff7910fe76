"""A journal that lost its tail must not lead to a second dose: the doser's own last record decides.

The scale-up runs until portion 3 is dispensed and the controller dies; the journal is then cut back to an earlier
record (as a damaged WAL would leave it) and the run resumed on the same simulated rig, whose doser remembers its
last dose. The simulator's ledger is the truth about what was dispensed."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState
from labctl.engine.engine import Engine
from labctl.engine.resume import resume_point
from labctl.journal import Journal, Record
from simulators.rig import SimulatedRig
from tests.dryrun.conftest import SCALE_UP
from tests.dryrun.wired import wired

CRASH_AFTER_RESULTS = 3


class ControllerDied(Exception):
    """Stands in for the process dying: the engine's own `finally` still runs, as after SIGTERM."""


class DiesAfterPortion:
    def __init__(self, results: int) -> None:
        self.prompts = SimulatedOperator()
        self.results = results

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        if len(list(eng.journal.records(eng.journal.run_id, kind="portion.result"))) >= self.results:
            raise ControllerDied


def _cut(journal: Path, copy: Path, keep_before: int) -> None:
    """The journal as a lost tail leaves it: every record from `keep_before` on is gone, the chain still whole."""
    shutil.copy(journal, copy)
    with sqlite3.connect(copy) as db:
        db.execute("DROP TRIGGER records_no_delete")
        db.execute("DELETE FROM records WHERE seq >= ?", (keep_before,))


def _seq(records: list[Record], kind: str, portion: int) -> int:
    return next(r.seq for r in records if r.kind == kind and r.data.get("portion") == portion)


async def _crash_then_resume(
    tmp_path: Path, cut_at: tuple[str, int] | None
) -> tuple[Journal, str, SimulatedRig]:
    bench = await wired(SCALE_UP)
    first = Journal(tmp_path / "journal.sqlite")
    run_id = bench.begin(first)
    devices = await bench.devices()
    with pytest.raises(ExceptionGroup) as died:  # raised in the engine's task group
        await bench.run(bench.engine(devices, first, DiesAfterPortion(CRASH_AFTER_RESULTS)))
    assert died.group_contains(ControllerDied)
    await devices.close()
    records = list(first.records(run_id))
    first.close()
    damaged = tmp_path / "damaged.sqlite"
    keep_before = _seq(records, *cut_at) if cut_at is not None else records[-1].seq + 1
    _cut(tmp_path / "journal.sqlite", damaged, keep_before)
    journal = Journal(damaged)
    journal.open_run(run_id)
    point = resume_point(journal, run_id, bench.loaded.protocol)
    assert point is not None
    devices = await bench.devices()
    try:
        await bench.run(bench.engine(devices, journal, SimulatedOperator()), point)
    finally:
        await devices.close()
    return journal, run_id, bench.sim


def _doses(sim: SimulatedRig) -> list[str]:
    return [d["sample_id"] for d in sim.ledgers()["doser"]]


@pytest.mark.parametrize(
    "cut_at",
    [("portion.start", 3), ("portion.result", 2)],
    ids=["portion-3-start-lost", "portion-2-result-lost"],
)
async def test_a_start_the_journal_lost_is_never_sent_again(tmp_path: Path, cut_at: tuple[str, int]) -> None:
    journal, run_id, sim = await _crash_then_resume(tmp_path, cut_at)
    try:
        assert len(_doses(sim)) == CRASH_AFTER_RESULTS  # nothing dispensed after the resume
        unjournalled = next(journal.records(run_id, kind="portion.unjournalled"))
        assert unjournalled.data["doser_last_sample_id"] == _doses(sim)[-1]
        alarm = next(
            r
            for r in journal.records(run_id, kind="alarm.raised")
            if r.data["id"] == "doser-ahead-of-journal"
        )
        assert "not in the journal" in alarm.data["message"]
        ended = list(journal.records(run_id, kind="run.ended"))[-1]
        assert ended.data["state"] == str(RunState.HALTED)  # held for a person, never dosed on
    finally:
        journal.close()
        await sim.close()


@pytest.mark.long
async def test_a_journal_that_kept_every_start_resumes_and_doses_each_portion_once(tmp_path: Path) -> None:
    journal, run_id, sim = await _crash_then_resume(tmp_path, ("portion.result", 3))
    try:
        doses = _doses(sim)
        assert len(doses) == 10
        assert len(set(doses)) == 10
        assert list(journal.records(run_id, kind="portion.unjournalled")) == []
        ended = list(journal.records(run_id, kind="run.ended"))[-1]
        assert ended.data["state"] == str(RunState.COMPLETED)
    finally:
        journal.close()
        await sim.close()
