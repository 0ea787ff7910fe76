"""The broker a command was pointed at: its `--mqtt…` values and an `--mqtt-config` file, before either is read.

Light on purpose (no pydantic, no aiomqtt at import): every command that may publish takes one, and the CLI
builds its commands before it knows which one runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labctl.telemetry.settings import MqttSettings


@dataclass(frozen=True)
class MqttOptions:
    url: str | None = None
    rig: str | None = None
    """Topic name of the rig; default: the rig file's name."""
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    home_assistant: bool = False
    config: Path | None = None
    """YAML file with url, rig, ca, cert, key, home_assistant; values given as options win over it."""

    def settings(self) -> MqttSettings | None:
        """None without a URL or a config file: MQTT was not asked for.

        Raises InputFileError for a config file that cannot be used, TelemetryError for a URL that cannot."""
        from labctl.telemetry.config_file import load_mqtt_config  # noqa: PLC0415  # pydantic, for the file
        from labctl.telemetry.settings import parse_mqtt_url  # noqa: PLC0415  # aiomqtt, for TLS

        file = load_mqtt_config(self.config) if self.config is not None else None
        url = self.url or (file.url if file else None)
        if url is None:
            return None
        return parse_mqtt_url(
            url,
            rig=self.rig or (file.rig if file else None),
            ca_file=self.ca or (file.ca if file else None),
            cert_file=self.cert or (file.cert if file else None),
            key_file=self.key or (file.key if file else None),
            home_assistant=self.home_assistant or (file.home_assistant if file else False),
        )
