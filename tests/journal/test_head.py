"""The head file beside the journal: what it says after each commit, and that it never claims more than is on
disk."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from labctl.journal import Journal, JournalWriteError
from labctl.journal import journal as journal_module
from labctl.journal.chain import genesis
from labctl.journal.head import BLOCK, KEPT_RUNS, Head, HeadState, head_path, read_head, write_head
from tests.journal.test_journal import RUN
from tests.journal.test_write_failure import disk_full


def _stored(path: Path, seq: int) -> tuple[str, str]:
    with closing(sqlite3.connect(path)) as db:
        hash_, wall = db.execute("SELECT hash, wall FROM records WHERE seq = ?", (seq,)).fetchone()
    return hash_, wall


def test_a_new_run_is_in_the_head_file_at_its_header(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    state = read_head(path)
    assert state is not None
    head = state.heads[run_id]
    assert head.seq == 0
    assert head.hash == genesis(j._header(run_id))
    assert j.head == head
    j.close()


def test_each_durable_record_moves_the_head_file_to_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    for i in range(3):
        seq = j.append(float(i), "portion.start", {"portion": i})
        state = read_head(path)
        assert state is not None
        assert state.heads[run_id] == Head(run_id, seq, *_stored(path, seq))
        assert state.last == j.head
    j.close()
    assert not head_path(path).with_name(head_path(path).name + ".tmp").exists()


def test_readings_move_the_head_only_when_their_batch_commits(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    first = j.append(0.0, "run.started", {})
    for i in range(5):
        j.append(float(i), "reading", {"Tr_C": 2.0}, durable=False)
    state = read_head(path)
    assert state is not None
    assert state.heads[run_id].seq == first
    assert j.head is not None
    assert j.head.seq == first
    j.close()
    state = read_head(path)
    assert state is not None
    assert state.heads[run_id].seq == first + 5


def test_the_head_file_keeps_every_run_of_the_journal_up_to_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    ids = [j.create_run(**RUN) for _ in range(KEPT_RUNS + 3)]
    j.append(0.0, "step.progress", {})
    j.close()
    state = read_head(path)
    assert state is not None
    assert list(state.heads) == ids[3:]
    assert state.last is not None
    assert state.last.run_id == ids[-1]
    raw = json.loads(head_path(path).read_text())
    assert raw["head"]["run_id"] == ids[-1]
    assert head_path(path).stat().st_size % BLOCK == 0


def test_two_writers_of_one_journal_keep_each_others_runs(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    a, b = Journal(path), Journal(path)
    run_a, run_b = a.create_run(**RUN), b.create_run(**RUN)
    seq_a = a.append(0.0, "step.progress", {})
    seq_b = b.append(0.0, "step.progress", {})
    a.append(1.0, "step.progress", {})
    a.close()
    b.close()
    state = read_head(path)
    assert state is not None
    assert state.heads[run_a].seq == seq_a + 2
    assert state.heads[run_b].seq == seq_b


def test_a_damaged_head_file_does_not_stop_reading_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    j.append(0.0, "step.progress", {})
    j.close()
    head_path(path).write_text('{"format": 1, "runs": ')
    again = Journal(path)
    assert again.head_problem is not None
    assert "damaged" in again.head_problem
    assert [r.kind for r in again.records(run_id)] == ["step.progress"]
    again.close()


def test_a_write_failure_is_noted_in_place_when_no_new_file_can_be_made(tmp_path: Path) -> None:
    """A full disk has no block for the temporary file: the note goes over the old file, which is padded for it.
    (Here the temporary file's name is taken by a directory, so creating it fails as on a full disk.)"""
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(**RUN)
    j.append(0.0, "run.started", {})
    size = head_path(path).stat().st_size
    head_path(path).with_name(head_path(path).name + ".tmp").mkdir()
    disk_full(j)
    with pytest.raises(JournalWriteError):
        j.append(1.0, "portion.start", {"pad": "x" * 4000})
    state = read_head(path)
    assert state is not None
    assert state.failure is not None
    assert state.failure.run_id == run_id
    assert state.failure.not_written == {"portion.start": 1}
    assert head_path(path).stat().st_size == size
    j._db.execute("PRAGMA query_only = 1")
    j.close()


def test_the_head_file_format_round_trips(tmp_path: Path) -> None:
    state = HeadState({"a": Head("a", 3, "ab" * 32, "2026-01-01T00:00:00.000Z")})
    write_head(tmp_path / "j.sqlite", state)
    assert read_head(tmp_path / "j.sqlite") == state
    assert read_head(tmp_path / "other.sqlite") is None


def test_an_unsynced_journal_moves_its_head_file_at_most_once_a_second_and_on_close(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = Journal(path, sync=False)
    run_id = j.create_run(**RUN)
    later = [j.append(float(i), "portion.start", {"portion": i}) for i in range(4)]
    state = read_head(path)
    assert state is not None
    assert state.heads[run_id].seq == 0  # written at the run's header, then not again within the second
    assert j.head is not None
    assert j.head.seq == later[-1]  # the journal itself knows where it stands
    j.close()
    state = read_head(path)
    assert state is not None
    assert state.heads[run_id] == Head(run_id, later[-1], *_stored(path, later[-1]))
    assert Journal(path).promised(run_id) == state.heads[run_id]


def test_an_unsynced_journal_moves_its_head_file_again_once_the_second_has_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(journal_module.time, "monotonic", lambda: clock[0])
    path = tmp_path / "journal.sqlite"
    j = Journal(path, sync=False)
    run_id = j.create_run(**RUN)
    j.append(0.0, "run.started", {})
    clock[0] += journal_module.UNSYNCED_HEAD_EVERY_S - 0.01
    held = j.append(1.0, "portion.start", {"portion": 1})
    assert read_head(path).heads[run_id].seq < held  # type: ignore[union-attr]
    clock[0] += 0.02
    moved = j.append(2.0, "portion.start", {"portion": 2})
    assert read_head(path).heads[run_id].seq == moved  # type: ignore[union-attr]
    j.close()
