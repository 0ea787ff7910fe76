"""The dashboard end to end: Mosquitto with a WebSocket listener and the shipped ACL, two dry runs publishing
to it at a slowed pace, `labctl dashboard` serving the page, and headless Chromium using it the way an operator
would: live values change, alice pauses one rig, the read-only login is turned away by the broker, and a
screenshot shows the rigs."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page

from tests.browser import chromium
from tests.dashboard.proxy import CuttableProxy
from tests.telemetry.broker import Broker, free_port

LABCTL = Path(sys.executable).parent / "labctl"
SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"
SHIPPED_ACL = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto" / "labctl.acl"
RIGS = ("bench-7", "bench-8")
USERS = {"alice": "pw-alice", "dashboard": "pw-dashboard"} | {f"labctl-{rig}": f"pw-{rig}" for rig in RIGS}
WAIT_MS = 30_000


def _acl() -> str:
    """The shipped ACL with its controller block for each of the two rigs."""
    shipped = SHIPPED_ACL.read_text()
    controller = shipped[shipped.index("user labctl-bench-1") : shipped.index("# Operators")]
    return shipped.replace("bench-1", RIGS[0]) + "\n" + controller.replace("bench-1", RIGS[1])


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    folder = tmp_path / "broker"
    folder.mkdir()
    b = Broker(folder, users=USERS, acl=_acl(), websockets=True)
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def runs(broker: Broker, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """One dry run per rig, paced at 20× so the page sees values change; stopped when the test is done."""
    journals = {rig: tmp_path / f"{rig}.sqlite" for rig in RIGS}
    processes = [
        subprocess.Popen(
            [
                str(LABCTL),
                "dry-run",
                str(SHORT),
                "--journal",
                str(journals[rig]),
                "--speed",
                "20",
                "--operator",
                "ci",
                "--mqtt",
                f"mqtt://labctl-{rig}:pw-{rig}@127.0.0.1:{broker.port}",
                "--mqtt-rig",
                rig,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for rig in RIGS
    ]
    try:
        yield journals
    finally:
        for process in processes:
            process.kill()
            process.wait(10)


@pytest.fixture
def link(broker: Broker) -> Iterator[CuttableProxy]:
    """The browser reaches the broker's WebSocket listener through this, so the test can cut only its link."""
    assert broker.ws_port is not None
    proxy = CuttableProxy(broker.ws_port)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def dashboard(link: CuttableProxy) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [str(LABCTL), "dashboard", "--mqtt", f"ws://127.0.0.1:{link.port}", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"dashboard: http://127.0.0.1:{port}/"), line
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(10)


def _card(page: Page, rig: str) -> Locator:
    return page.locator(f'section.rig[data-rig="{rig}"]')


def _wait_text(page: Page, rig: str, selector: str, expression: str) -> None:
    """Until `expression` (JavaScript, `t` = the element's text) holds for the rig card's element."""
    page.wait_for_function(
        f"""() => {{
            const e = document.querySelector('section.rig[data-rig="{rig}"] {selector}');
            const t = e ? e.textContent : null;
            return t !== null && ({expression});
        }}""",
        timeout=WAIT_MS,
    )


def _sign_in(page: Page, user: str, password: str) -> None:
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_function("() => document.body.dataset.canCommand === 'yes'", timeout=WAIT_MS)


def _journal(path: Path, kind: str) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT data FROM records WHERE kind = ? ORDER BY seq", (kind,))]


def test_an_operator_watches_two_rigs_and_pauses_one(
    runs: dict[str, Path], dashboard: str, tmp_path: Path
) -> None:
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda dialog: dialog.dismiss())
        page.goto(dashboard)
        _sign_in(page, "alice", "pw-alice")

        for rig in RIGS:
            _wait_text(page, rig, ".v-Tr_C", "t !== '—'")
        first = _card(page, "bench-7").locator(".v-Tr_C").text_content()
        _wait_text(page, "bench-7", ".v-Tr_C", f"t !== {first!r}")  # live, not a retained snapshot
        for rig in RIGS:
            _wait_text(page, rig, ".state", "t === 'running'")
            assert (
                _card(page, rig).locator(".dose-text").text_content()
                == "0 of 5 portions done, 0.00 of 23.75 g"
            )

        _card(page, "bench-7").locator(".pause").click()
        _wait_text(page, "bench-7", ".state", "t === 'paused'")
        _wait_text(page, "bench-7", ".feedback", "t === 'pause: accepted'")
        assert _card(page, "bench-8").locator(".state").text_content() == "running"
        assert _card(page, "bench-7").locator(".reason").text_content() == "— operator pause"
        page.wait_for_timeout(1000)  # the chart's next frames
        page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

        page.click("#sign-out")
        _sign_in(page, "dashboard", "pw-dashboard")  # read-only in the ACL
        _wait_text(page, "bench-7", ".state", "t === 'paused'")
        _card(page, "bench-7").locator(".resume").click()
        _wait_text(page, "bench-7", ".feedback", "t.startsWith('resume: rejected by the broker')")
        assert "Not authorized" in (_card(page, "bench-7").locator(".feedback").text_content() or "")
        page.wait_for_timeout(500)
        assert _card(page, "bench-7").locator(".state").text_content() == "paused"

    assert problems == []
    paused = [s for s in _journal(runs["bench-7"], "run.state") if '"to": "paused"' in s]
    assert len(paused) == 1
    assert '"by": "alice"' in paused[0]
    commands = _journal(runs["bench-7"], "operator.command")
    assert [
        c for c in commands if '"verb": "pause"' in c and '"by": "alice"' in c and '"accepted": true' in c
    ]
    assert not [c for c in commands if '"verb": "resume"' in c]  # the broker stopped it; labctl never saw it
    assert not [c for c in _journal(runs["bench-8"], "operator.command") if '"verb": "pause"' in c]

    with Image.open(tmp_path / "dashboard.png") as shot:
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 20)
        size = shot.size[0] * shot.size[1]
    assert colours is not None
    counts = {colour: count for count, colour in colours}
    assert len(colours) > 50
    assert max(counts.values()) < 0.9 * size  # not one flat colour
    assert counts.get((0xB2, 0x18, 0x2B), 0) > 100  # the Tr curve was drawn
    assert counts.get((0xBF, 0x87, 0x00), 0) > 100  # the amber "paused" badge


def test_a_command_clicked_while_the_page_is_cut_off_is_never_sent_later(
    runs: dict[str, Path], dashboard: str, link: CuttableProxy
) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(dashboard)
        _sign_in(page, "alice", "pw-alice")
        _wait_text(page, "bench-7", ".state", "t === 'running'")
        _card(page, "bench-7").locator(".pause").click()
        _wait_text(page, "bench-7", ".feedback", "t === 'pause: accepted'")
        _wait_text(page, "bench-7", ".state", "t === 'paused'")
        link.cut()
        page.wait_for_function("() => document.body.dataset.connected === 'no'", timeout=WAIT_MS)
        _card(page, "bench-7").locator(".resume").evaluate("button => button.click()")  # past the greying-out
        _wait_text(page, "bench-7", ".feedback", "t === 'resume: not sent: no connection to the broker'")
        link.restore()
        page.wait_for_function("() => document.body.dataset.connected === 'yes'", timeout=WAIT_MS)
        page.wait_for_timeout(3000)  # time for anything queued to go out and be applied
        assert _card(page, "bench-7").locator(".state").text_content() == "paused"
    assert not [c for c in _journal(runs["bench-7"], "operator.command") if '"verb": "resume"' in c]


def _as_controller(broker: Broker, rig: str) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(f"labctl-{rig}", f"pw-{rig}")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def test_a_prompt_asking_whether_the_quench_arrived_offers_the_no_and_it_sends_a_pause(
    broker: Broker, dashboard: str
) -> None:
    """Published as the controller would (the quench's prompt comes three process hours into a run)."""
    rig, root = "bench-7", "labctl/bench-7"
    commands: list[tuple[str, bytes]] = []
    controller = _as_controller(broker, rig)
    controller.on_message = lambda _c, _u, m: commands.append((m.topic, m.payload))
    controller.subscribe(f"{root}/cmd/#", qos=1)
    status = {"online": True, "state": "running", "run_id": "r1", "step": "quench", "mode": "run"}
    controller.publish(f"{root}/status", json.dumps(status), qos=1, retain=True).wait_for_publish(5)
    quench = {"id": "quench#4", "message": "Quench: the pump counted 50 of 50 mL", "step": "quench",
              "delivery": {"device": "pump", "planned_ml": 50.0, "since_s": 11154.0}}  # fmt: skip
    controller.publish(f"{root}/prompt", json.dumps(quench), qos=1, retain=True).wait_for_publish(5)
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(dashboard)
            _sign_in(page, "alice", "pw-alice")
            _wait_text(page, rig, ".prompt-message", "t.startsWith('Quench: the pump counted')")
            decline = _card(page, rig).locator(".decline")
            assert decline.is_visible()
            decline.click()
            deadline = time.monotonic() + 10
            while not commands and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [topic for topic, _ in commands] == [f"{root}/cmd/pause"]
            charge = {"id": "charge#1", "message": "Charge the alkene", "step": "charge"}
            controller.publish(f"{root}/prompt", json.dumps(charge), qos=1, retain=True).wait_for_publish(5)
            _wait_text(page, rig, ".prompt-message", "t === 'Charge the alkene'")
            assert not decline.is_visible()  # a pause answers only the question whether an addition arrived
            assert _card(page, rig).locator(".confirm").is_visible()
    finally:
        controller.loop_stop()
        controller.disconnect()
