"""The ready-to-import Grafana dashboard and Node-RED flow bind to the topic tree labctl really publishes:
every topic they subscribe to is one a dry run's publisher produces, every field they show is in those
payloads, and the Node-RED functions (run in Node.js as Node-RED runs them) turn real payloads into what the
page shows and into commands labctl accepts."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from labctl.journal import Journal
from labctl.telemetry.commands import CommandRequest
from labctl.telemetry.run_view import RunView, decode_object
from labctl.telemetry.topics import Topics
from tests.dryrun.conftest import SCALE_UP, run_dry

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"
HARNESS = Path(__file__).with_name("node_red_function.js")
RIG = "bench-1"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every JSON payload the publisher would send, by topic, for two dry runs: the shortened dosing run
    (its hold raises an alarm) and the scale-up (its prompts)."""
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for protocol in (SHORT, SCALE_UP):
        run = asyncio.run(run_dry(tmp_path_factory.mktemp("run"), protocol))
        journal = Journal(run.result.journal)
        try:
            records = list(journal.records(run.result.run_id))
        finally:
            journal.close()
        view = RunView(Topics(RIG), run.result.run_id, "dry-run", protocol.stem)
        for record in records:
            for message in view.on_record(record):
                payload = decode_object(message.payload)
                if payload is not None:
                    by_topic[message.topic].append(payload)
    return by_topic


def _matches(pattern: str, topic: str) -> bool:
    want, have = pattern.split("/"), topic.split("/")
    for i, level in enumerate(want):
        if level == "#":
            return True
        if i >= len(have) or level not in ("+", have[i]):
            return False
    return len(want) == len(have)


def _payloads(published: dict[str, list[dict[str, Any]]], pattern: str) -> list[dict[str, Any]]:
    found = [p for topic, payloads in published.items() if _matches(pattern, topic) for p in payloads]
    assert found, f"nothing labctl publishes matches {pattern}"
    return found


def test_every_grafana_panel_reads_a_published_topic_and_fields_it_carries(
    published: dict[str, list[dict[str, Any]]],
) -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "labctl-rigs.json").read_text())
    assert [i["pluginId"] for i in dashboard["__inputs"]] == ["grafana-mqtt-datasource"]
    assert dashboard["templating"]["list"][0]["name"] == "rig"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        (target,) = panel["targets"]
        assert target["datasource"] == {"type": "grafana-mqtt-datasource", "uid": "${DS_MQTT}"}
        payloads = _payloads(published, target["topic"].replace("${rig}", RIG))
        keys = set().union(*(p.keys() for p in payloads))
        (organize,) = [t for t in panel["transformations"] if t["id"] == "organize"]
        shown = set(organize["options"]["includeByName"]) - {"Time"}
        named = {o["matcher"]["options"] for o in panel["fieldConfig"]["overrides"]}
        assert shown | named <= keys, (panel["title"], (shown | named) - keys)
    topics = {p["targets"][0]["topic"] for p in panels}
    assert {
        "labctl/${rig}/status",
        "labctl/${rig}/telemetry",
        "labctl/${rig}/dosing",
        "labctl/${rig}/alarms/+",
    } <= topics


def _flow() -> list[dict[str, Any]]:
    return json.loads((DEPLOY / "node-red" / "labctl-flow.json").read_text())


def test_the_node_red_flow_is_wired_to_nodes_that_exist_and_topics_labctl_publishes(
    published: dict[str, list[dict[str, Any]]],
) -> None:
    flow = _flow()
    ids = [n["id"] for n in flow]
    assert len(ids) == len(set(ids))
    by_id = {n["id"]: n for n in flow}
    for n in flow:
        for output in n.get("wires", []):
            assert all(target in by_id for target in output), n["id"]
        if "z" in n:
            assert by_id[n["z"]]["type"] == "tab"
        if n["type"] in ("mqtt in", "mqtt out"):
            assert by_id[n["broker"]]["type"] == "mqtt-broker"
        if "group" in n:
            assert by_id[n["group"]]["type"] == "ui_group"
    (broker,) = [n for n in flow if n["type"] == "mqtt-broker"]
    assert broker["protocolVersion"] == "5"  # response topics for labctl's answers
    for n in flow:
        if n["type"] == "mqtt in" and n["topic"].startswith("labctl/"):
            _payloads(published, n["topic"].replace("+", RIG, 1))
    assert [n["topic"] for n in flow if n["type"] == "mqtt in" and n["topic"].startswith("ops/")] == [
        "ops/${LABCTL_OPERATOR}/nodered"
    ]


def _run(node_id: str, msg: dict[str, Any], state: dict[str, Any], env: dict[str, str] | None = None) -> Any:
    node = shutil.which("node")
    assert node, (
        "Node.js runs the flow's functions in this test; .ci/run installs it (apt-get install nodejs)"
    )
    func = next(n["func"] for n in _flow() if n["id"] == node_id)
    done = subprocess.run(
        [node, str(HARNESS)],
        input=json.dumps({"func": func, "msg": msg, "flow": state, "env": env or {}}),
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    out = json.loads(done.stdout)
    state.clear()
    state.update(out["flow"])
    return out["result"], out["warnings"]


def test_node_red_functions_show_real_payloads_and_send_commands_labctl_accepts(
    published: dict[str, list[dict[str, Any]]],
) -> None:
    state: dict[str, Any] = {}
    status = next(
        p for p in published[f"labctl/{RIG}/status"] if p["state"] == "running" and p.get("step_kind")
    )
    (rigs, shown, step), _ = _run("fn.status", {"topic": f"labctl/{RIG}/status", "payload": status}, state)
    assert rigs == {"options": [RIG]}
    assert shown == {"payload": "running"}
    assert step["payload"].startswith(f"{status['step']} ({status['step_kind']})")
    assert state["rig"] == RIG
    snapshot = published[f"labctl/{RIG}/telemetry"][-1]
    (points, now), _ = _run("fn.telemetry", {"topic": f"labctl/{RIG}/telemetry", "payload": snapshot}, state)
    assert {p["topic"]: p["payload"] for p in points}["Tr"] == snapshot["Tr_C"]
    assert now == {"payload": f"{snapshot['Tr_C']:.2f} °C"}
    other, _ = _run("fn.telemetry", {"topic": "labctl/bench-9/telemetry", "payload": snapshot}, state)
    assert other is None  # another rig's values stay off this rig's chart
    alarm_topic = next(t for t in published if t.startswith(f"labctl/{RIG}/alarms/"))
    raised = next(p for p in published[alarm_topic] if p["state"] == "raised")
    text, _ = _run("fn.alarms", {"topic": alarm_topic, "payload": raised}, state)
    assert raised["id"] in text["payload"]
    dosing = published[f"labctl/{RIG}/dosing"][-1]
    shown_dosing, _ = _run("fn.dosing", {"topic": f"labctl/{RIG}/dosing", "payload": dosing}, state)
    assert shown_dosing["payload"].startswith(
        f"{dosing['portions_done']} of {dosing['portions_planned']} portions"
    )

    env = {"LABCTL_OPERATOR": "alice"}
    for verb in ("pause", "ack-alarm"):
        (commands,), warnings = _run("fn.command", {"payload": verb}, state, env)
        assert warnings == []
        for command in commands:
            assert command["topic"] == f"labctl/{RIG}/cmd/{verb}"
            assert command["responseTopic"] == "ops/alice/nodered"
            request = CommandRequest.model_validate_json(command["payload"])
            assert (request.by, request.rig) == ("alice", RIG)
            assert command["correlationData"] == request.id
        if verb == "ack-alarm":
            assert [CommandRequest.model_validate_json(c["payload"]).target for c in commands] == [
                raised["id"]
            ]
    nothing, warnings = _run("fn.command", {"payload": "abort"}, state, env)
    assert nothing is None
    assert warnings == ["give a reason to abort"]
