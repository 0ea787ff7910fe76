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
    "portion_count": 2,
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
    assert text_of(soup, "portions-done") == "0 of 2 planned"


COLD_HOLD = {"id": "cold-hold", "step": "hold", "band": [-48.0, -41.0]}
WARM_HOLD = {"id": "warm-hold", "step": "hold", "band": [15.0, 25.0]}


def _deviations(j: Journal, run_id: str) -> list[tuple[str, float, float | None, str]]:
    return [(d.kind, d.at_s, d.duration_s, d.text) for d in read_batch_record(j, run_id).deviations]


def test_each_hold_is_judged_by_its_own_band_and_a_dose_by_the_hold_after_it(tmp_path: Path) -> None:
    dose = {**DOSE, "id": "add"}
    j, run_id = _journal(tmp_path, steps=[COLD_HOLD, dose, HOLD, WARM_HOLD])
    for step, start, temps in (("cold-hold", 0.0, [-45.0, -40.0]), ("add", 20.0, [6.0, 4.0]), ("stir-cold", 40.0, [3.0, 3.0]), ("warm-hold", 60.0, [20.0, 26.0])):  # fmt: skip
        kind = "dose_solid" if step == "add" else "hold"
        j.append(start, "step.started", {"kind": kind}, step=step)
        _readings(j, start, temps, step=step)
        j.append(start + 20.0, "step.completed", {"kind": kind}, step=step)
    _end(j, 80.0)
    assert _deviations(j, run_id) == [
        ("outside band", 10.0, 10.0, "Tr above -41 °C (extreme -40.00 °C)"),
        (
            "outside band",
            20.0,
            10.0,
            "Tr above 5 °C (extreme 6.00 °C)",
        ),  # the dose, by the 0–5 °C hold's band
        ("outside band", 70.0, 10.0, "Tr above 25 °C (extreme 26.00 °C)"),
    ]
    soup = _html(j, run_id)
    assert "Time outside -48 to -41 °C; 0–5 °C; 15–25 °C" in soup.get_text()


def test_a_resume_ends_the_interrupted_step_and_the_downtime_is_time_without_a_reading(
    tmp_path: Path,
) -> None:
    j, run_id = _journal(tmp_path, steps=[HOLD])
    j.append(0.0, "step.started", {"kind": "hold"}, step="stir-cold")
    _readings(j, 0.0, [3.0, 6.0], step="stir-cold")  # 6 °C at 10 s, then labctl is killed
    j.append(3610.0, "run.resumed", {"step_index": 0, "state": "running", "open_alarms": [], "by": "bob", "instruments": {}})  # fmt: skip
    j.append(3610.0, "step.started", {"kind": "hold"}, step="stir-cold")
    _readings(j, 3610.0, [3.0, 3.0], step="stir-cold")
    j.append(3630.0, "step.completed", {"kind": "hold"}, step="stir-cold")
    j.append(3630.0, "step.started", {"kind": "quench"}, step="quench")
    _readings(j, 3630.0, [25.0, 25.0], step="quench")  # the quench warms on purpose: not judged
    _end(j, 3650.0)
    assert _deviations(j, run_id) == [
        ("controller down", 10.0, 3600.0, "labctl stopped after 0:00:10; resumed by bob")
    ]
    soup = _html(j, run_id)
    assert text_of(soup, "minutes-outside") == "0.0 min while dosing or holding"
    assert text_of(soup, "operator") == "ada; resumed by bob"
    series = read_batch_record(j, run_id).series
    assert None in series.values["Tr_C"]  # a gap in the curve across the downtime, not a straight line


def test_a_long_silence_without_a_resume_stands_for_30_s_at_most(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[HOLD])
    j.append(0.0, "step.started", {"kind": "hold"}, step="stir-cold")
    j.append(0.0, "reading", {"Tr_C": 6.0}, step="stir-cold")
    j.append(300.0, "reading", {"Tr_C": 3.0}, step="stir-cold")
    j.append(310.0, "step.completed", {"kind": "hold"}, step="stir-cold")
    _end(j, 310.0)
    assert _deviations(j, run_id) == [
        ("outside band", 0.0, 30.0, "Tr above 5 °C (extreme 6.00 °C)"),
        ("no reading", 30.0, 270.0, "no Tr reading"),
    ]


def test_a_portion_held_until_the_run_ended_is_reported_never_started(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[DOSE])
    j.append(0.0, "step.started", {"kind": "dose_solid"}, step="add")
    j.append(0.0, "portion.waiting", {"portion": 1, "for": ["gate MTSR <= 25 °C"]}, step="add")
    j.append(900.0, "run.state", {"from": "running", "to": "aborted", "reason": "too slow", "by": "carol"})
    j.append(900.0, "run.ended", {"state": "aborted", "compromised": False})
    found = _deviations(j, run_id)
    assert (
        "portion delayed",
        0.0,
        900.0,
        "portion 1 held 15.0 min by gate MTSR <= 25 °C; never started",
    ) in found
    assert ("operator decision", 900.0, None, "running → aborted by carol: too slow") in found


def test_portion_outcomes_after_a_restart_are_named_for_what_they_are(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path, steps=[DOSE])
    j.append(0.0, "step.started", {"kind": "dose_solid"}, step="add")
    result = {"target_g": 5.0, "Tr_C": 2.0, "code": None, "detail": None}
    j.append(
        0.0, "portion.start", {"portion": 1, "target_g": 5.0, "Tr_C": 2.0, "sample_id": "x-1"}, step="add"
    )
    j.append(30.0, "portion.result", {**result, "portion": 1, "dispensed_g": 5.5, "outcome": "reconciled"}, step="add")  # fmt: skip
    j.append(
        90.0, "portion.start", {"portion": 2, "target_g": 4.5, "Tr_C": 2.0, "sample_id": "x-2"}, step="add"
    )
    j.append(95.0, "portion.not-started", {"portion": 2, "sample_id": "x-2", "doser_last_sample_id": "x-1"}, step="add")  # fmt: skip
    j.append(
        96.0, "portion.start", {"portion": 2, "target_g": 4.5, "Tr_C": 2.0, "sample_id": "x-3"}, step="add"
    )
    j.append(120.0, "portion.result", {**result, "portion": 2, "target_g": 4.5, "dispensed_g": 4.4, "outcome": "unknown-reconciled"}, step="add")  # fmt: skip
    _end(j, 130.0)
    assert [(kind, text) for kind, _, _, text in _deviations(j, run_id)] == [
        ("portion off target", "portion 1: 5.500 g dispensed for 5.000 g (+10.0 %, tolerance ±2 %)"),
        ("portion not started", "portion 2: the start never reached the doser (the doser's last sample id was 'x-1'); started again"),
        ("portion unknown", "portion 2: outcome unknown after a restart; 4.400 g per the doser's own record"),
    ]  # fmt: skip
    soup = _html(j, run_id)
    assert text_of(soup, "portions-done") == "1 of 2 planned"
    assert [row["Outcome"] for row in table(soup, "portions")] == [
        "reconciled",
        "not started",
        "unknown-reconciled",
    ]


def test_a_dose_given_by_portion_size_plans_equal_shares_of_the_total(tmp_path: Path) -> None:
    by_size = {
        **DOSE,
        "total": 10.0,
        "portions": None,
        "portion": 3.0,
        "portion_count": 4,
    }  # as begin_run writes
    j, run_id = _journal(tmp_path, steps=[by_size])
    j.append(0.0, "step.started", {"kind": "dose_solid"}, step="add")
    j.append(
        0.0, "portion.start", {"portion": 1, "target_g": 2.5, "Tr_C": 2.0, "sample_id": "x-1"}, step="add"
    )
    _end(j, 10.0)
    record = read_batch_record(j, run_id)
    assert record.dose is not None
    assert (record.dose.portions, record.dose.portion_g) == (4, 2.5)
    assert table(_html(j, run_id), "portions")[0]["Planned g"] == "2.500"


def test_an_old_journal_says_what_could_not_be_checked(tmp_path: Path) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    run_id = j.create_run(
        mode="run", protocol_file="p.yaml", protocol_sha256="c" * 64, protocol_text="format: 1\n",
        parameters={}, rig_name="bench-1", rig_text="rig: bench-1\n",
    )  # fmt: skip
    j.append(0.0, "run.started", {"protocol": "KMnO4", "rig": "bench-1"})
    j.append(0.0, "step.started", {"kind": "hold"}, step="stir-cold")
    _readings(j, 0.0, [3.0, 9.0, 3.0], step="stir-cold")
    _end(j, 30.0)
    soup = _html(j, run_id)
    assert soup.find(id="no-deviations") is None
    assert "could not be checked" in text_of(soup, "plan-unknown")


def test_instruments_swapped_during_a_stop_are_shown_and_a_resumed_end_is_not_the_outcome(
    tmp_path: Path,
) -> None:
    j = Journal(tmp_path / "journal.sqlite")
    run_id = j.create_run(
        mode="run", protocol_file="p.yaml", protocol_sha256="d" * 64, protocol_text="format: 1\n",
        parameters={}, rig_name="bench-1", rig_text="rig: bench-1\n",
    )  # fmt: skip
    balance = {"driver": "mt-sics", "model": "XPE205", "serial": "B021002593", "firmware": None}
    j.append(0.0, "run.started", {"protocol": "x", "rig": "bench-1", "operator": "ada", "instruments": {"balance": balance}})  # fmt: skip
    j.append(5.0, "run.state", {"from": "running", "to": "failed", "reason": "interrupted", "by": "labctl"})
    j.append(5.0, "run.ended", {"state": "failed", "compromised": False})
    swapped = {**balance, "serial": "B099999999"}
    j.append(600.0, "run.resumed", {"step_index": 0, "state": "running", "open_alarms": [], "by": "bob", "instruments": {"balance": swapped}})  # fmt: skip
    soup = _html(j, run_id)
    assert text_of(soup, "outcome") == "not ended"
    assert text_of(soup, "ended") == "not ended"
    (later,) = soup.find_all("table", class_="identified-later")
    assert "B099999999" in later.get_text()
    assert "B021002593" in text_of(soup, "instruments")
    assert "B099999999" not in text_of(soup, "instruments")


def test_a_quench_paused_without_a_reading_is_reported_not_a_crash(tmp_path: Path) -> None:
    j, run_id = _journal(tmp_path)
    j.append(5.0, "quench.paused", {"Tr_C": None, "above_C": 15.0}, step="quench")
    _end(j, 6.0)
    assert ("quench paused", 5.0, None, "quench paused at no Tr reading (above 15 °C)") in _deviations(
        j, run_id
    )


def test_resuming_one_s_own_pause_is_no_deviation_but_moving_on_from_labctl_s_pause_is(
    tmp_path: Path,
) -> None:
    j, run_id = _journal(tmp_path)
    j.append(1.0, "run.state", {"from": "running", "to": "paused", "reason": "operator pause", "by": "ann"})
    j.append(2.0, "run.state", {"from": "paused", "to": "running", "reason": "operator resume", "by": "ann"})
    j.append(3.0, "run.state", {"from": "running", "to": "paused", "reason": "doser error on portion 2", "by": "labctl"})  # fmt: skip
    j.append(4.0, "run.state", {"from": "paused", "to": "running", "reason": "operator resume", "by": "ann"})
    _end(j, 5.0)
    decisions = [(t, text) for kind, t, _, text in _deviations(j, run_id) if kind == "operator decision"]
    assert decisions == [(4.0, "paused → running by ann: operator resume")]
