"""`labctl dashboard`'s HTTP side and its options: only the shipped files, the config the page needs, a
policy that lets the page talk to this server and the broker only, and clear errors for wrong addresses."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from labctl.dashboard.server import ASSETS, make_server
from labctl.dashboard.settings import DashboardError, broker_address, listen_address

LABCTL = Path(sys.executable).parent / "labctl"
VENDOR = Path(__file__).resolve().parents[2] / "labctl" / "dashboard" / "static" / "vendor"


@pytest.fixture
def served() -> Iterator[int]:
    server = make_server("127.0.0.1", 0, broker_address("ws://broker.lab:9001"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_the_page_its_scripts_and_the_config_are_served_with_a_strict_policy(served: int) -> None:
    for path in ASSETS:
        status, headers, body = _get(served, path)
        assert status == 200, path
        assert body
        assert headers["x-content-type-options"] == "nosniff"
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self';" in policy
        assert "connect-src 'self' ws://broker.lab:9001;" in policy
    status, headers, body = _get(served, "/config.json")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert json.loads(body) == {"broker": "ws://broker.lab:9001", "root": "labctl"}
    _, _, page = _get(served, "/")
    scripts = re.findall(rb'<script src="([^"]+)"', page)
    assert scripts == [b"vendor/mqtt.min.js", b"vendor/uPlot.iife.min.js", b"dashboard.js"]
    assert b"http" not in b"".join(re.findall(rb'(?:src|href)="([^"]+)"', page))  # nothing from elsewhere


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/vendor/../server.py", "/static/index.html", "/%2e%2e/cli.py", "/vendor/"]
)
def test_nothing_else_is_served(served: int, path: str) -> None:
    status, _, body = _get(served, path)
    assert (status, body) == (404, b"not found\n")


def test_the_vendored_libraries_are_the_files_the_table_names() -> None:
    table = (VENDOR / "README.md").read_text()
    rows = re.findall(r"\| `([^`]+)` \|[^|]+\|[^|]+\| `([0-9a-f]{64})` \|", table)
    assert {name for name, _ in rows} == {"mqtt.min.js", "uPlot.iife.min.js", "uPlot.min.css"}
    for name, digest in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mqtt://broker.lab:1883", "the browser connects over WebSockets"),
        ("ws://alice:secret@broker.lab:9001", "no credentials in the URL"),
        ("ws://:9001", "no host"),
        ("ws://broker.lab:port", "the port must be a number"),
        ("ws://broker.lab:99999", "the port must be a number"),
        ("ws://broker.lab:9001/mqtt;script-src *", "only letters, digits"),
        ("ws://broker.lab:9001/a\r\nX-Evil: 1", "only letters, digits"),
    ],
)
def test_a_broker_url_the_browser_cannot_use_is_refused(url: str, message: str) -> None:
    with pytest.raises(DashboardError, match=message):
        broker_address(url)


@pytest.mark.parametrize("text", ["8080", "host:", "host:99999", ":x"])
def test_a_listen_address_must_be_host_and_port(text: str) -> None:
    with pytest.raises(DashboardError, match="expected HOST:PORT"):
        listen_address(text)


def test_the_command_says_what_is_wrong_without_a_traceback() -> None:
    done = subprocess.run(
        [str(LABCTL), "dashboard", "--mqtt", "mqtt://broker.lab"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout.startswith("error: --mqtt 'mqtt://broker.lab': the browser connects over WebSockets")
    assert "Traceback" not in done.stdout + done.stderr
