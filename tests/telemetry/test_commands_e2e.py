"""Commands over MQTT against a dry run waiting at its charge prompt: the prompt is confirmed with an MQTT v5
response topic and correlation data, a v3.1.1 client gets its answer on the fallback topic, nonsense is
refused with a reason and changes nothing, and each accepted command is in the journal with who sent it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from labctl.dryrun.run import dry_run
from labctl.engine.control import RunState
from labctl.engine.engine import Engine
from labctl.journal import Journal
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import parse_mqtt_url
from tests.dryrun.conftest import SCALE_UP
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Seen, Subscriber, retained

RIG = "bench-1"
ROOT = f"labctl/{RIG}"


def nobody(eng: Engine) -> None:
    """No simulated chemist: the prompt waits for MQTT."""


def _reply(seen: list[Seen], request_id: str) -> dict[str, object] | None:
    """The answer to a request, matched by its correlation data (v5) or the `id` in its payload (v3.1.1)."""
    for s in seen:
        if s.topic.startswith((f"{ROOT}/replies", "ops/")):
            body = s.json()
            if request_id in (body.get("id"), s.correlation and s.correlation.decode()):
                return body
    return None


async def test_an_operator_confirms_pauses_and_aborts_over_mqtt_and_nonsense_changes_nothing(
    tmp_path: Path, broker: Broker
) -> None:
    settings = parse_mqtt_url(broker.url, rig=RIG)
    run = asyncio.create_task(
        dry_run(load_protocol(SCALE_UP), tmp_path / "j.sqlite", mqtt=settings, operator=nobody, speed=300)
    )
    async with (
        Subscriber(broker.port, f"{ROOT}/#", "ops/#") as chemist,
        Subscriber(broker.port, f"{ROOT}/replies", v5=False) as old_client,
    ):
        prompt = await chemist.wait_for(lambda seen: [s.json() for s in seen if s.topic == f"{ROOT}/prompt"])
        prompt_id = prompt[0]["id"]
        assert prompt[0]["message"].startswith("Charge 54.0 g 1t")

        nonsense: list[tuple[str, bytes]] = [
            ("self-destruct", b'{"by": "mallory", "id": "n1"}'),
            ("pause", b'{"by": "mallory", "id": "n2"'),
            ("pause", b'{"by": "mallory", "id": "n3", "rig": "bench-2"}'),
            ("pause", b'{"by": "mallory", "id": "n4", "sudo": true}'),
            ("abort", b'{"by": "", "id": "n5"}'),
            ("resume", b'{"by": "mallory", "id": "n6"}'),
            ("ack-alarm", b'{"by": "mallory", "id": "n7", "target": "no-such-alarm"}'),
            ("confirm-prompt", b'{"by": "mallory", "id": "n8", "target": "charge#99"}'),
        ]
        for n, (verb, payload) in enumerate(nonsense, start=1):
            await chemist.send(
                f"{ROOT}/cmd/{verb}", payload, response_topic="ops/mallory", correlation=f"n{n}".encode()
            )
        reasons = {}
        for n in range(1, 9):
            reply = await chemist.wait_for(lambda seen, n=n: _reply(seen, f"n{n}"))
            assert reply["accepted"] is False
            reasons[n] = reply["reason"]
        assert reasons[1].startswith("unknown command; expected one of pause, resume, abort")
        assert reasons[2].startswith("invalid payload")
        assert reasons[3] == "this is rig 'bench-1', not 'bench-2'"
        assert "sudo" in reasons[4]
        assert reasons[5].startswith("invalid payload: by")
        assert reasons[6] == "run is running, not paused"
        assert reasons[7] == "no unacknowledged alarm 'no-such-alarm'"
        assert reasons[8] == "no such prompt is waiting"

        await chemist.send(
            f"{ROOT}/cmd/confirm-prompt",
            {"by": "Dr. A. Chemist", "target": prompt_id, "id": "c1"},
            response_topic="ops/alice",
            correlation=b"\x00corr-1",
        )
        answer = await chemist.wait_for(lambda seen: [s for s in seen if s.topic == "ops/alice"])
        assert answer[0].correlation == b"\x00corr-1"
        assert answer[0].json() | {"time": None} == {
            "verb": "confirm-prompt",
            "accepted": True,
            "reason": "accepted",
            "by": "Dr. A. Chemist",
            "id": "c1",
            "rig": RIG,
            "time": None,
        }
        await chemist.wait_for(
            lambda seen: [s for s in seen if s.topic == f"{ROOT}/prompt" and not s.payload]
        )
        assert await retained(broker.port, f"{ROOT}/prompt") == []

        await old_client.send(f"{ROOT}/cmd/pause", {"by": "bob", "id": "p1"})
        assert (await old_client.wait_for(lambda seen: _reply(seen, "p1")))["accepted"] is True
        await chemist.wait_for(
            lambda seen: [s for s in seen if s.topic == f"{ROOT}/status" and s.json()["state"] == "paused"]
        )
        await chemist.send(f"{ROOT}/cmd/pause", {"by": "bob", "id": "p2"})
        assert (await chemist.wait_for(lambda seen: _reply(seen, "p2")))[
            "reason"
        ] == "run is paused, not running"

        await chemist.send(f"{ROOT}/cmd/abort", {"by": "bob", "target": "end of test", "id": "a1"})
        assert (await chemist.wait_for(lambda seen: _reply(seen, "a1")))["accepted"] is True
        result = await run
    assert result.state is RunState.ABORTED

    journal = Journal(tmp_path / "j.sqlite")
    commands = [r.data for r in journal.records(result.run_id, "operator.command")]
    ended = next(r.data for r in journal.records(result.run_id, "run.state") if r.data["to"] == "aborted")
    journal.close()
    accepted = [(c["verb"], c["by"]) for c in commands if c["accepted"]]
    assert accepted == [("confirm-prompt", "Dr. A. Chemist"), ("pause", "bob"), ("abort", "bob")]
    assert "mallory" not in {c["by"] for c in commands if c["accepted"]}
    assert {c["verb"] for c in commands if not c["accepted"]} == {
        "resume",
        "ack-alarm",
        "confirm-prompt",
        "pause",
    }
    assert (ended["reason"], ended["by"]) == ("end of test", "bob")


async def test_a_retained_command_is_refused_and_never_replayed(tmp_path: Path, broker: Broker) -> None:
    """A retained abort on the broker would abort every run that starts; labctl answers it and ignores it."""
    async with Subscriber(broker.port, f"{ROOT}/replies") as mallory:
        await mallory.send(f"{ROOT}/cmd/abort", {"by": "mallory", "id": "r1"}, retain=True)
        settings = parse_mqtt_url(broker.url, rig=RIG)
        run = asyncio.create_task(
            dry_run(load_protocol(SCALE_UP), tmp_path / "j.sqlite", mqtt=settings, operator=nobody, speed=300)
        )
        reply = await mallory.wait_for(lambda seen: _reply(seen, "r1"))
        assert reply["accepted"] is False
        assert reply["reason"].startswith("retained commands are refused")
        await mallory.send(f"{ROOT}/cmd/abort", {"by": "tester", "id": "r2"})
        await mallory.wait_for(lambda seen: _reply(seen, "r2"))
        result = await run
    journal = Journal(tmp_path / "j.sqlite")
    ended = next(r.data for r in journal.records(result.run_id, "run.state") if r.data["to"] == "aborted")
    journal.close()
    assert ended["by"] == "tester"
