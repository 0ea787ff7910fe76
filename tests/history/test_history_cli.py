"""`labctl runs` and `labctl export` on a real journal file: what a chemist lists and what the lab analyses."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labctl.journal import Journal

LABCTL = Path(sys.executable).parent / "labctl"


def labctl(*args: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LABCTL), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )
    assert "Traceback" not in done.stderr
    return done


def _run(journal: Journal, mode: str, rig: str) -> str:
    return journal.create_run(
        mode=mode, protocol_file="p.yaml", protocol_sha256="0" * 64, protocol_text="", parameters={},
        rig_name=rig, rig_text="",
    )  # fmt: skip


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    """Two runs: a completed dry run with two alarms, and a real run that stopped mid-way (resumable)."""
    path = tmp_path / "journal.sqlite"
    j = Journal(path)
    done = _run(j, "dry-run", "dry-run")
    j.append(0.0, "run.started", {"protocol": "KMnO4 scale-up", "rig": "dry-run"})
    j.append(0.0, "reading", {"Tr_C": 20.0, "Tj_C": None, "chiller_online": True}, durable=False)
    j.append(1.0, "step.started", {"kind": "hold"}, step="stir-cold")
    j.append(
        1.0, "reading", {"Tr_C": 19.5, "Tj_C": 12.25, "chiller_online": True}, step="stir-cold", durable=False
    )
    j.append(2.0, "alarm.raised", {"id": "a", "level": "alarm"}, step="stir-cold")
    j.append(3.0, "alarm.raised", {"id": "b", "level": "trip"}, step="stir-cold")
    j.append(4.0, "run.state", {"from": "running", "to": "completed"})
    j.append(4.0, "run.ended", {"state": "completed", "compromised": False})
    stopped = _run(j, "run", "bench-1")
    j.append(0.0, "run.started", {"protocol": "MgBr storage", "rig": "bench-1"})
    j.append(0.0, "run.state", {"from": "starting", "to": "running"})
    j.close()
    (tmp_path / "ids").write_text(f"{done} {stopped}")
    return path


def _ids(journal_file: Path) -> list[str]:
    return (journal_file.parent / "ids").read_text().split()


def test_runs_lists_each_run_with_its_outcome_and_alarms(journal_file: Path) -> None:
    done, stopped = _ids(journal_file)
    lines = labctl("runs", "--journal", journal_file).stdout.splitlines()
    assert lines[0].split() == [
        "RUN",
        "MODE",
        "STARTED",
        "(UTC)",
        "ENDED",
        "(UTC)",
        "OUTCOME",
        "ALARMS",
        "RIG",
        "PROTOCOL",
    ]
    first, second = lines[1], lines[2]
    assert first.startswith(done)
    assert "dry-run" in first
    assert first.split()[6:8] == ["completed", "2"]
    assert first.endswith("KMnO4 scale-up")
    assert second.startswith(stopped)
    assert "not ended (last running; resumable)" in second
    assert second.endswith("MgBr storage")


def test_readings_export_as_csv_with_absent_values_empty(journal_file: Path) -> None:
    done, _ = _ids(journal_file)
    rows = list(
        csv.DictReader(io.StringIO(labctl("export", done, "--csv", "--journal", journal_file).stdout))
    )
    assert [(r["t_s"], r["step"], r["Tr_C"], r["Tj_C"]) for r in rows] == [
        ("0.0", "", "20.0", ""),
        ("1.0", "stir-cold", "19.5", "12.25"),
    ]


def test_events_export_as_csv_with_their_data_as_json(journal_file: Path) -> None:
    done, _ = _ids(journal_file)
    rows = list(
        csv.DictReader(
            io.StringIO(labctl("export", done, "--csv", "--events", "--journal", journal_file).stdout)
        )
    )
    assert [r["kind"] for r in rows] == [
        "run.started",
        "step.started",
        "alarm.raised",
        "alarm.raised",
        "run.state",
        "run.ended",
    ]
    assert json.loads(rows[3]["data"]) == {"id": "b", "level": "trip"}


def test_jsonl_export_to_a_file_holds_every_record_as_the_journal_has_it(
    journal_file: Path, tmp_path: Path
) -> None:
    done, _ = _ids(journal_file)
    target = tmp_path / "run.jsonl"
    done_cli = labctl("export", done, "--jsonl", "-o", target, "--journal", journal_file)
    assert done_cli.stdout.strip() == f"{target}: 8 row(s) of run {done}"
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    j = Journal(journal_file)
    records = list(j.records(done))
    j.close()
    assert [(x["seq"], x["kind"], x["step"], x["t_s"], x["data"]) for x in lines] == [
        (r.seq, r.kind, r.step, r.t_s, r.data) for r in records
    ]
    assert lines[1]["data"]["Tj_C"] is None


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["export", "nope", "--csv"], 1, "no run 'nope'"),
        (["export", "x", "--csv", "--jsonl"], 2, "give exactly one of --csv or --jsonl"),
        (["export", "x"], 2, "give exactly one of --csv or --jsonl"),
        (["export", "x", "--jsonl", "--events"], 2, "--events goes with --csv"),
    ],
)
def test_export_mistakes_are_one_message(
    journal_file: Path, args: list[str], code: int, message: str
) -> None:
    done = labctl(*args, "--journal", journal_file)
    assert done.returncode == code
    assert message in done.stdout


def test_reading_a_journal_that_is_not_there_creates_nothing(tmp_path: Path) -> None:
    done = labctl("runs", "--journal", tmp_path / "typo.sqlite")
    assert done.returncode == 1
    assert "no journal there" in done.stdout
    assert not (tmp_path / "typo.sqlite").exists()
