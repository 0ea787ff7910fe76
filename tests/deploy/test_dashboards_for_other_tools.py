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
from labctl.telemetry.payloads import decode_object
from labctl.telemetry.run_view import RunView
from labctl.telemetry.topics import Topics
from tests.dryrun.conftest import SCALE_UP, run_dry

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNDERSHOOTING = Path(__file__).resolve().parents[1] / "telemetry" / "undershooting-hold.yaml"
HARNESS = Path(__file__).with_name("node_red_function.js")
RIG = "bench-1"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every JSON payload the publisher would send, by topic, for two dry runs: a shortened dosing run whose
    hold raises an alarm, and the scale-up (its prompts)."""
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for protocol in (UNDERSHOOTING, SCALE_UP):
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
        for grouped in (t for t in panel["transformations"] if t["id"] == "groupBy"):
            shown |= set(grouped["options"]["fields"])
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
    # Node-RED substitutes an environment variable only when it is a property's whole value
    assert [n["topic"] for n in flow if n["type"] == "mqtt in" and not n["topic"].startswith("labctl/")] == [
        "${LABCTL_REPLY_TOPIC}"
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
    at = f"labctl/{RIG}"
    (rigs, shown, step), _ = _run("fn.status", {"topic": f"{at}/status", "payload": status}, state)
    assert rigs == {"options": [RIG]}  # offered, never chosen for the person
    assert (shown, step, "rig" in state) == (None, None, False)
    alarm_topic = next(t for t in published if t.startswith(f"{at}/alarms/"))
    raised = next(p for p in published[alarm_topic] if p["state"] == "raised")
    assert _run("fn.alarms", {"topic": alarm_topic, "payload": raised}, state)[0] is None  # cached only
    prompt = published[f"{at}/prompt"][0]
    _run("fn.prompt", {"topic": f"{at}/prompt", "payload": prompt}, state)

    (clear, again, dosing_again, alarms_again, prompt_again), _ = _run("fn.choose", {"payload": RIG}, state)
    assert clear == {"payload": []}
    assert dosing_again == {"topic": f"{at}/dosing", "payload": None}  # nothing cached: shown as no dosing
    assert again == {"topic": f"{at}/status", "payload": status}  # the cached state, shown at once
    assert alarms_again == [{"topic": alarm_topic, "payload": raised}]
    assert prompt_again == {"topic": f"{at}/prompt", "payload": prompt}
    (_, shown, step), _ = _run("fn.status", again, state)
    assert shown == {"payload": "running"}
    assert step["payload"].startswith(f"{status['step']} ({status['step_kind']})")
    text, _ = _run("fn.alarms", alarms_again[0], state)
    assert raised["id"] in text["payload"]
    _run("fn.prompt", prompt_again, state)

    snapshot = published[f"{at}/telemetry"][-1]
    (points, now), _ = _run("fn.telemetry", {"topic": f"{at}/telemetry", "payload": snapshot}, state)
    assert {p["topic"]: p["payload"] for p in points}["Tr"] == snapshot["Tr_C"]
    assert now == {"payload": f"{snapshot['Tr_C']:.2f} °C"}
    assert _run("fn.telemetry", {"topic": "labctl/bench-9/telemetry", "payload": snapshot}, state)[0] is None
    dosing = published[f"{at}/dosing"][-1]
    shown_dosing, _ = _run("fn.dosing", {"topic": f"{at}/dosing", "payload": dosing}, state)
    assert shown_dosing["payload"].startswith(
        f"{dosing['portions_done']} of {dosing['portions_planned']} portions"
    )

    env = {"LABCTL_OPERATOR": "alice", "LABCTL_REPLY_TOPIC": "ops/alice/nodered"}
    for verb, target in (("pause", None), ("ack-alarm", raised["id"]), ("confirm-prompt", prompt["id"])):
        (command, clear_reason), warnings = _run("fn.command", {"payload": verb}, state, env)
        assert (warnings, clear_reason) == ([], None)
        assert command["topic"] == f"{at}/cmd/{verb}"
        assert command["responseTopic"] == "ops/alice/nodered"
        request = CommandRequest.model_validate_json(command["payload"])
        assert (request.by, request.rig, request.target) == ("alice", RIG, target)
        assert command["correlationData"] == request.id
    nothing, warnings = _run("fn.command", {"payload": "abort"}, state, env)
    assert (nothing, warnings) == (None, ["give a reason to abort"])
    _run("fn.reason", {"payload": " reactor too warm "}, state)
    (abort, clear_reason), _ = _run("fn.command", {"payload": "abort"}, state, env)
    assert CommandRequest.model_validate_json(abort["payload"]).target == "reactor too warm"
    assert clear_reason == {"payload": ""}
    assert (
        _run("fn.command", {"payload": "abort"}, state, env)[0] is None
    )  # the next abort needs a new reason
