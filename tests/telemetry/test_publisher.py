"""A dry run publishing to a real Mosquitto, watched by an independent client: the retained status with its
birth and goodbye, every event in journal order, telemetry equal to the journal's readings, and the run's
picture still there for a dashboard that connects after the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.dryrun.run import dry_run
from labctl.engine.control import RunState
from labctl.journal import Journal
from labctl.protocol.loader import load_protocol
from labctl.telemetry.run_view import NOT_EVENTS
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Seen, Subscriber, retained

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"
RIG = "bench-3"


def _events(seen: list[Seen]) -> list[dict[str, object]]:
    """Events once each (a reconnect may repeat some, never skip or reorder them)."""
    unique: dict[int, dict[str, object]] = {}
    for s in seen:
        if s.topic == f"labctl/{RIG}/events":
            event = s.json()
            unique.setdefault(event["seq"], event)
    return list(unique.values())


async def test_a_dry_run_publishes_its_status_events_and_telemetry_as_the_journal_has_them(
    tmp_path: Path, broker: Broker
) -> None:
    settings = parse_mqtt_url(broker.url, rig=RIG)
    async with Subscriber(broker.port, f"labctl/{RIG}/#") as watcher:
        result = await dry_run(load_protocol(SHORT), tmp_path / "j.sqlite", mqtt=settings)
        status = await watcher.wait_for(
            lambda seen: [
                s.json() for s in seen if s.topic == f"labctl/{RIG}/status" and not s.json()["online"]
            ]
        )
    assert result.state is RunState.COMPLETED
    journal = Journal(tmp_path / "j.sqlite")
    records = list(journal.records(result.run_id))
    last_hash = journal.record_hash(result.run_id, records[-1].seq)
    journal.close()

    statuses = [s.json() for s in watcher.on(f"labctl/{RIG}/status")]
    assert statuses[0]["online"] is True
    assert statuses[0]["state"] == "starting"
    assert statuses[0]["run_id"] == result.run_id
    assert [s["state"] for s in statuses if s["online"]][-1] == "completed"
    assert status[-1]["state"] == "completed"
    assert all(s.retain is False for s in watcher.on(f"labctl/{RIG}/status"))  # live copies; retained below

    events = _events(watcher.seen)
    expected = [r for r in records if r.kind not in NOT_EVENTS]
    assert [e["seq"] for e in events] == [r.seq for r in expected]
    assert [e["kind"] for e in events] == [r.kind for r in expected]
    assert [e["kind"] for e in events[:2]] == ["protocol.checked", "run.started"]
    assert events[-1]["kind"] == "run.ended"
    portions = [e["data"] for e in events if e["kind"] == "portion.result"]
    assert [p["portion"] for p in portions] == [1, 2, 3, 4, 5]
    assert {e["kind"] for e in events} >= {
        "step.started",
        "portion.planned",
        "portion.start",
        "quench.started",
    }

    readings = {r.t_s: r.data for r in records if r.kind == "reading"}
    snapshots = [s.json() for s in watcher.on(f"labctl/{RIG}/telemetry")]
    assert len(snapshots) > 10
    for snap in snapshots:
        assert snap["run_id"] == result.run_id
        reading = readings[snap["t_s"]]
        assert {k: snap[k] for k in reading} == reading
    tr = [float(s.payload) for s in watcher.on(f"labctl/{RIG}/telemetry/Tr_C")]
    assert tr
    assert set(tr) <= {r["Tr_C"] for r in readings.values()}

    # a dashboard opened after the run still sees the run's end, its last readings and no open prompt
    late = await retained(broker.port, f"labctl/{RIG}/#")
    by_topic = {s.topic: s for s in late}
    final = by_topic[f"labctl/{RIG}/status"].json()
    assert (final["online"], final["state"], final["run_id"]) == (False, "completed", result.run_id)
    last_reading = [r for r in records if r.kind == "reading"][-1].data
    assert float(by_topic[f"labctl/{RIG}/telemetry/Tr_C"].payload) == pytest.approx(last_reading["Tr_C"])
    assert by_topic[f"labctl/{RIG}/telemetry"].json()["Tr_C"] == last_reading["Tr_C"]
    assert f"labctl/{RIG}/prompt" not in by_topic
    head = by_topic[f"labctl/{RIG}/journal/head"].json()  # the chain's end, kept where the journal is not
    assert (head["run_id"], head["seq"], head["hash"]) == (result.run_id, records[-1].seq, last_hash)
