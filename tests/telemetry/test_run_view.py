"""The folding of journal records into retained topics, on its own."""

from __future__ import annotations

import json
from typing import Any

from labctl.journal import Record
from labctl.telemetry.run_view import RunView
from labctl.telemetry.topics import Topics

_seq = iter(range(1, 1000))


def rec(kind: str, **data: Any) -> Record:
    return Record(next(_seq), "run-1", 60.0, "2026-11-29T10:00:00.000Z", kind, "dose", data)


RAISED = {
    "id": "tr-high",
    "level": "trip",
    "message": "Tr > 10 °C",
    "active": True,
    "reading": {"Tr_C": 10.4},
}


def test_a_resumed_run_knows_its_open_alarm_and_publishes_its_acknowledgement() -> None:
    view = RunView(Topics("r"), "run-1", "run", "KMnO4")
    view.replay(
        [
            rec("run.state", to="tripped", reason="interlock tr-high", by="labctl"),
            rec("alarm.raised", **RAISED),
        ]
    )
    (status,) = [m for m in view.birth("now") if m.topic == "labctl/r/status"]
    assert json.loads(status.payload)["state"] == "tripped"
    (alarm,) = [
        m for m in view.on_record(rec("alarm.acknowledged", id="tr-high", by="ann")) if "alarms" in m.topic
    ]
    assert alarm.topic == "labctl/r/alarms/tr-high"
    assert alarm.retain
    body = json.loads(alarm.payload)
    assert (body["state"], body["acknowledged_by"], body["level"], body["reading"]) == (
        "acknowledged",
        "ann",
        "trip",
        {"Tr_C": 10.4},
    )


def test_a_signal_is_sent_when_it_changes_and_no_reading_is_an_empty_payload() -> None:
    view = RunView(Topics("r"), "run-1", "run", "KMnO4")
    first = {
        m.topic: m.payload for m in view.on_record(rec("reading", Tr_C=2.5, Tj_C=None, chiller_online=True))
    }
    assert first["labctl/r/telemetry/Tr_C"] == b"2.5"
    assert first["labctl/r/telemetry/Tj_C"] == b""
    assert first["labctl/r/telemetry/chiller_online"] == b"true"
    second = {
        m.topic: m.payload for m in view.on_record(rec("reading", Tr_C=2.6, Tj_C=None, chiller_online=True))
    }
    assert set(second) == {"labctl/r/telemetry/Tr_C", "labctl/r/telemetry"}
    assert json.loads(second["labctl/r/telemetry"])["Tj_C"] is None


def test_instrument_commands_are_not_events_and_the_prompt_clears_when_confirmed() -> None:
    view = RunView(Topics("r"), "run-1", "run", "KMnO4")
    assert view.on_record(rec("command", device="doser", command="stop")) == []
    opened = {m.topic: m for m in view.on_record(rec("prompt.opened", id="charge#1", message="Charge"))}
    assert json.loads(opened["labctl/r/prompt"].payload)["id"] == "charge#1"
    confirmed = {m.topic: m for m in view.on_record(rec("prompt.confirmed", id="charge#1", by="ann"))}
    assert confirmed["labctl/r/prompt"].payload == b""
    assert confirmed["labctl/r/prompt"].retain
    assert json.loads(confirmed["labctl/r/events"].payload)["kind"] == "prompt.confirmed"


def test_a_prompt_that_asks_whether_the_quench_arrived_says_so_and_clears_when_declined() -> None:
    view = RunView(Topics("r"), "run-1", "run", "KMnO4")
    delivery = {"device": "pump", "planned_ml": 50.0, "since_s": 11154.0}
    opened = {
        m.topic: m
        for m in view.on_record(rec("prompt.opened", id="quench#4", message="Quench", delivery=delivery))
    }
    assert json.loads(opened["labctl/r/prompt"].payload)["delivery"] == delivery
    declined = {m.topic: m for m in view.on_record(rec("prompt.declined", id="quench#4", by="ann"))}
    assert declined["labctl/r/prompt"].payload == b""  # no stale prompt left for a dashboard to confirm
    assert declined["labctl/r/prompt"].retain
    assert json.loads(declined["labctl/r/events"].payload)["kind"] == "prompt.declined"
    ended = view.on_record(rec("run.ended", state="halted", compromised=False))
    assert [m for m in ended if m.topic == "labctl/r/prompt"] == []  # cleared once
