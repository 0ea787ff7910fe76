"""The `--mqtt…` options shared by run, resume, dry-run and sim serve, and their one error path."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from labctl.console import out
from labctl.telemetry.errors import TelemetryError
from labctl.telemetry.settings import MqttSettings, parse_mqtt_url

_PANEL = "MQTT"

MqttUrl = Annotated[
    str | None,
    typer.Option(
        "--mqtt",
        envvar="LABCTL_MQTT",
        help="Publish to this broker and take commands from it: mqtt[s]://[user:pass@]host[:port].",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
]
MqttRig = Annotated[
    str | None,
    typer.Option(
        "--mqtt-rig", help="Topic name of the rig (default: the rig file's name).", rich_help_panel=_PANEL
    ),
]
MqttCa = Annotated[
    Path | None, typer.Option("--mqtt-ca", help="CA certificate for mqtts://.", rich_help_panel=_PANEL)
]
MqttCert = Annotated[
    Path | None,
    typer.Option("--mqtt-cert", help="Client certificate for mqtts://.", rich_help_panel=_PANEL),
]
MqttKey = Annotated[
    Path | None, typer.Option("--mqtt-key", help="Client key for mqtts://.", rich_help_panel=_PANEL)
]
HomeAssistant = Annotated[
    bool,
    typer.Option(
        "--home-assistant", help="Also publish Home Assistant discovery configs.", rich_help_panel=_PANEL
    ),
]


def mqtt_settings(
    url: str | None,
    *,
    rig: str | None = None,
    ca: Path | None = None,
    cert: Path | None = None,
    key: Path | None = None,
    home_assistant: bool = False,
) -> MqttSettings | None:
    """None without --mqtt; a bad URL or file ends the command with one message, before anything starts."""
    if url is None:
        return None
    try:
        return parse_mqtt_url(
            url, rig=rig, ca_file=ca, cert_file=cert, key_file=key, home_assistant=home_assistant
        )
    except TelemetryError as exc:
        out.print(f"error: {escape(str(exc))}")
        raise typer.Exit(2) from None
