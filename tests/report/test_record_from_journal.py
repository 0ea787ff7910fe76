"""The batch record of small hand-written journals (real SQLite): deviations measured exactly, the chemist's
text escaped, and runs without dosing or without recorded findings still rendered honestly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from labctl.journal import Journal
from labctl.report import read_batch_record, render_report
from tests.report.conftest import table, text_of

HOLD = {"id": "stir-cold", "step": "hold", "duration": 600.0, "band": [0.0, 5.0]}
DOSE = {
    "id": "add",
    "step": "dose_solid",
    "total": 10.0,
    "portions": 2,
    "portion": None,
    "window": 120.0,
    "min_interval": 60.0,
    "tolerance": 2.0,
}


def _journal(
    tmp_path: Path, *, name: str = "Test protocol", steps: list[dict[str, Any]] | None = None
) -> tuple[Journal, str]:
    j = Journal(tmp_path / "journal.sqlite")
    run_id = j.create_run(
        mode="run", protocol_file="p.yaml", protocol_sha256="a" * 64, protocol_text="format: 1\n",
        parameters={}, rig_name="bench-1", rig_text="rig: bench-1\n",
    )  # fmt: skip
    metadata = {"name": name, "version": "2", "author": None, "source": None, "description": None}
    j.append(
        0.0,
        "protocol.loaded",
        {"metadata": metadata, "steps": steps or [], "interlocks": [], "overrides": []},
    )
    j.append(0.0, "protocol.checked", {"findings": []})
    j.append(0.0, "run.started", {"protocol": name, "rig": "bench-1", "operator": "ada", "instruments": {}})
    return j, run_id


def _readings(j: Journal, start: float, temperatures: list[float | None], step: str | None = None) -> None:
    for i, tr in enumerate(temperatures):
        j.append(
            start + 10.0 * i, "reading", {"Tr_C": tr, "Tj_C": -5.0, "Tset_C": 2.5}, step=step, durable=False
        )


def _end(j: Journal, t: float, state: str = "completed") -> None:
    j.append(t, "run.state", {"from": "running", "to": state, "reason": "all steps done", "by": "labctl"})
    j.append(t, "run.ended", {"state": state, "compromised": False})


def _html(j: Journal, run_id: str) -> BeautifulSoup:
    html = render_report(read_batch_record(j, run_id))
    return BeautifulSoup(html, "html.parser")


def test_excursions_are_measured_from_reading_to_reading_inside_the_hold_only(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[HOLD])
    _readings(j, 0.0, [20.0, 9.0])  # cooling down before the hold: outside the band by design
    j.append(20.0, "step.started", {"kind": "hold"}, step="stir-cold")
    _readings(j, 20.0, [3.0, 6.0, 7.5, 3.0, -1.0, None, None, 2.0], step="stir-cold")
    j.append(100.0, "step.completed", {"kind": "hold"}, step="stir-cold")
    _end(j, 100.0)
    record = read_batch_record(j, run_id)
    found = [(d.kind, d.at_s, d.duration_s, d.text) for d in record.deviations]
    assert found == [
        ("outside band", 30.0, 20.0, "Tr above 5 °C (extreme 7.50 °C)"),
        ("outside band", 60.0, 10.0, "Tr below 0 °C (extreme -1.00 °C)"),
        ("no reading", 70.0, 20.0, "no Tr reading"),
    ]
    assert record.minutes_outside_band == pytest.approx(0.5)
    soup = _html(j, run_id)
    assert text_of(soup, "minutes-outside") == "0.5 min while dosing or holding"
    assert [row["Lasted"] for row in table(soup, "deviations")] == ["0:00:20", "0:00:10", "0:00:20"]


def test_flapping_at_the_band_s_edge_is_one_excursion_unless_back_inside_for_30_s(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[HOLD])
    j.append(20.0, "step.started", {"kind": "hold"}, step="stir-cold")
    _readings(j, 20.0, [3.0, 5.1, 4.9, 5.2, 4.0, 4.0, 4.0, 4.0, 6.0, 3.0], step="stir-cold")
    j.append(120.0, "step.completed", {"kind": "hold"}, step="stir-cold")
    _end(j, 120.0)
    found = [(d.at_s, d.duration_s, d.text) for d in read_batch_record(j, run_id).deviations]
    assert found == [
        (30.0, 20.0, "Tr above 5 °C (extreme 5.20 °C); back inside 1× for under 30 s"),
        (100.0, 10.0, "Tr above 5 °C (extreme 6.00 °C)"),
    ]


def test_gate_delays_count_only_gate_time_and_off_target_portions_name_the_tolerance(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[DOSE])
    j.append(0.0, "step.started", {"kind": "dose_solid"}, step="add")
    j.append(0.0, "portion.planned", {"portion": 1, "target_g": 5.0, "of": 2}, step="add")
    j.append(
        0.0, "portion.start", {"portion": 1, "target_g": 5.0, "Tr_C": 2.0, "sample_id": "x-1"}, step="add"
    )
    j.append(30.0, "portion.result", {"portion": 1, "target_g": 5.0, "dispensed_g": 5.2, "outcome": "done", "Tr_C": 2.5, "code": None, "detail": None}, step="add")  # fmt: skip
    j.append(30.0, "portion.waiting", {"portion": 2, "for": ["minimum interval"]}, step="add")
    j.append(60.0, "portion.waiting", {"portion": 2, "for": ["gate Tr <= 5 °C"]}, step="add")
    j.append(75.0, "portion.waiting", {"portion": 2, "for": ["gate Tr <= 5 °C", "gate dTr/dt <= 0.5 K/min"]}, step="add")  # fmt: skip
    j.append(105.0, "portion.planned", {"portion": 2, "target_g": 4.8, "of": 2}, step="add")
    j.append(
        105.0, "portion.start", {"portion": 2, "target_g": 4.8, "Tr_C": 4.0, "sample_id": "x-2"}, step="add"
    )
    j.append(130.0, "portion.result", {"portion": 2, "target_g": 4.8, "dispensed_g": 4.81, "outcome": "done", "Tr_C": 4.1, "code": None, "detail": None}, step="add")  # fmt: skip
    j.append(130.0, "dose.window-exceeded", {"window_s": 120.0, "portions_done": 2}, step="add")
    j.append(130.0, "step.completed", {"kind": "dose_solid"}, step="add")
    _end(j, 130.0)
    rows = table(_html(j, run_id), "deviations")
    assert [(row["Kind"], row["Lasted"], row["What"]) for row in rows] == [
        ("portion off target", "—", "portion 1: 5.200 g dispensed for 5.000 g (+4.0 %, tolerance ±2 %)"),
        ("portion delayed", "0:00:45", "portion 2 held 0.8 min by gate Tr <= 5 °C, gate dTr/dt <= 0.5 K/min"),
        ("dosing window", "—", "dosing window of 2 min exceeded after 2 portion(s)"),
    ]


def test_overrides_and_a_person_resuming_a_tripped_run_are_deviations(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path)
    override = {"rule": "PORTION-INTERVAL", "reason": "validated at 5 mmol", "approved_by": "head of safety"}
    j.append(0.0, "protocol.loaded", {"metadata": {"name": "x"}, "steps": [], "interlocks": [], "overrides": [override]})  # fmt: skip
    j.append(5.0, "alarm.raised", {"id": "tr-high", "level": "trip", "message": "Tr > 10 °C"})
    j.append(
        5.0, "run.state", {"from": "running", "to": "tripped", "reason": "interlock tr-high", "by": "labctl"}
    )
    j.append(50.0, "alarm.acknowledged", {"id": "tr-high", "by": "bob"})
    j.append(50.0, "run.state", {"from": "tripped", "to": "paused", "reason": "trip acknowledged; resume when safe", "by": "bob"})  # fmt: skip
    j.append(60.0, "run.state", {"from": "paused", "to": "running", "reason": "operator resume", "by": "bob"})
    _end(j, 70.0)
    soup = _html(j, run_id)
    kinds = [(row["Kind"], row["What"]) for row in table(soup, "deviations")]
    assert (
        "override",
        "checker rule PORTION-INTERVAL overridden, approved by head of safety: validated at 5 mmol",
    ) in kinds
    assert ("alarm", "tr-high (trip): Tr > 10 °C") in kinds
    assert ("operator decision", "tripped → paused by bob: trip acknowledged; resume when safe") in kinds
    assert ("operator decision", "paused → running by bob: operator resume") in kinds
    actions = table(soup, "actions")
    assert {"Who": "bob", "What": "alarm tr-high acknowledged"}.items() <= next(
        row for row in actions if row["What"].startswith("alarm tr-high ack")
    ).items()


def test_the_chemist_s_text_is_shown_never_executed(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script>"
    j, run_id = _journal(tmp_path, name=hostile)
    j.append(1.0, "prompt.opened", {"id": "p#1", "message": '<img src=x onerror="alert(2)">'}, step="ask")
    _end(j, 2.0)
    html = render_report(read_batch_record(j, run_id))
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None
    assert soup.find("img") is None
    assert text_of(soup, "protocol-name") == hostile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert any(row["What"] == 'prompt: <img src=x onerror="alert(2)">' for row in table(soup, "actions"))


def test_a_run_without_dosing_or_recorded_findings_says_so(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    run_id = j.create_run(
        mode="run", protocol_file="mgbr.yaml", protocol_sha256="b" * 64, protocol_text="format: 1\n",
        parameters={"storage_time": "3 d"}, rig_name="cold-1", rig_text="not: [valid",
    )  # fmt: skip
    j.append(0.0, "run.started", {"protocol": "MgBr storage", "rig": "cold-1"})
    _readings(j, 0.0, [-45.0, -45.1, None, -44.9])
    j.append(40.0, "run.state", {"from": "running", "to": "failed", "reason": "interrupted", "by": "labctl"})
    soup = _html(j, run_id)
    assert text_of(soup, "protocol-name") == "MgBr storage"
    assert text_of(soup, "outcome") == "not ended"
    assert text_of(soup, "ended") == "not ended"
    assert text_of(soup, "operator") == "not recorded"
    assert soup.find(id="portions") is None
    assert soup.find(id="figure-dosing") is None
    assert soup.find(id="figure-temperature") is not None
    assert "before labctl recorded the checker's findings" in soup.get_text()
    assert "storage_time=3 d" in soup.get_text()


def test_a_failed_portion_is_a_deviation_with_the_doser_s_own_words(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[DOSE])
    j.append(0.0, "step.started", {"kind": "dose_solid"}, step="add")
    j.append(
        0.0, "portion.start", {"portion": 1, "target_g": 5.0, "Tr_C": 2.0, "sample_id": "x-1"}, step="add"
    )
    detail = "refused with 7 (powder flow error): 'QRA 61 1 I 7'"
    j.append(20.0, "portion.result", {"portion": 1, "target_g": 5.0, "dispensed_g": 1.25, "outcome": "failed", "Tr_C": 2.1, "code": 7, "detail": detail}, step="add")  # fmt: skip
    j.append(20.0, "run.state", {"from": "running", "to": "paused", "reason": "doser error on portion 1", "by": "labctl"})  # fmt: skip
    soup = _html(j, run_id)
    (row,) = table(soup, "deviations")
    assert (row["Kind"], row["What"]) == (
        "portion failed",
        f"portion 1: failed ({detail}), 1.250 g dispensed of 5.000 g",
    )
    assert table(soup, "portions")[0]["Outcome"] == "failed"
    assert text_of(soup, "portions-done") == "0 of 1 started"
