"""A journal SQLite cannot write to: a typed error, and a journal that stays consistent.

The disk is made full with real SQLite: `PRAGMA max_page_count` on the writer's own connection caps the file at
the pages it has, so the next page SQLite needs fails with SQLITE_FULL exactly as a full disk does (SQLite rolls
the open transaction back itself). Raising the cap is the disk having room again.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from labctl.journal import Journal, JournalError, JournalWriteError
from labctl.journal.head import read_head
from labctl.journal.journal import BACKLOG, WRITE_FAILED
from tests.journal.test_journal import RUN


def disk_full(journal: Journal) -> None:
    """No page more than the file has now (the writer's connection: the cap is per connection)."""
    db: sqlite3.Connection = journal._db  # the only way to reach the writer's connection
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")


def room_again(journal: Journal) -> None:
    journal._db.execute("PRAGMA max_page_count = 1073741823")


def fill(journal: Journal, start: float = 0.0, *, durable_every: int = 0) -> tuple[int, JournalWriteError]:
    """Append bulky readings until the journal cannot take one: (how many went in, the error)."""
    n = 0
    while True:
        try:
            durable = durable_every > 0 and n % durable_every == durable_every - 1
            journal.append(start + n, "reading", {"n": n, "pad": "x" * 300}, durable=durable)
        except JournalWriteError as exc:
            return n, exc
        n += 1
        assert n < 10_000, "the journal never filled"


def kinds(path: Path, run_id: str) -> list[str]:
    with closing(Journal(path)) as j:
        return [r.kind for r in j.records(run_id)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    j = Journal(path)
    j.create_run(**RUN)
    j.append(0.0, "run.started", {"protocol": "P", "rig": "bench-1"})
    yield j
    j.close()


def test_a_full_disk_raises_a_typed_error_carrying_path_and_sqlite_error(
    journal: Journal, path: Path
) -> None:
    disk_full(journal)
    with pytest.raises(JournalWriteError) as caught:
        journal.append(1.0, "portion.start", {"portion": 1, "pad": "x" * 4000})
    error = caught.value
    assert isinstance(error, JournalError)
    assert error.path == path
    assert isinstance(error.error, sqlite3.OperationalError)
    assert error.sqlite_error == "SQLITE_FULL"
    assert error.kind == "portion.start"
    assert str(error) == (
        f"{path}: cannot write the journal (SQLITE_FULL: database or disk is full); 'portion.start' not recorded"
    )


def test_a_read_only_journal_raises_the_same_error_with_its_own_cause(journal: Journal) -> None:
    journal._db.execute("PRAGMA query_only = 1")
    with pytest.raises(JournalWriteError) as caught:
        journal.append(1.0, "setpoint.step", {"target_C": 2.0})
    assert caught.value.sqlite_error == "SQLITE_READONLY"
    journal._db.execute("PRAGMA query_only = 0")


def test_the_chain_head_does_not_advance_over_a_record_that_was_not_written(journal: Journal) -> None:
    head = journal.head
    assert head is not None
    disk_full(journal)
    for i in range(3):
        with pytest.raises(JournalWriteError):
            journal.append(float(i), "portion.start", {"portion": i, "pad": "x" * 4000})
    assert journal.head == head
    assert journal.last_seq(str(journal.run_id)) == head.seq
    room_again(journal)
    seq = journal.append(5.0, "step.progress", {})
    assert journal.head is not None
    assert journal.head.seq == seq
    assert journal.verify(str(journal.run_id)).last_hash == journal.head.hash


@pytest.mark.parametrize("durable_every", [0, 1, 3, 7])
def test_after_a_full_disk_the_chain_goes_on_valid_once_there_is_room(
    journal: Journal, path: Path, durable_every: int
) -> None:
    """The failure hits a durable record or a batch's commit, with 0 to several readings pending."""
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count = {pages + 2}")
    written, error = fill(journal, durable_every=durable_every)
    assert written > 0
    room_again(journal)
    seq = journal.append(1000.0, "step.progress", {"after": "room again"})
    run_id = str(journal.run_id)
    verdict = journal.verify(run_id)
    assert verdict.intact, verdict.explain()
    records = list(journal.records(run_id))
    # every reading appended before the failure is there, in order; the one whose append raised is not
    readings = [r.data["n"] for r in records if r.kind == "reading"]
    assert readings == list(range(written))
    failed = [r for r in records if r.kind == WRITE_FAILED]
    assert len(failed) == 1
    assert failed[0].data["sqlite_error"] == "SQLITE_FULL"
    assert failed[0].data["not_written"] == {"reading": 1}
    assert failed[0].data["dropped"] == 0
    assert records[-1].seq == seq
    assert records[-1].kind == "step.progress"
    assert [r.kind for r in records[-2:]] == [WRITE_FAILED, "step.progress"]
    assert error.sqlite_error == "SQLITE_FULL"


def test_a_failure_right_after_the_run_was_created_chains_on_from_its_header(path: Path) -> None:
    j = Journal(path)
    run_id = j.create_run(**RUN)
    disk_full(j)
    with pytest.raises(JournalWriteError):
        j.append(0.0, "run.started", {"protocol": "P", "pad": "x" * 4000})
    room_again(j)
    j.append(1.0, "run.started", {"protocol": "P"})
    assert j.verify(run_id).intact
    assert [r.kind for r in j.records(run_id)] == [WRITE_FAILED, "run.started"]
    assert next(j.records(run_id, kind=WRITE_FAILED)).data["after_seq"] == 0
    j.close()


def test_repeated_failures_are_one_record_counting_what_was_not_written(journal: Journal) -> None:
    disk_full(journal)
    for i in range(3):
        with pytest.raises(JournalWriteError):
            journal.append(float(i), "portion.start", {"portion": i, "pad": "x" * 4000})
    with pytest.raises(JournalWriteError):
        journal.append(4.0, "setpoint.step", {"target_C": 1.0, "pad": "x" * 4000})
    failure = journal.write_failure
    assert failure is not None
    assert failure.not_written == {"portion.start": 3, "setpoint.step": 1}
    room_again(journal)
    journal.append(5.0, "step.progress", {})
    assert journal.write_failure is None
    [record] = journal.records(kind=WRITE_FAILED)
    assert record.data["not_written"] == {"portion.start": 3, "setpoint.step": 1}


def test_a_failed_append_wakes_no_follower(journal: Journal) -> None:
    woken: list[int] = []
    journal.follow(woken.append)
    disk_full(journal)
    with pytest.raises(JournalWriteError):
        journal.append(1.0, "portion.start", {"pad": "x" * 4000})
    assert woken == []
    room_again(journal)
    seq = journal.append(2.0, "step.progress", {})
    assert woken == [seq]


def test_closing_on_a_full_disk_notes_the_failure_beside_the_journal(path: Path) -> None:
    j = Journal(path)
    run_id = j.create_run(**RUN)
    j.append(0.0, "run.started", {"protocol": "P"})
    last = j.last_seq(run_id)
    disk_full(j)
    for i in range(5):
        j.append(float(i), "reading", {"n": i}, durable=False)
    with pytest.raises(JournalWriteError):
        j.append(9.0, "portion.start", {"portion": 1, "pad": "x" * 4000})
    j._db.execute("PRAGMA query_only = 1")  # and still no write succeeds, not even the failure's record
    j.close()  # the failure was already raised: closing raises nothing more

    state = read_head(path)
    assert state is not None
    assert state.failure is not None
    assert state.failure.run_id == run_id
    assert state.failure.after_seq == last
    assert state.failure.not_written == {"portion.start": 1}
    assert state.failure.sqlite_error == "SQLITE_FULL"
    assert kinds(path, run_id) == ["run.started"]  # the readings were held in memory, and are lost with it
    assert state.heads[run_id].seq == last


def test_a_resumed_journal_records_the_failure_its_last_writer_could_not(path: Path) -> None:
    j = Journal(path)
    run_id = j.create_run(**RUN)
    j.append(0.0, "run.started", {"protocol": "P"})
    disk_full(j)
    with pytest.raises(JournalWriteError):
        j.append(9.0, "portion.start", {"portion": 1, "pad": "x" * 4000})
    j._db.execute("PRAGMA query_only = 1")  # the controller stops before the journal can write again
    j.close()

    again = Journal(path)
    assert again.recorded_failure(run_id) is not None
    again.open_run(run_id)
    again.append(20.0, "run.resumed", {})
    assert again.verify(run_id).intact
    assert [r.kind for r in again.records(run_id)] == ["run.started", WRITE_FAILED, "run.resumed"]
    again.close()
    state = read_head(path)
    assert state is not None
    assert state.failure is None


_FILE_LIMIT = """
import json, resource, signal, sys
from pathlib import Path
from labctl.journal import Journal, JournalWriteError
from labctl.journal.journal import WRITE_FAILED

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
path = Path(sys.argv[1])
j = Journal(path)
run_id = j.create_run(mode="run", protocol_file="p", protocol_sha256="0" * 64, protocol_text="steps: []",
                      parameters={}, rig_name="r", rig_text="r")
j.append(0.0, "run.started", {})
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (path.with_name(path.name + "-wal").stat().st_size + 20000, hard))
appended, errors = 0, set()
for i in range(int(sys.argv[2])):
    try:
        j.append(float(i), "reading", {"n": i, "pad": "x" * 300}, durable=False)
        appended += 1
    except JournalWriteError as exc:
        errors.add(exc.sqlite_error)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # room again
j.append(1e6, "step.progress", {})
[failed] = j.records(run_id, kind=WRITE_FAILED)
readings = [r.data["n"] for r in j.records(run_id, kind="reading")]
print(json.dumps({"appended": appended, "errors": sorted(errors), "record": failed.data, "readings": readings,
                  "intact": j.verify(run_id).intact}))
j.close()
"""


@pytest.mark.parametrize("readings", [200, 3000])
def test_writes_the_kernel_refuses_keep_a_bounded_backlog_and_a_valid_chain(
    tmp_path: Path, readings: int
) -> None:
    """A real refused write, not SQLite's own cap: a file-size limit (RLIMIT_FSIZE, unprivileged) makes the
    kernel fail the WAL's growth as a full disk would, at a batch's commit. A disk that stays full for thousands
    of readings keeps only the newest BACKLOG of them and counts the rest."""
    done = subprocess.run(
        [sys.executable, "-c", _FILE_LIMIT, str(tmp_path / "j.sqlite"), str(readings)],
        capture_output=True, text=True, timeout=120, check=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result["intact"]
    assert result["errors"] == ["SQLITE_IOERR_WRITE"]
    record, kept = result["record"], result["readings"]
    failed = readings - result["appended"]
    assert failed >= 1
    assert record["not_written"] == {"reading": failed}
    assert len(kept) == result["appended"] - record["dropped"]
    assert kept == sorted(kept)  # in the order they were appended, no reading twice
    if readings > BACKLOG * 2:
        assert record["dropped"] > 0
        assert record["rewritten"] == BACKLOG
    else:
        assert record["dropped"] == 0


def test_a_run_that_cannot_be_created_is_a_typed_error_and_leaves_no_run(path: Path) -> None:
    j = Journal(path)
    j._db.execute("PRAGMA query_only = 1")
    with pytest.raises(JournalWriteError) as caught:
        j.create_run(**RUN)
    assert caught.value.sqlite_error == "SQLITE_READONLY"
    assert caught.value.kind == "run"
    assert j.runs() == []
    assert j.run_id is None
    j.close()
