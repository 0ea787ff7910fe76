"""An alarm's life on `alarms/<id>` as a dashboard sees it: raised with its level and reading, acknowledged over
MQTT by a chemist, cleared when its condition is gone; an earlier run's leftovers are removed at the start."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from labctl.dryrun.run import dry_run
from labctl.engine.control import RunState
from labctl.journal import Journal
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Seen, Subscriber, retained

UNDERSHOOTING = Path(__file__).resolve().parent / "undershooting-hold.yaml"
RIG = "bench-2"
ALARM = f"labctl/{RIG}/alarms/stir-cold-excursion"


def _states(seen: list[Seen]) -> list[str]:
    return [s.json()["state"] for s in seen if s.topic == ALARM and s.payload]


async def test_an_alarm_is_raised_acknowledged_over_mqtt_and_cleared(tmp_path: Path, broker: Broker) -> None:
    """The protocol undershoots the 0–5 °C hold band (Tr a few tenths below 0 °C) after its last portion. Acknowledged, the
    alarm leaves the run `completed`."""
    async with Subscriber(broker.port, f"labctl/{RIG}/#") as chemist:
        await chemist.send(
            f"labctl/{RIG}/alarms/tr-high", {"id": "tr-high", "state": "raised", "run_id": "old"}, retain=True
        )
        await chemist.send(f"labctl/{RIG}/prompt", {"id": "x", "run_id": "old"}, retain=True)
        await chemist.send(
            f"labctl/{RIG}/alarms/junk", b"[" * 5000, retain=True
        )  # too deep for a JSON parser
        run = asyncio.create_task(
            dry_run(
                load_protocol(UNDERSHOOTING),
                tmp_path / "j.sqlite",
                mqtt=parse_mqtt_url(broker.url, rig=RIG),
                speed=300,
            )
        )
        raised = await chemist.wait_for(lambda seen: [s.json() for s in seen if s.topic == ALARM])
        await chemist.send(f"labctl/{RIG}/cmd/ack-alarm", {"by": "carol", "target": "stir-cold-excursion"})
        await chemist.wait_for(lambda seen: "cleared" in _states(seen))
        result = await run
    assert result.state is RunState.COMPLETED

    first = raised[0]
    assert (first["state"], first["level"], first["active"], first["run_id"]) == (
        "raised",
        "alarm",
        True,
        result.run_id,
    )
    assert first["reading"]["Tr_C"] < 0.0
    assert re.fullmatch(r"Tr -0\.\d\d °C outside 0–5 °C for longer than 60 s", first["message"])
    states = _states(chemist.seen)
    changes = [state for i, state in enumerate(states) if i == 0 or states[i - 1] != state]
    assert changes == ["raised", "acknowledged", "cleared"]
    journal = Journal(tmp_path / "j.sqlite")
    acks = [r.data for r in journal.records(result.run_id, "alarm.acknowledged")]
    journal.close()
    assert acks == [{"id": "stir-cold-excursion", "by": "carol"}]

    late = {s.topic: s for s in await retained(broker.port, f"labctl/{RIG}/#") if s.payload}
    assert late[ALARM].json()["state"] == "cleared"
    assert late[ALARM].json()["acknowledged_by"] == "carol"
    assert f"labctl/{RIG}/alarms/tr-high" not in late  # the earlier run's alarm is gone
    assert f"labctl/{RIG}/prompt" not in late
    assert f"labctl/{RIG}/alarms/junk" not in late
