"""The shipped Mosquitto configuration starts as written (ports and paths moved into the test's folder), with
its plain listener and the dashboard's WebSocket listener both accepting connections."""

from __future__ import annotations

import getpass
import socket
import subprocess
import time
from pathlib import Path

from tests.telemetry.broker import free_port, mosquitto_binary

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"


def test_the_shipped_config_starts_with_both_listeners(tmp_path: Path) -> None:
    plain, websockets = free_port(), free_port()
    (tmp_path / "labctl.passwd").write_text("")
    (tmp_path / "labctl.passwd").chmod(0o600)
    (tmp_path / "labctl.acl").write_text((DEPLOY / "labctl.acl").read_text())
    (tmp_path / "labctl.acl").chmod(0o600)
    text = (DEPLOY / "mosquitto.conf").read_text()
    assert "listener 1883\n" in text
    assert "listener 9001\nprotocol websockets\n" in text
    text = (
        text.replace("listener 1883\n", f"listener {plain}\n")
        .replace("listener 9001\n", f"listener {websockets}\n")
        .replace("/etc/mosquitto/", f"{tmp_path}/")
        .replace("/var/lib/mosquitto/", f"{tmp_path}/")
    )
    config = tmp_path / "mosquitto.conf"
    config.write_text(text + f"\nuser {getpass.getuser()}\nlog_dest stderr\n")
    broker = subprocess.Popen([mosquitto_binary(), "-c", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        waiting = {plain, websockets}
        while waiting and time.monotonic() < deadline:
            assert broker.poll() is None, broker.stderr.read() if broker.stderr else ""
            for port in list(waiting):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    waiting.discard(port)
                except OSError:
                    time.sleep(0.05)
        assert waiting == set()
    finally:
        broker.terminate()
        broker.wait(10)
