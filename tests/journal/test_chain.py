"""The journal's hash chain: intact as written, and one changed byte, a removed record or an edited protocol is
named by `labctl verify` (the tamperer drops the append-only triggers first, as anyone with the file can)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.journal import Journal
from labctl.journal.chain import link

LABCTL = Path(sys.executable).parent / "labctl"


@pytest.fixture
def journal_file(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    run_id = j.create_run(
        mode="run", protocol_file="p.yaml", protocol_sha256="0" * 64, protocol_text="steps: []\n",
        parameters={"n": 10}, rig_name="bench-1", rig_text="rig: bench-1\n",
    )  # fmt: skip
    j.append(0.0, "run.started", {"protocol": "KMnO4", "rig": "bench-1"})
    for i in range(1, 6):
        j.append(60.0 * i, "portion.result", {"portion": i, "dispensed_g": 4.75}, step="kmno4-addition")
    j.append(400.0, "run.ended", {"state": "completed"})
    j.close()
    return path, run_id


def _tamper(path: Path, sql: str, *args: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER records_no_update")
        db.execute("DROP TRIGGER records_no_delete")
        db.execute(sql, args)


def _verify(path: Path, run_id: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LABCTL), "verify", run_id, "--journal", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    return done


def test_a_journal_as_written_verifies(journal_file: tuple[Path, str]) -> None:
    path, run_id = journal_file
    done = _verify(path, run_id)
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith(f"run {run_id}: 7 records, chain intact; last hash ")


def test_one_changed_byte_is_named(journal_file: tuple[Path, str]) -> None:
    path, run_id = journal_file
    with sqlite3.connect(path) as db:
        seq, data = db.execute("SELECT seq, data FROM records WHERE data LIKE '%\"portion\": 3%'").fetchone()
    _tamper(path, "UPDATE records SET data = ? WHERE seq = ?", data.replace("4.75", "4.76"), seq)
    done = _verify(path, run_id)
    assert done.returncode == 1
    assert f"record {seq} (portion.result, step kmno4-addition, t = 3.0 min," in done.stdout
    assert "does not match the chain" in done.stdout
    assert "the 3 before it are intact" in done.stdout


def test_a_removed_record_is_named_at_the_one_after_it(journal_file: tuple[Path, str]) -> None:
    path, run_id = journal_file
    with sqlite3.connect(path) as db:
        seqs = [row[0] for row in db.execute("SELECT seq FROM records ORDER BY seq")]
    _tamper(path, "DELETE FROM records WHERE seq = ?", seqs[2])
    done = _verify(path, run_id)
    assert done.returncode == 1
    assert f"record {seqs[3]} (portion.result" in done.stdout


def test_an_edited_protocol_breaks_the_chain_at_its_first_record(journal_file: tuple[Path, str]) -> None:
    path, run_id = journal_file
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET protocol_text = 'steps: [hold]\n'")
        first = db.execute("SELECT MIN(seq) FROM records").fetchone()[0]
    done = _verify(path, run_id)
    assert done.returncode == 1
    assert f"record {first} (run.started" in done.stdout


def test_a_resumed_run_continues_the_chain(journal_file: tuple[Path, str]) -> None:
    path, run_id = journal_file
    j = Journal(path)
    j.open_run(run_id)
    j.append(500.0, "run.resumed", {"step_index": 2})
    verdict = j.verify(run_id)
    j.close()
    assert verdict.intact
    assert verdict.checked == 8


def test_a_journal_from_before_the_chain_opens_and_says_it_cannot_be_verified(
    journal_file: tuple[Path, str],
) -> None:
    path, run_id = journal_file
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE records DROP COLUMN hash")
    done = _verify(path, run_id)
    assert done.returncode == 1
    assert "(run.started, t = 0.0 min," in done.stdout
    assert "carries no hash (written before the journal was chained)" in done.stdout


@settings(max_examples=300, deadline=None)
@given(
    previous=st.text(),
    t_s=st.floats(allow_nan=False),
    wall=st.text(),
    kind=st.text(),
    step=st.none() | st.text(),
    data_text=st.text(),
)
def test_a_link_hashes_exactly_the_json_text_of_its_fields(
    *, previous: str, t_s: float, wall: str, kind: str, step: str | None, data_text: str
) -> None:
    """The chain's format is the JSON array below; `link` writes it without json.dumps, and must not differ by a
    byte (quotes, backslashes, control and non-ASCII characters in a step name or the data)."""
    text = json.dumps([previous, repr(float(t_s)), wall, kind, step, data_text], ensure_ascii=False)
    expected = hashlib.sha256(text.encode()).hexdigest()
    assert link(previous, t_s=t_s, wall=wall, kind=kind, step=step, data_text=data_text) == expected
