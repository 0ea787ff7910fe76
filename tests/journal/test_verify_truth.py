"""`labctl verify`, `runs` and `resume` tell the truth about a journal: intact, its tail lost, ended by a write
failure, or tampered with — each one line and a non-zero exit but the first, through the installed command.

A lost tail is made as it happens: the writer keeps the journal open (its newest pages only in the `-wal` file),
and the journal is copied beside its head file without the `-wal` file. A checkpoint (real SQLite, from a second
connection) at a chosen record decides how much the copy still holds.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from labctl.journal import Journal, JournalIncomplete, JournalWriteError
from labctl.journal.chain import link
from labctl.journal.head import head_path, read_head
from labctl.journal.integrity import Finding, check_run
from tests.journal.test_write_failure import disk_full
from tests.test_cli import labctl

RUN = {
    "mode": "run",
    "protocol_file": "p.yaml",
    "protocol_sha256": "0" * 64,
    "protocol_text": "steps: []\n",
    "parameters": {"n": 10},
    "rig_name": "bench-1",
    "rig_text": "rig: bench-1\n",
}


@dataclass
class Writing:
    """A run being written, its journal open as a controller keeps it."""

    path: Path
    journal: Journal
    run_id: str
    seqs: dict[str, int]

    def write(self, name: str, t_s: float, kind: str, **data: object) -> int:
        self.seqs[name] = self.journal.append(t_s, kind, dict(data), step="kmno4-addition")
        return self.seqs[name]

    def checkpoint(self) -> None:
        """Everything committed so far into the main file (what a long run's automatic checkpoints do)."""
        with closing(sqlite3.connect(self.path)) as db:
            busy, _, _ = db.execute("PRAGMA wal_checkpoint(FULL)").fetchone()
        assert busy == 0

    def copy_without_wal(self, to: Path) -> Path:
        to.mkdir()
        shutil.copy(self.path, to / self.path.name)
        shutil.copy(head_path(self.path), head_path(to / self.path.name))
        assert not (to / (self.path.name + "-wal")).exists()
        return to / self.path.name


@pytest.fixture
def writing(tmp_path: Path) -> Iterator[Writing]:
    path = tmp_path / "live" / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    w = Writing(path, j, run_id, {})
    w.write("started", 0.0, "run.started", protocol="KMnO4", rig="bench-1")
    for i in (1, 2):
        w.write(f"start {i}", 60.0 * i, "portion.start", portion=i)
        w.write(f"result {i}", 60.0 * i + 30, "portion.result", portion=i, dispensed_g=4.75)
    yield w
    w.journal.close()


def _runs(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT run_id FROM runs")]


# -- a lost tail -------------------------------------------------------------------------------------------------


SEQUENCE = [
    ("started", 0.0, "run.started", {"protocol": "KMnO4"}),
    ("start 1", 60.0, "portion.start", {"portion": 1}),
    ("result 1", 90.0, "portion.result", {"portion": 1, "dispensed_g": 4.75}),
    ("start 2", 120.0, "portion.start", {"portion": 2}),
    ("result 2", 150.0, "portion.result", {"portion": 2, "dispensed_g": 4.75}),
    ("start 3", 180.0, "portion.start", {"portion": 3}),
]


@pytest.mark.parametrize("kept", ["run row", "started", "result 1", "result 2"])
def test_a_tail_lost_after_any_record_is_named_with_the_missing_range(tmp_path: Path, kept: str) -> None:
    """The copy holds the journal as it was at `kept` (the run row: no record of it at all); the rest, through
    portion 3's start, was only in the lost WAL."""
    path = tmp_path / "live" / "journal.sqlite"
    j = Journal(path)
    w = Writing(path, j, j.create_run(**RUN), {})
    if kept == "run row":
        w.checkpoint()
    for name, t_s, kind, data in SEQUENCE:
        w.write(name, t_s, kind, **data)
        if name == kept:
            w.checkpoint()
    copy = w.copy_without_wal(tmp_path / "copy")
    j.close()
    last_kept, last = w.seqs.get(kept, 0), w.seqs["start 3"]

    done = labctl("verify", w.run_id, "--journal", copy)
    assert done.returncode == 1, done.stdout
    [line] = done.stdout.splitlines()
    assert line.startswith(f"run {w.run_id}: journal incomplete: ")
    assert f"the head file says the run was written up to record {last} " in line
    if not last_kept:
        missing = f"its records up to {last} are missing"
    elif last_kept + 1 == last:
        missing = f"record {last} is missing"
    else:
        missing = f"records {last_kept + 1}-{last} are missing"
    assert missing in line
    assert line.endswith("(its -wal file missing?)")

    listed = labctl("runs", "--journal", copy)
    assert listed.returncode == 1
    assert listed.stdout.startswith(
        f"error: journal incomplete: {copy}: run {w.run_id} was written up to record"
    )
    assert "no runs yet" not in listed.stdout

    resumed = labctl("resume", w.run_id, "--journal", copy)
    assert resumed.returncode == 1
    assert f"journal incomplete: {copy}: run {w.run_id} was written up to record {last}" in resumed.stdout
    assert "(its -wal file missing?)" in resumed.stdout


@pytest.mark.parametrize("lost", [1, 2, 5])
def test_the_missing_range_counts_every_lost_record(writing: Writing, tmp_path: Path, lost: int) -> None:
    writing.checkpoint()
    kept = writing.seqs["result 2"]
    for i in range(lost):
        writing.write(f"lost {i}", 200.0 + i, "step.progress", i=i)
    copy = writing.copy_without_wal(tmp_path / "copy")
    with closing(Journal(copy, incomplete_ok=True)) as j:
        integrity = check_run(j, writing.run_id)
        [shortfall] = j.shortfalls
    assert integrity.finding is Finding.TAIL_LOST
    assert shortfall.found_seq == kept
    assert shortfall.promised.seq == kept + lost
    expected = (
        f"record {kept + 1} is missing" if lost == 1 else f"records {kept + 1}-{kept + lost} are missing"
    )
    assert expected in integrity.message
    with pytest.raises(JournalIncomplete) as caught:
        Journal(copy)
    assert caught.value.path == copy
    assert caught.value.shortfalls == (shortfall,)


def test_resume_refuses_the_run_whose_portion_3_start_was_lost(writing: Writing, tmp_path: Path) -> None:
    """The reviewers' case: the tail after portion 2 lost, and a resume that would have sent portion 3 again."""
    writing.checkpoint()
    writing.write("start 3", 180.0, "portion.start", portion=3)
    copy = writing.copy_without_wal(tmp_path / "copy")
    before = copy.read_bytes()
    done = labctl("resume", writing.run_id, "--journal", copy)
    assert done.returncode == 1
    assert done.stdout.startswith("error: journal incomplete: ")
    assert "resuming" not in done.stdout
    assert copy.read_bytes() == before  # nothing written to it
    # and the original, with its WAL, still verifies
    assert labctl("verify", writing.run_id, "--journal", writing.path).returncode == 0


# -- a journal without its WAL -----------------------------------------------------------------------------------


def test_a_journal_copied_without_its_wal_is_incomplete_not_empty(writing: Writing, tmp_path: Path) -> None:
    copy = writing.copy_without_wal(tmp_path / "copy")  # nothing checkpointed: the tables are in the WAL
    for args in (["runs"], ["verify", writing.run_id], ["resume", writing.run_id]):
        done = labctl(*args, "--journal", copy)
        assert done.returncode == 1, (args, done.stdout)
        assert "no runs yet" not in done.stdout
        assert (
            f"error: journal incomplete: {copy}: it holds no table, though its head file names 1 run(s)"
            in (done.stdout)
        )
        assert "(its -wal file missing?)" in done.stdout


def test_a_journal_copied_without_its_wal_or_its_head_file_is_still_incomplete(
    writing: Writing, tmp_path: Path
) -> None:
    copy = writing.copy_without_wal(tmp_path / "copy")
    head_path(copy).unlink()
    done = labctl("runs", "--journal", copy)
    assert done.returncode == 1
    assert done.stdout.strip() == (
        f"error: journal incomplete: {copy}: a write-ahead-log journal without its tables (its -wal file missing?)"
    )
    assert "runs" not in {row[0] for row in sqlite3.connect(copy).execute("SELECT name FROM sqlite_master")}


def test_an_empty_journal_beside_a_head_file_that_names_runs_is_incomplete(
    writing: Writing, tmp_path: Path
) -> None:
    other = tmp_path / "other" / "journal.sqlite"
    Journal(other).close()  # a journal with its tables and no run
    shutil.copy(head_path(writing.path), head_path(other))
    done = labctl("runs", "--journal", other)
    assert done.returncode == 1
    assert f"run {writing.run_id} (last record {writing.seqs['result 2']}" in done.stdout
    assert "is not in it at all (its -wal file missing?)" in done.stdout
    verified = labctl("verify", writing.run_id, "--journal", other)
    assert verified.returncode == 1
    assert verified.stdout.startswith(f"run {writing.run_id}: journal incomplete: the head file says")
    assert "does not hold the run" in verified.stdout


def test_an_older_run_intact_is_not_passed_while_a_newer_one_lost_its_tail(
    writing: Writing, tmp_path: Path
) -> None:
    first = writing.run_id
    writing.journal.close()
    writing.journal = Journal(writing.path)
    second = writing.journal.create_run(**RUN)
    writing.journal.append(0.0, "run.started", {})
    writing.checkpoint()
    writing.journal.append(1.0, "portion.start", {"portion": 1})
    copy = writing.copy_without_wal(tmp_path / "copy")
    done = labctl("verify", first, "--journal", copy)
    assert done.returncode == 1
    assert done.stdout.startswith(
        f"run {first}: 5 records, chain intact, but journal incomplete: run {second}"
    )
    assert sorted(_runs(copy)) == sorted([first, second])


# -- intact, and a write failure ---------------------------------------------------------------------------------


def test_an_intact_journal_with_its_head_file_verifies(writing: Writing) -> None:
    writing.journal.close()
    writing.journal = Journal(writing.path)
    done = labctl("verify", writing.run_id, "--journal", writing.path)
    assert done.returncode == 0, done.stdout
    state = read_head(writing.path)
    assert state is not None
    head = state.heads[writing.run_id]
    assert head.seq == writing.seqs["result 2"]
    assert done.stdout.strip() == f"run {writing.run_id}: 5 records, chain intact; last hash {head.hash}"


@pytest.mark.parametrize("moment", ["first record", "mid-batch", "durable record"])
def test_a_journal_that_ended_on_a_full_disk_says_so(tmp_path: Path, moment: str) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    if moment != "first record":
        j.append(0.0, "run.started", {"protocol": "KMnO4"})
    if moment == "mid-batch":
        for i in range(3):
            j.append(float(i), "reading", {"Tr_C": 2.0 + i}, durable=False)
    disk_full(j)
    with pytest.raises(JournalWriteError):
        j.append(60.0, "portion.start", {"portion": 1, "pad": "x" * 4000}, step="kmno4-addition")
    j._db.execute("PRAGMA query_only = 1")  # the controller dies before the disk has room again
    j.close()
    kept = 0 if moment == "first record" else 1

    done = labctl("verify", run_id, "--journal", path)
    assert done.returncode == 1
    [line] = done.stdout.splitlines()
    assert line.startswith(f"run {run_id}: ended by a write failure at ")
    assert "(SQLITE_FULL: database or disk is full)" in line
    assert f"the {kept} records up to record {kept} are intact" in line
    assert line.endswith("not written after it: 1 portion.start")
    assert "altered" not in line

    # once there is room, a resume records the failure and the chain goes on
    j = Journal(path)
    j.open_run(run_id)
    j.append(120.0, "run.resumed", {})
    j.close()
    again = labctl("verify", run_id, "--journal", path)
    assert again.returncode == 0, again.stdout
    assert "chain intact; last hash " in again.stdout
    assert "1 write failure(s) recorded (record " in again.stdout


# -- real tampering ----------------------------------------------------------------------------------------------


def _tamper(path: Path, sql: str, *args: object) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TRIGGER records_no_update")
        db.execute("DROP TRIGGER records_no_delete")
        db.execute(sql, args)


@pytest.mark.parametrize("which", ["started", "result 1", "result 2"])
def test_an_edited_record_is_still_called_altered(writing: Writing, which: str) -> None:
    writing.journal.close()
    seq = writing.seqs[which]
    _tamper(writing.path, "UPDATE records SET data = replace(data, '\"', '\"') || ' ' WHERE seq = ?", seq)
    done = labctl("verify", writing.run_id, "--journal", writing.path)
    assert done.returncode == 1
    assert f"record {seq} (" in done.stdout
    assert "does not match the chain: it was altered, or one before it removed" in done.stdout
    writing.journal = Journal(writing.path)


def test_a_removed_last_record_is_a_lost_tail_by_the_head_file(writing: Writing) -> None:
    """The chain alone cannot see it; the head file can."""
    writing.journal.close()
    last = writing.seqs["result 2"]
    _tamper(writing.path, "DELETE FROM records WHERE seq = ?", last)
    done = labctl("verify", writing.run_id, "--journal", writing.path)
    assert done.returncode == 1
    assert f"record {last} is missing (its -wal file missing?)" in done.stdout
    writing.journal = Journal(writing.path, incomplete_ok=True)


def test_a_chain_rewritten_from_an_edited_record_on_is_caught_by_the_head_file(writing: Writing) -> None:
    """Someone re-hashes every record from the edited one on: the chain is valid again, the head file is not."""
    writing.journal.close()
    with closing(sqlite3.connect(writing.path)) as db:
        rows = db.execute(
            "SELECT seq, t_s, wall, kind, step, data, hash FROM records ORDER BY seq"
        ).fetchall()
    previous = rows[1][6]
    edits = []
    for seq, t_s, wall, kind, step, data, _ in rows[2:]:
        edited = data.replace("4.75", "4.70")
        previous = link(previous, t_s=t_s, wall=wall, kind=kind, step=step, data_text=edited)
        edits.append((edited, previous, seq))
    with closing(sqlite3.connect(writing.path)) as db, db:
        db.execute("DROP TRIGGER records_no_update")
        db.executemany("UPDATE records SET data = ?, hash = ? WHERE seq = ?", edits)
    done = labctl("verify", writing.run_id, "--journal", writing.path)
    assert done.returncode == 1
    last = writing.seqs["result 2"]
    assert done.stdout.startswith(f"run {writing.run_id}: record {last} is not the one the head file names")
    assert "rewritten" in done.stdout
    writing.journal = Journal(writing.path)
