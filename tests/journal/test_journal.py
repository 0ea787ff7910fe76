from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from labctl.journal import Journal, JournalError, RecordKind, RunInfo, UnknownRecordKind
from labctl.journal.journal import BATCH, now_iso

RUN: dict[str, Any] = {
    "mode": "dry-run",
    "protocol_file": "protocols/kmno4.yaml",
    "protocol_sha256": "ab" * 32,
    "protocol_text": "format: 1\nsteps: []\n",
    "parameters": {"portions": 8, "target": "2 °C"},
    "rig_name": "bench-1",
    "rig_text": "name: bench-1\n",
    "seed": 42,
}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite"


@pytest.fixture
def journal(path: Path) -> Iterator[Journal]:
    j = Journal(path)
    j.create_run(**RUN)
    yield j
    j.close()


def count_records(path: Path) -> int:
    """Counted through a second connection, as another process would see the file."""
    other = sqlite3.connect(path)
    try:
        return int(other.execute("SELECT count(*) FROM records").fetchone()[0])
    finally:
        other.close()


def test_create_then_open_run_round_trips_run_info(path: Path) -> None:
    writer = Journal(path)
    run_id = writer.create_run(**RUN)
    writer.close()

    reader = Journal(path)
    info = reader.open_run(run_id)
    reader.close()
    assert isinstance(info, RunInfo)
    assert info.run_id == run_id
    assert info.mode == "dry-run"
    assert info.protocol_file == "protocols/kmno4.yaml"
    assert info.protocol_sha256 == "ab" * 32
    assert info.protocol_text == "format: 1\nsteps: []\n"
    assert info.parameters == {"portions": 8, "target": "2 °C"}
    assert info.rig_name == "bench-1"
    assert info.rig_text == "name: bench-1\n"
    assert info.seed == 42
    assert info.created.endswith("Z")


def test_seed_may_be_absent(path: Path) -> None:
    j = Journal(path)
    run_id = j.create_run(**{**RUN, "seed": None})
    assert j.run(run_id).seed is None
    j.close()


def test_open_run_makes_appends_go_to_that_run(path: Path) -> None:
    j = Journal(path)
    first = j.create_run(**RUN)
    second = j.create_run(**RUN)
    assert first != second
    j.open_run(first)
    j.append(1.0, "step.progress", {"n": 1})
    assert [r.run_id for r in j.records()] == [first]
    assert list(j.records(second)) == []
    assert sorted(j.runs()) == sorted([first, second])
    j.close()


def test_unknown_run_id_raises_journal_error(journal: Journal) -> None:
    with pytest.raises(JournalError, match="no run 'nope'"):
        journal.open_run("nope")
    with pytest.raises(JournalError):
        journal.run("nope")


def test_append_without_a_run_raises_journal_error(path: Path) -> None:
    j = Journal(path)
    with pytest.raises(JournalError, match="no run open"):
        j.append(0.0, "step.progress", {})
    j.close()


def test_a_journal_that_cannot_be_opened_raises_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal(tmp_path)  # a directory, not a database file


def test_records_come_back_in_append_order_with_their_fields(journal: Journal) -> None:
    s1 = journal.append(1.5, "setpoint.step", {"target_C": 2.0}, step="cool")
    s2 = journal.append(2.5, "reading", {"Tr_C": 3.1}, durable=False)
    s3 = journal.append(3.5, "portion.start", {"portion": 1}, step="dose")
    assert s1 < s2 < s3
    records = list(journal.records())
    assert [(r.seq, r.t_s, r.kind, r.step, r.data) for r in records] == [
        (s1, 1.5, "setpoint.step", "cool", {"target_C": 2.0}),
        (s2, 2.5, "reading", None, {"Tr_C": 3.1}),
        (s3, 3.5, "portion.start", "dose", {"portion": 1}),
    ]
    assert all(r.run_id == journal.run_id for r in records)
    assert all(r.wall.endswith("Z") for r in records)


def test_kind_filter_matches_the_kind_and_its_subkinds(journal: Journal) -> None:
    for kind in [
        "portion.planned",
        "reading",
        "stir",
        "portion.start",
        "stirring.lost",
        "stirrer.restart",
        "alarm.raised",
        "portion.result",
    ]:
        journal.append(0.0, kind, {})
    assert [r.kind for r in journal.records(kind="portion")] == [
        "portion.planned",
        "portion.start",
        "portion.result",
    ]
    assert [r.kind for r in journal.records(kind="portion.start")] == ["portion.start"]
    assert [r.kind for r in journal.records(kind=RecordKind.STIR)] == ["stir"]
    assert list(journal.records(kind="dose")) == []


def test_kind_filter_treats_the_kind_literally(journal: Journal) -> None:
    journal.append(0.0, "wait_until.reached", {})
    journal.append(0.0, "stirring.lost", {})
    assert [r.kind for r in journal.records(kind="wait_until")] == ["wait_until.reached"]
    assert list(journal.records(kind="wait%")) == []
    assert list(journal.records(kind="stir_ing")) == []


def test_an_unknown_kind_is_refused_before_anything_is_written(journal: Journal) -> None:
    journal.append(0.0, RecordKind.RUN_STATE, {"to": "running"})
    for typo in ["note", "run.resume", "Run.state", "portion", ""]:
        with pytest.raises(UnknownRecordKind, match=repr(typo)) as caught:
            journal.append(1.0, typo, {})
        assert caught.value.kind == typo
    assert [r.kind for r in journal.records()] == ["run.state"]


def test_a_kind_is_stored_as_its_plain_name(journal: Journal, path: Path) -> None:
    journal.append(0.0, RecordKind.ALARM_CONDITION_GONE, {"id": "tr-high"})
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT kind, typeof(kind) FROM records").fetchall() == [
            ("alarm.condition-gone", "text")
        ]
    [record] = journal.records()
    assert record.kind == RecordKind.ALARM_CONDITION_GONE
    assert type(record.kind) is str


def test_update_through_sqlite_is_refused_as_append_only(journal: Journal, path: Path) -> None:
    journal.append(1.0, "step.progress", {"n": 1})
    other = sqlite3.connect(path)
    with pytest.raises(sqlite3.Error, match="append-only"):
        other.execute("UPDATE records SET kind = 'forged'")
    other.close()
    assert [r.kind for r in journal.records()] == ["step.progress"]


def test_delete_through_sqlite_is_refused_as_append_only(journal: Journal, path: Path) -> None:
    journal.append(1.0, "step.progress", {"n": 1})
    other = sqlite3.connect(path)
    with pytest.raises(sqlite3.Error, match="append-only"):
        other.execute("DELETE FROM records")
    other.close()
    assert len(list(journal.records())) == 1


def test_durable_record_is_visible_to_another_connection_at_once(journal: Journal, path: Path) -> None:
    journal.append(1.0, "setpoint.step", {"target_C": 2.0})
    assert count_records(path) == 1


def test_non_durable_record_is_visible_elsewhere_only_after_a_durable_append(
    journal: Journal, path: Path
) -> None:
    journal.append(1.0, "reading", {"Tr_C": 3.0}, durable=False)
    journal.append(2.0, "reading", {"Tr_C": 3.1}, durable=False)
    assert count_records(path) == 0
    assert len(list(journal.records())) == 2  # the writer sees its own records
    journal.append(3.0, "portion.start", {"portion": 1})
    assert count_records(path) == 3


def test_non_durable_record_is_visible_elsewhere_after_close(path: Path) -> None:
    j = Journal(path)
    j.create_run(**RUN)
    j.append(1.0, "reading", {"Tr_C": 3.0}, durable=False)
    assert count_records(path) == 0
    j.close()
    assert count_records(path) == 1


def test_non_durable_records_are_committed_every_batch(journal: Journal, path: Path) -> None:
    for i in range(BATCH - 1):
        journal.append(float(i), "reading", {"i": i}, durable=False)
    assert count_records(path) == 0
    journal.append(float(BATCH), "reading", {"i": BATCH}, durable=False)
    assert count_records(path) == BATCH


def test_reopened_journal_continues_the_run(path: Path) -> None:
    j = Journal(path)
    run_id = j.create_run(**RUN)
    j.append(1.0, "step.progress", {"n": 1})
    j.close()

    again = Journal(path)
    again.open_run(run_id)
    again.append(2.0, "step.progress", {"n": 2})
    assert [r.data["n"] for r in again.records()] == [1, 2]
    again.close()


def test_the_wall_stamp_is_utc_to_the_millisecond_as_datetime_writes_it() -> None:
    def reference() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    seen = set()
    for _ in range(20_000):  # across several second and millisecond boundaries
        before, stamp, after = reference(), now_iso(), reference()
        assert before <= stamp <= after
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", stamp)
        seen.add(stamp[:19])
    assert seen
