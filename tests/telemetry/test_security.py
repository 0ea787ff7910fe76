"""The broker's password file and ACL decide who may command; labctl decides what makes sense.

Mosquitto runs with the shipped example ACL (deploy/mosquitto/labctl.acl, rig renamed): anonymous and read-only
clients publish pause and abort and nothing reaches the run; an operator's hostile payloads (hypothesis-drawn)
are each answered with a refusal; the run completes as if none of it had happened."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.dryrun.run import dry_run
from labctl.engine.control import RunState, Verb
from labctl.journal import Journal
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Subscriber, retained

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"
SHIPPED_ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "labctl.acl"
RIG = "bench-5"
ROOT = f"labctl/{RIG}"
USERS = {"labctl-bench-5": "pw-controller", "alice": "pw-alice", "dashboard": "pw-dashboard"}

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
_hostile_who = st.sampled_from(["", "a" * 65, "ann\n", "x\x00y", "$(rm -rf /)", "<script>", "ünïcödé\u202e"])
_hostile = st.one_of(
    st.binary(max_size=200),
    _json.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in {"by", "target", "rig", "id"}),
        _json,
        min_size=1,
        max_size=3,
    ).map(lambda extra: json.dumps({"by": "alice", **extra}).encode()),
    _hostile_who.map(lambda who: json.dumps({"by": who}).encode()),
    _json.filter(lambda v: not isinstance(v, str)).map(lambda v: json.dumps({"by": v}).encode()),
    st.just(b'{"by": "alice", "target": "' + b"x" * 5000 + b'"}'),
    st.just(b'{"by": "alice"' * 1000),
    st.just(b"[" * 5000),
)


def _draw_hostile(n: int) -> list[tuple[str, bytes]]:
    drawn: list[tuple[str, bytes]] = []

    @settings(max_examples=n, database=None, deadline=None)
    @given(verb=st.sampled_from([v.value for v in Verb]), payload=_hostile)
    def draw(verb: str, payload: bytes) -> None:
        drawn.append((verb, payload))

    draw()
    return drawn


def _acl() -> str:
    return SHIPPED_ACL.read_text().replace("bench-1", RIG) + "\n"


async def test_only_operators_command_and_hostile_payloads_change_nothing(tmp_path: Path) -> None:
    broker = Broker(tmp_path, users=USERS, acl=_acl())
    broker.start()
    try:
        url = f"mqtt://labctl-bench-5:pw-controller@127.0.0.1:{broker.port}"
        run = asyncio.create_task(
            dry_run(load_protocol(SHORT), tmp_path / "j.sqlite", mqtt=parse_mqtt_url(url, rig=RIG), speed=300)
        )
        hostile = _draw_hostile(120)
        async with (
            Subscriber(broker.port, f"{ROOT}/status") as anonymous,
            Subscriber(broker.port, f"{ROOT}/#", username="dashboard", password="pw-dashboard") as dashboard,
            Subscriber(broker.port, "ops/alice/#", username="alice", password="pw-alice") as alice,
        ):
            await dashboard.wait_for(lambda seen: [s for s in seen if s.topic == f"{ROOT}/status"])
            for intruder in (anonymous, dashboard):
                await intruder.send(f"{ROOT}/cmd/pause", {"by": "intruder"}, response_topic="ops/alice/x")
                await intruder.send(f"{ROOT}/cmd/abort", {"by": "intruder"}, response_topic="ops/alice/x")
                await intruder.send(f"{ROOT}/status", {"online": False, "state": "aborted"}, retain=True)
            for n, (verb, payload) in enumerate(hostile):
                await alice.send(
                    f"{ROOT}/cmd/{verb}", payload, response_topic="ops/alice/hostile", correlation=b"%d" % n
                )
            answers = await alice.wait_for(
                lambda seen: len(hostile) <= len([s for s in seen if s.topic == "ops/alice/hostile"]) and seen
            )
            await alice.send(
                f"{ROOT}/cmd/pause", {"by": "alice"}, response_topic="ops/alice/ok", correlation=b"p"
            )
            await alice.send(
                f"{ROOT}/cmd/resume", {"by": "alice"}, response_topic="ops/alice/ok", correlation=b"r"
            )
            ok = await alice.wait_for(
                lambda seen: (
                    (answered := [s.json() for s in seen if s.topic == "ops/alice/ok"])[1:] and answered
                )
            )
            result = await run
            final = await retained(
                broker.port, f"{ROOT}/status", username="dashboard", password="pw-dashboard"
            )
        assert result.state is RunState.COMPLETED

        hostile_answers = [s for s in answers if s.topic == "ops/alice/hostile"]
        assert sorted(int(s.correlation or b"-1") for s in hostile_answers) == list(range(len(hostile)))
        assert all(s.json()["accepted"] is False for s in hostile_answers)
        assert [
            s for s in alice.seen if s.topic == "ops/alice/x"
        ] == []  # the intruders' commands never arrived
        assert [(a["verb"], a["accepted"]) for a in ok] == [("pause", True), ("resume", True)]

        journal = Journal(tmp_path / "j.sqlite")
        commands = [r.data for r in journal.records(result.run_id, "operator.command")]
        journal.close()
        assert [(c["verb"], c["by"], c["accepted"]) for c in commands] == [
            ("pause", "alice", True),
            ("resume", "alice", True),
            ("confirm-prompt", "dry-run operator", True),  # the quench, seen leaving the reservoir
        ]
        assert final  # dashboard login is not allowed to overwrite the controller's status
        assert json.loads(final[0].payload)["run_id"] == result.run_id
    finally:
        broker.stop()
