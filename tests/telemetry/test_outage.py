"""The broker goes away mid-run and comes back: the run does exactly what it does without MQTT, and a
dashboard with a persistent session ends up with every event, once each in order, and the latest values."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import aiomqtt

from labctl.dryrun.run import dry_run
from labctl.engine.control import RunState
from labctl.journal import Journal, Record
from labctl.protocol.loader import load_protocol
from labctl.telemetry.run_view import NOT_EVENTS
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Seen

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"
RIG = "bench-4"


class Dashboard:
    """A v3.1.1 client with a persistent session (clean_session off, QoS 1) that reconnects on its own: what
    a broker queues for it while it is away reaches it when it is back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.seen: list[Seen] = []
        self.sessions = 0
        self.changed = asyncio.Event()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(aiomqtt.MqttError):
                async with aiomqtt.Client(
                    "127.0.0.1",
                    self.port,
                    identifier="dashboard",
                    clean_session=False,
                    protocol=aiomqtt.ProtocolVersion.V311,
                ) as client:
                    await client.subscribe(f"labctl/{RIG}/#", qos=1)
                    self.sessions += 1
                    self.changed.set()
                    async for m in client.messages:
                        assert isinstance(m.payload, bytes)
                        self.seen.append(Seen(str(m.topic), m.payload, m.retain))
                        self.changed.set()
            await asyncio.sleep(0.05)

    async def until(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(30):
            while not done():
                self.changed.clear()
                await self.changed.wait()


def _comparable(records: list[Record]) -> list[tuple[object, ...]]:
    """What the engine did and saw, without wall times and run ids (the doser's sample ids contain one)."""
    run = records[0].run_id[-6:]
    return [(r.kind, r.step, r.t_s, json.dumps(r.data).replace(run, "RUN")) for r in records]


async def test_a_broker_outage_changes_nothing_in_the_run_and_loses_no_event(
    tmp_path: Path, broker: Broker
) -> None:
    reference = await dry_run(load_protocol(SHORT), tmp_path / "ref.sqlite")

    broker.stop()
    persistent = Broker(tmp_path, persistent=True)
    persistent.start()
    dashboard = Dashboard(persistent.port)
    watching = asyncio.create_task(dashboard.run())
    try:
        await dashboard.until(lambda: dashboard.sessions > 0)
        run = asyncio.create_task(
            dry_run(
                load_protocol(SHORT),
                tmp_path / "j.sqlite",
                mqtt=parse_mqtt_url(persistent.url, rig=RIG),
                speed=250,
            )
        )
        await asyncio.sleep(1.5)
        persistent.stop()  # about 6 min of process time into the run
        await asyncio.sleep(2.0)
        persistent.start()
        result = await run
        # MQTT orders messages per topic only, so the goodbye on status may overtake the last event
        await dashboard.until(
            lambda: (
                any(s.topic.endswith("/status") and b'"online":false' in s.payload for s in dashboard.seen)
                and any(
                    s.topic.endswith("/events") and b'"kind":"run.ended"' in s.payload for s in dashboard.seen
                )
            )
        )
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        persistent.stop()
    assert result.state is RunState.COMPLETED
    assert dashboard.sessions >= 2

    journal = Journal(tmp_path / "j.sqlite")
    records = list(journal.records(result.run_id))
    journal.close()
    ref = Journal(tmp_path / "ref.sqlite")
    ref_records = list(ref.records(reference.run_id))
    ref.close()
    assert _comparable(records) == _comparable(ref_records)

    events = [s.json() for s in dashboard.seen if s.topic == f"labctl/{RIG}/events"]
    first_seen: dict[int, dict[str, object]] = {}
    for e in events:
        first_seen.setdefault(e["seq"], e)
    expected = [r.seq for r in records if r.kind not in NOT_EVENTS]
    assert list(first_seen) == expected
    outage = [r for r in records if r.kind not in NOT_EVENTS and r.t_s > 6 * 60]
    assert outage  # events happened while the broker was down (and the test above says they all arrived)

    last_reading = [r for r in records if r.kind == "reading"][-1].data
    tr = [s for s in dashboard.seen if s.topic == f"labctl/{RIG}/telemetry/Tr_C"]
    assert float(tr[-1].payload) == last_reading["Tr_C"]
