"""The dashboard's HTTP side: a fixed set of files from the package and one config document. Nothing else is
served (no directory listing, no path from the request reaches the file system), and the page may talk only
to this server and the broker."""

from __future__ import annotations

import json
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import Any

from labctl.dashboard.settings import BrokerAddress
from labctl.telemetry.topics import ROOT

ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
    "/vendor/mqtt.min.js": ("vendor/mqtt.min.js", "text/javascript; charset=utf-8"),
    "/vendor/uPlot.iife.min.js": ("vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8"),
    "/vendor/uPlot.min.css": ("vendor/uPlot.min.css", "text/css; charset=utf-8"),
}


def load_assets() -> dict[str, tuple[bytes, str]]:
    """Read once at start: a file missing from the package fails here, not in a person's browser."""
    static = files("labctl.dashboard") / "static"
    return {path: (static.joinpath(name).read_bytes(), kind) for path, (name, kind) in ASSETS.items()}


class DashboardHandler(BaseHTTPRequestHandler):
    server_version = "labctl-dashboard"

    def __init__(
        self, *args: Any, assets: dict[str, tuple[bytes, str]], config: bytes, csp: str, **kw: Any
    ) -> None:
        self.assets, self.config, self.csp = assets, config, csp
        super().__init__(*args, **kw)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/config.json":
            self._send(self.config, "application/json")
        elif path in self.assets:
            self._send(*self.assets[path])
        else:
            self._send(b"not found\n", "text/plain; charset=utf-8", HTTPStatus.NOT_FOUND)

    def _send(self, body: bytes, kind: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Security-Policy", self.csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: a dashboard polls nothing, and a wall screen would fill a terminal."""


def make_server(host: str, port: int, broker: BrokerAddress) -> ThreadingHTTPServer:
    config = json.dumps({"broker": broker.url, "root": ROOT}).encode()
    csp = (
        f"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; worker-src blob:; "
        f"connect-src 'self' {broker.url}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    handler = partial(DashboardHandler, assets=load_assets(), config=config, csp=csp)
    return ThreadingHTTPServer((host, port), handler)
