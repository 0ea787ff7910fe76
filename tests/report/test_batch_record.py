"""The scale-up's batch record says what its journal says: every figure in the HTML is compared with the records
(read here straight from SQLite, not through the report's own code)."""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.report.conftest import OPERATOR, Reported, clock, labctl, table, text_of

QUENCH_WATCH_S = 15 * 60


def test_the_header_names_protocol_rig_operator_times_and_outcome(scale_up: Reported) -> None:
    soup = scale_up.soup
    assert text_of(soup, "protocol-name") == "KMnO4 dihydroxylation of 1t, 0.25 mol scale-up"
    assert text_of(soup, "protocol-version") == "1.0"
    assert text_of(soup, "protocol-sha256") == scale_up.run.protocol_sha256
    assert text_of(soup, "operator") == OPERATOR
    assert text_of(soup, "rig") == "dry-run"
    assert text_of(soup, "started") == scale_up.of("run.started")[0].wall
    assert text_of(soup, "ended") == scale_up.of("run.ended")[-1].wall
    assert text_of(soup, "outcome") == "completed"
    assert text_of(soup, "run-id") == scale_up.run.run_id
    assert f"batch record: {scale_up.html_path}" in scale_up.stdout


def test_all_ten_portions_with_target_dispensed_and_temperatures_from_the_journal(scale_up: Reported) -> None:
    rows = table(scale_up.soup, "portions")
    starts, results = scale_up.of("portion.start"), scale_up.of("portion.result")
    assert len(rows) == len(starts) == len(results) == 10
    for i, (row, start, result) in enumerate(zip(rows, starts, results, strict=True)):
        assert row["#"] == str(start.data["portion"]) == str(i + 1)
        assert row["Start"] == clock(start.t_s)
        assert row["Planned g"] == "4.750"
        assert row["Target g"] == f"{start.data['target_g']:.3f}"
        assert row["Dispensed g"] == f"{result.data['dispensed_g']:.3f}"
        assert row["Outcome"] == result.data["outcome"] == "done"
        assert row["Tr before °C"] == f"{start.data['Tr_C']:.2f}"
        until = starts[i + 1].t_s if i + 1 < len(starts) else start.t_s + 600
        assert row["Tr peak after °C"] == f"{max(scale_up.readings(start.t_s, until)):.2f}"


def test_the_two_hour_hold_and_every_step_with_its_duration(scale_up: Reported) -> None:
    rows = {row["Step"]: row for row in table(scale_up.soup, "steps")}
    started = {r.step: r.t_s for r in scale_up.of("step.started")}
    completed = {r.step: r.t_s for r in scale_up.of("step.completed")}
    assert list(rows) == list(started)
    for step, t0 in started.items():
        assert rows[step]["Start"] == clock(t0)
        assert rows[step]["Duration"] == clock(completed[step] - t0)
    hold = rows["stir-cold"]
    assert hold["Kind"] == "hold"
    assert 7200 <= completed["stir-cold"] - started["stir-cold"] < 7206  # the first 5 s poll past two hours
    during = scale_up.readings(started["stir-cold"], completed["stir-cold"])
    assert hold["Tr min °C"] == f"{min(during):.2f}"
    assert hold["Tr max °C"] == f"{max(during):.2f}"


def test_summary_figures_equal_the_journal(scale_up: Reported) -> None:
    soup = scale_up.soup
    dispensed = sum(r.data["dispensed_g"] for r in scale_up.of("portion.result"))
    assert text_of(soup, "dosed-total") == f"{dispensed:.3f} g"
    assert text_of(soup, "planned-total") == "47.500 g in 10 portions within 10 min"
    assert text_of(soup, "portions-done") == "10 of 10 planned"
    quench = scale_up.of("quench.started")[0].t_s
    peak = max(scale_up.readings(quench, quench + QUENCH_WATCH_S + 1e-9))
    assert text_of(soup, "quench-peak") == f"{peak:.2f} °C"
    assert peak > 15.0  # the quench warms the batch on purpose
    assert text_of(soup, "alarm-count") == str(len(scale_up.of("alarm.raised")))
    assert text_of(soup, "duration") == clock(scale_up.records[-1].t_s - scale_up.records[0].t_s)


def test_time_outside_the_band_is_the_sum_of_reading_intervals_outside_0_to_5_c(scale_up: Reported) -> None:
    started = {r.step: r.t_s for r in scale_up.of("step.started")}
    completed = {r.step: r.t_s for r in scale_up.of("step.completed")}
    windows = [(started[s], completed[s]) for s in ("kmno4-addition", "stir-cold")]
    readings = scale_up.of("reading")
    outside = sum(
        b.t_s - a.t_s
        for a, b in itertools.pairwise(readings)
        if any(t0 <= a.t_s < t1 for t0, t1 in windows) and not 0.0 <= a.data["Tr_C"] <= 5.0
    )
    assert outside == 0  # the cold wait outlasts the controller's undershoot: dosing and hold stay in band
    assert text_of(scale_up.soup, "minutes-outside") == "0.0 min while dosing or holding"
    assert [row for row in table(scale_up.soup, "deviations") if row["Kind"] == "outside band"] == []


def test_deviations_name_the_gate_delays_the_window_overrun_and_the_paused_quench(scale_up: Reported) -> None:
    rows = table(scale_up.soup, "deviations")
    assert text_of(scale_up.soup, "deviation-count") == str(len(rows))
    gated = {
        r.data["portion"] for r in scale_up.of("portion.waiting") if set(r.data["for"]) - {"minimum interval"}
    }
    delayed = [row for row in rows if row["Kind"] == "portion delayed"]
    assert gated
    assert [int(row["What"].split()[1]) for row in delayed] == sorted(gated)
    assert all(" by gate " in row["What"] for row in delayed)
    assert any("gate MTSR <= 25 °C" in row["What"] for row in delayed)
    (window,) = scale_up.of("dose.window-exceeded")
    assert [row["Process time"] for row in rows if row["Kind"] == "dosing window"] == [clock(window.t_s)]
    (paused,) = scale_up.of("quench.paused")
    (row,) = [row for row in rows if row["Kind"] == "quench paused"]
    assert row["What"] == f"quench paused at Tr {paused.data['Tr_C']:.2f} °C (above 15 °C)"


def test_operator_actions_carry_who_and_when(scale_up: Reported) -> None:
    rows = table(scale_up.soup, "actions")
    confirmed = scale_up.of("prompt.confirmed")
    mine = [row for row in rows if row["What"].startswith("prompt ") and row["What"].endswith(" confirmed")]
    assert [(row["Wall time (UTC)"], row["Who"]) for row in mine] == [
        (r.wall, r.data["by"]) for r in confirmed
    ]
    assert rows[-1]["What"] == "run running → completed: all steps done"


def test_checker_findings_are_the_ones_recorded_when_the_run_began(scale_up: Reported) -> None:
    (checked,) = scale_up.of("protocol.checked")
    rows = table(scale_up.soup, "findings")
    assert [(row["Severity"], row["Rule"], row["Finding"]) for row in rows] == [
        (f["severity"], f["rule"], f["message"]) for f in checked.data["findings"]
    ]
    assert ("info", "DOSE-WINDOW") in {(row["Severity"], row["Rule"]) for row in rows}


def test_the_chain_s_last_hash_is_printed_and_verify_agrees(scale_up: Reported) -> None:
    last = text_of(scale_up.soup, "last-hash")
    assert text_of(scale_up.soup, "chain-verdict") == "Hash chain intact"
    verify = labctl("verify", scale_up.run.run_id, "--journal", scale_up.journal)
    assert verify.returncode == 0
    assert verify.stdout.strip().endswith(f"last hash {last}")
    assert f"{len(scale_up.records)} records" in verify.stdout


def test_the_page_is_self_contained_three_svg_figures_no_script_no_link_out(scale_up: Reported) -> None:
    soup = scale_up.soup
    assert soup.find("script") is None
    assert soup.find("link") is None
    for element in soup.find_all(True):
        for attribute in ("src", "href", "xlink:href"):
            value = element.get(attribute)
            assert value is None or str(value).startswith("#"), (element.name, value)
    for figure in ("figure-temperature", "figure-dosing", "figure-mass"):
        found = soup.find(id=figure)
        assert found is not None
        svg = found.find("svg")
        assert svg is not None, figure
    temperature = soup.find(id="figure-temperature")
    assert temperature is not None
    legend = temperature.get_text(" ", strip=True)
    for label in ("reactor Tr", "jacket Tj", "setpoint", "permitted 0–5 °C", "portion", "quench"):
        assert label in legend


def test_labctl_report_writes_the_same_record_from_the_journal(scale_up: Reported, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    done = labctl("report", scale_up.run.run_id, "--journal", scale_up.journal, "-o", again)
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip() == f"{again}: batch record of run {scale_up.run.run_id}"

    def stable(html: str) -> str:
        return "\n".join(line for line in html.splitlines() if "Written " not in line)

    assert stable(again.read_text(encoding="utf-8")) == stable(scale_up.html)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-run"], "no run 'no-such-run'"),
        (["RUN", "-o", "/nonexistent-folder/x.html"], "cannot write the batch record"),
    ],
)
def test_report_errors_are_one_line_and_exit_1(
    scale_up: Reported, args: list[str], message: str, tmp_path: Path
) -> None:
    args = [scale_up.run.run_id if a == "RUN" else a for a in args]
    done = labctl("report", *args, "--journal", scale_up.journal)
    assert done.returncode == 1
    assert message in done.stdout
    assert done.stdout.startswith("error: ")


def test_an_altered_record_shows_in_the_report(scale_up: Reported, tmp_path: Path) -> None:
    copy = tmp_path / "journal.sqlite"
    with closing(sqlite3.connect(scale_up.journal)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)
        target.execute("DROP TRIGGER records_no_update")
        seq = scale_up.of("portion.result")[4].seq
        target.execute("UPDATE records SET data = replace(data, '4', '5') WHERE seq = ?", (seq,))
        target.commit()
    out = tmp_path / "altered.html"
    assert labctl("report", scale_up.run.run_id, "--journal", copy, "-o", out).returncode == 0
    verdict = text_of(BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser"), "chain-verdict")
    assert verdict.startswith(f"Hash chain NOT intact: record {seq} (portion.result, step kmno4-addition")


def test_instruments_show_the_rig_file_beside_what_each_unit_reported(scale_up: Reported) -> None:
    reported = scale_up.of("run.started")[0].data["instruments"]
    rows = {row["Role"]: row for row in table(scale_up.soup, "instruments")}
    assert list(rows) == ["chiller", "doser", "balance", "quench_pump", "stirrer"]
    assert rows["chiller"]["Rig file: model"] == "Unistat 705 (simulated)"
    for role, row in rows.items():
        ident = reported[role]
        assert row["Driver"] == ident["driver"]
        assert row["Reported model"] == (ident["model"] or "not reported")
        assert row["Serial number"] == (ident["serial"] or "not reported")
        assert row["Firmware"] == (ident["firmware"] or "not reported")
    assert (rows["balance"]["Reported model"], rows["balance"]["Serial number"]) == ("XPE205", "B021002593")
    assert rows["chiller"]["Serial number"] == "123456"
    assert rows["quench_pump"]["Firmware"] == "0208"
