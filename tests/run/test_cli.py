"""`labctl dry-run`, `labctl run` and `labctl resume` as a person types them: a summary on success, and on bad
input one clear message and exit status 1 — never a traceback, never a run that cannot start left in the journal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import ROOT, SCALEUP, STORAGE, labctl

BROKEN = ROOT / "tests" / "protocol" / "broken" / "dose-interval-too-short.yaml"


@pytest.mark.long
def test_the_dry_run_prints_the_summary_of_the_scale_up(tmp_path: Path) -> None:
    result = labctl("dry-run", SCALEUP, "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "completed after" in out
    assert "dosed 47." in out
    assert "of 47.5 g planned in 10 portion(s)" in out
    assert "minutes above 5 °C while dosing or holding: 0.0" in out
    assert "quench peak:" in out
    assert "alarms: none" in out
    for step in ("charge", "kmno4-addition", "stir-cold", "quench"):
        assert step in out


def test_a_dry_run_of_a_broken_protocol_is_one_located_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        SCALEUP.read_text().replace("target: 2.5 °C\n    control", "target: 2.5\n    control", 1)
    )
    result = labctl("dry-run", broken, "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 1
    assert f"{broken}:" in result.stdout
    assert "UNIT-MISSING" in result.stdout
    assert not (tmp_path / "j.sqlite").exists()


def test_a_fault_file_with_an_unknown_fault_is_refused(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("faults:\n  - {at: 5 min, fault: chiller.on-fire}\n")
    result = labctl("dry-run", SCALEUP, "--faults", faults, "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 1
    assert f"{faults}:2:" in result.stdout
    assert "unknown fault 'chiller.on-fire'" in result.stdout


def test_run_refuses_a_protocol_the_checker_fails(tmp_path: Path) -> None:
    result = labctl("run", BROKEN, "--rig", ROOT / "rigs" / "sim.yaml", "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 1
    assert "PORTION-INTERVAL" in result.stdout
    assert "not run" in result.stdout
    assert not (tmp_path / "j.sqlite").exists()


@pytest.mark.parametrize(
    "name", ["dose-interval-too-short", "numbers-heat-capacity-ten-times", "mgbr-ether-diethyl-ehter"]
)
def test_a_dry_run_refuses_a_protocol_the_checker_fails_as_run_does(name: str, tmp_path: Path) -> None:
    """A rehearsal of a protocol that may not run proves nothing about the one that will."""
    broken = ROOT / "tests" / "protocol" / "broken" / f"{name}.yaml"
    result = labctl("dry-run", broken, "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 1
    assert f"{broken}: not run: fix the findings above" in result.stdout
    assert "error[" in result.stdout
    assert not (tmp_path / "j.sqlite").exists()


def test_run_on_a_rig_nobody_answers_says_which_instrument_and_leaves_no_run(tmp_path: Path) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text((ROOT / "rigs" / "sim.yaml").read_text().replace("127.0.0.1:81", "127.0.0.1:1"))
    result = labctl("run", SCALEUP, "--rig", rig, "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 1
    assert "error: cannot open the rig's chiller" in result.stdout
    assert not (tmp_path / "j.sqlite").exists()


def test_resume_of_an_unknown_run_is_one_message(tmp_path: Path) -> None:
    result = labctl("resume", "no-such-run", "--journal", tmp_path / "j.sqlite")
    assert result.returncode == 1
    assert "no run 'no-such-run'" in result.stdout


@pytest.mark.long
def test_resume_of_a_finished_run_says_there_is_nothing_to_resume(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    assert labctl("dry-run", STORAGE, "--journal", journal, "--set", "storage_time=10 min").returncode == 0
    with sqlite3.connect(journal) as db:
        [(run_id,)] = db.execute("SELECT run_id FROM runs").fetchall()
    result = labctl("resume", run_id, "--journal", journal)
    assert result.returncode == 1
    assert f"run {run_id} has ended; there is nothing to resume" in result.stdout
