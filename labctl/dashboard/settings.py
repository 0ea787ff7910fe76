"""Where the browser finds the broker and where the dashboard listens: checked before anything is served."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from labctl.errors import LabctlError

_URL_SAFE = re.compile(r"[A-Za-z0-9.:/_\-\[\]%~]+")
"""The URL goes into the page's Content-Security-Policy header: nothing that could end or add a directive."""


class DashboardError(LabctlError):
    """The dashboard cannot be served as asked."""


@dataclass(frozen=True)
class BrokerAddress:
    """The broker's WebSocket listener, as the browser will open it (not labctl: the page connects itself)."""

    url: str


def broker_address(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise DashboardError(
            f"--mqtt {url!r}: the browser connects over WebSockets; give the broker's WebSocket listener as "
            "ws://host:port (or wss://), e.g. ws://broker.lab:9001 (deploy/mosquitto/mosquitto.conf shows one)"
        )
    if not parts.hostname:
        raise DashboardError(f"--mqtt {url!r}: no host")
    if parts.username or parts.password:
        raise DashboardError(
            f"--mqtt {url!r}: no credentials in the URL; each person signs in on the page, and the broker's ACL "
            "decides what they may do"
        )
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number or out of range
    except ValueError:
        raise DashboardError(f"--mqtt {url!r}: the port must be a number from 0 to 65535") from None
    if not _URL_SAFE.fullmatch(url):
        raise DashboardError(f"--mqtt {url!r}: only letters, digits and . : / _ - [ ] % ~ belong in the URL")
    return BrokerAddress(url)


def listen_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise DashboardError(f"--listen {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host or "127.0.0.1", int(port)
