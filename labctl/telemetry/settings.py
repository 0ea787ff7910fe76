"""Where the broker is and how to talk to it, from `--mqtt mqtt[s]://[user:pass@]host[:port]`.

MQTT is never needed for control, so nothing here is contacted while parsing: a wrong URL is an error at the
command line, an unreachable broker only a warning during the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiomqtt

from labctl.telemetry.errors import TelemetryError

_TOPIC_LEVEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class MqttSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    rig: str | None = None
    """Topic name of the rig (`labctl/<rig>/…`); default: the rig file's name."""
    keepalive_s: int = 5
    """Short, so a stalled broker is noticed (after 1.5× this) and the link reconnects."""
    flush_timeout_s: float = 10.0
    """How long the end of a run waits for unpublished events before giving them up (they stay in the journal)."""
    home_assistant: bool = False

    def tls_parameters(self) -> aiomqtt.TLSParameters | None:
        if not self.tls:
            return None
        return aiomqtt.TLSParameters(
            ca_certs=None if self.ca_file is None else str(self.ca_file),
            certfile=None if self.cert_file is None else str(self.cert_file),
            keyfile=None if self.key_file is None else str(self.key_file),
        )

    def with_rig(self, rig: str) -> MqttSettings:
        return self if self.rig is not None else replace(self, rig=topic_level(rig, "rig name"))


def topic_level(text: str, what: str) -> str:
    """A rig name becomes one topic level: no '/', '+', '#' or spaces a subscriber's filter would trip over."""
    if not _TOPIC_LEVEL.match(text):
        raise TelemetryError(
            f"{what} {text!r} cannot be an MQTT topic level: use 1–64 letters, digits, '_', '.' or '-'"
        )
    return text


def parse_mqtt_url(
    url: str,
    *,
    rig: str | None = None,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    home_assistant: bool = False,
) -> MqttSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise TelemetryError(f"--mqtt {url!r}: expected mqtt://host[:port] or mqtts://host[:port]")
    if not parts.hostname:
        raise TelemetryError(f"--mqtt {url!r}: no host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise TelemetryError(f"--mqtt {url!r}: expected no path or query after host:port")
    try:
        port = parts.port
    except ValueError:
        raise TelemetryError(f"--mqtt {url!r}: the port must be a number from 1 to 65535") from None
    tls = parts.scheme == "mqtts"
    for path, option in ((ca_file, "--mqtt-ca"), (cert_file, "--mqtt-cert"), (key_file, "--mqtt-key")):
        if path is not None and not path.is_file():
            raise TelemetryError(f"{option} {path}: no such file")
    if (ca_file or cert_file or key_file) and not tls:
        raise TelemetryError(f"--mqtt {url!r}: TLS files given, but the URL is not mqtts://")
    return MqttSettings(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        ca_file=ca_file,
        cert_file=cert_file,
        key_file=key_file,
        rig=None if rig is None else topic_level(rig, "--mqtt-rig"),
        home_assistant=home_assistant,
    )
