"""The fleet view folded from the topic tree: rigs appear from their own topics, leftovers of earlier runs and
garbage do not disturb what is shown."""

from __future__ import annotations

import json

from rich.console import Console

from labctl.monitor.fleet import Fleet
from labctl.monitor.table import fleet_table


def _j(value: object) -> bytes:
    return json.dumps(value).encode()


def test_two_rigs_each_with_its_state_reading_alarms_and_prompt() -> None:
    fleet = Fleet()
    fleet.apply("labctl/b/status", _j({"online": True, "state": "tripped", "run_id": "r2", "step": "dose"}))
    fleet.apply(
        "labctl/a/status", _j({"online": True, "state": "running", "run_id": "r1", "protocol": "KMnO4"})
    )
    fleet.apply("labctl/a/telemetry", _j({"Tr_C": 2.5, "Tj_C": -4.0, "Tset_C": 2.5, "run_id": "r1"}))
    fleet.apply(
        "labctl/b/alarms/tr-high", _j({"id": "tr-high", "level": "trip", "state": "raised", "run_id": "r2"})
    )
    fleet.apply("labctl/b/alarms/old", _j({"id": "old", "level": "alarm", "state": "raised", "run_id": "r0"}))
    fleet.apply("labctl/a/prompt", _j({"id": "charge#1", "message": "Charge the flask"}))
    a, b = fleet.sorted()
    assert (a.rig, a.state, a.reading["Tr_C"], a.prompt) == (
        "a",
        "running",
        2.5,
        {"id": "charge#1", "message": "Charge the flask"},
    )
    assert (b.rig, b.state) == ("b", "tripped")
    assert [x["id"] for x in b.open_alarms()] == ["tr-high"]  # r0's alarm belongs to another run

    console = Console(width=200, record=True)
    console.print(fleet_table(fleet))
    text = console.export_text()
    row_a = next(line for line in text.splitlines() if "│ a " in line)
    row_b = next(line for line in text.splitlines() if "│ b " in line)
    assert "running" in row_a
    assert "2.50" in row_a
    assert "-4.00" in row_a
    assert "Charge the flask" in row_a
    assert "tripped" in row_b
    assert "tr-high (trip, raised)" in row_b
    assert "old" not in row_b
    assert "0.00" not in row_b  # no reading is a dash, never 0


def test_an_empty_retained_message_clears_a_prompt_or_an_alarm() -> None:
    fleet = Fleet()
    fleet.apply("labctl/a/prompt", _j({"id": "p", "message": "m"}))
    fleet.apply("labctl/a/alarms/x", _j({"id": "x", "state": "raised"}))
    fleet.apply("labctl/a/prompt", b"")
    fleet.apply("labctl/a/alarms/x", b"")
    (a,) = fleet.sorted()
    assert (a.prompt, a.alarms) == (None, {})


def test_the_last_will_shows_as_lost_and_a_clean_end_as_offline() -> None:
    fleet = Fleet()
    fleet.apply("labctl/a/status", _j({"online": False, "state": "lost"}))
    fleet.apply("labctl/b/status", _j({"online": False, "state": "completed"}))
    assert [v.state for v in fleet.sorted()] == ["lost", "completed (offline)"]


def test_garbage_is_counted_and_ignored() -> None:
    fleet = Fleet()
    fleet.apply("labctl/a/status", b"\xff\xfe not json")
    fleet.apply("labctl/a/status", _j([1, 2]))
    fleet.apply("other/a/status", _j({}))
    fleet.apply("labctl/a/whatever", _j({}))
    assert fleet.ignored == 4
    assert [v.status for v in fleet.sorted()] == [{}]
