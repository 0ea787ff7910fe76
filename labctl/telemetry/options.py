"""The `--mqtt…` options shared by run, resume, dry-run and sim serve, and their one error path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from labctl.telemetry.settings import MqttSettings

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
MqttConfig = Annotated[
    Path | None,
    typer.Option(
        "--mqtt-config",
        envvar="LABCTL_MQTT_CONFIG",
        help="YAML file with url, rig, ca, cert, key, home_assistant (options given as well win).",
        rich_help_panel=_PANEL,
        show_default=False,
    ),
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
    config: Path | None = None,
) -> MqttSettings | None:
    """None without --mqtt or --mqtt-config; a bad URL or file ends the command with one message, before
    anything starts."""
    from rich.markup import escape  # noqa: PLC0415

    from labctl.console import out, print_problems  # noqa: PLC0415
    from labctl.errors import InputFileError  # noqa: PLC0415
    from labctl.telemetry.config_file import load_mqtt_config  # noqa: PLC0415
    from labctl.telemetry.errors import TelemetryError  # noqa: PLC0415
    from labctl.telemetry.settings import parse_mqtt_url  # noqa: PLC0415

    try:
        file = load_mqtt_config(config) if config is not None else None
    except InputFileError as exc:
        print_problems(exc)
        raise typer.Exit(2) from None
    url = url or (file.url if file else None)
    if url is None:
        return None
    try:
        return parse_mqtt_url(
            url,
            rig=rig or (file.rig if file else None),
            ca_file=ca or (file.ca if file else None),
            cert_file=cert or (file.cert if file else None),
            key_file=key or (file.key if file else None),
            home_assistant=home_assistant or (file.home_assistant if file else False),
        )
    except TelemetryError as exc:
        out.print(f"error: {escape(str(exc))}")
        raise typer.Exit(2) from None
