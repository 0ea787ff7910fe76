"""What more than one command takes, declared once: the journal and operator options, the `--mqtt…` options of
every command that talks to a broker (run, resume, dry-run, sim serve, monitor), and the one way an unusable input
file or broker setting ends a command."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from labctl.telemetry.configured import MqttOptions

if TYPE_CHECKING:
    from labctl.telemetry.settings import MqttSettings

T = TypeVar("T")

DEFAULT_JOURNAL = Path(".labctl/journal.sqlite")

JournalOption = Annotated[Path, typer.Option("--journal", help="SQLite journal of the runs.")]

OperatorOption = Annotated[
    str | None,
    typer.Option("--operator", help="Who is responsible for this run (default: your login name)."),
]

_PANEL = "MQTT"

_OPTIONS: dict[str, tuple[str, Any, object]] = {
    "mqtt": (
        "url",
        Annotated[
            str | None,
            typer.Option(
                "--mqtt",
                envvar="LABCTL_MQTT",
                help="Publish to this broker and take commands from it: mqtt[s]://[user:pass@]host[:port].",
                rich_help_panel=_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
    "mqtt_rig": (
        "rig",
        Annotated[
            str | None,
            typer.Option(
                "--mqtt-rig",
                help="Topic name of the rig (default: the rig file's name).",
                rich_help_panel=_PANEL,
            ),
        ],
        None,
    ),
    "mqtt_ca": (
        "ca",
        Annotated[
            Path | None,
            typer.Option("--mqtt-ca", help="CA certificate for mqtts://.", rich_help_panel=_PANEL),
        ],
        None,
    ),
    "mqtt_cert": (
        "cert",
        Annotated[
            Path | None,
            typer.Option("--mqtt-cert", help="Client certificate for mqtts://.", rich_help_panel=_PANEL),
        ],
        None,
    ),
    "mqtt_key": (
        "key",
        Annotated[
            Path | None, typer.Option("--mqtt-key", help="Client key for mqtts://.", rich_help_panel=_PANEL)
        ],
        None,
    ),
    "home_assistant": (
        "home_assistant",
        Annotated[
            bool,
            typer.Option(
                "--home-assistant",
                help="Also publish Home Assistant discovery configs.",
                rich_help_panel=_PANEL,
            ),
        ],
        False,
    ),
    "mqtt_config": (
        "config",
        Annotated[
            Path | None,
            typer.Option(
                "--mqtt-config",
                envvar="LABCTL_MQTT_CONFIG",
                help="YAML file with url, rig, ca, cert, key, home_assistant (options given as well win).",
                rich_help_panel=_PANEL,
                show_default=False,
            ),
        ],
        None,
    ),
}
"""Each option by its parameter name: the MqttOptions field it fills, its declaration, its default."""

_RUN_ONLY = frozenset({"mqtt_rig", "home_assistant"})
"""What only a run's publisher uses: its topic name and Home Assistant discovery."""


def mqtt_options(*, run: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Gives a command the `--mqtt…` options in place of its `mqtt: MqttOptions` parameter, and calls it with
    their values as one MqttOptions. `run`: a command that publishes a run (all seven options); else one that
    only reaches the broker (address, TLS files, config file).

    typer reads a command's options from its signature, so the options are spliced into the signature it sees."""
    names = [name for name in _OPTIONS if run or name not in _RUN_ONLY]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            if parameter.name != "mqtt":
                parameters.append(parameter)
                continue
            parameters += [
                inspect.Parameter(
                    name, parameter.kind, default=_OPTIONS[name][2], annotation=_OPTIONS[name][1]
                )
                for name in names
            ]
        if len(parameters) != len(signature.parameters) + len(names) - 1:
            raise TypeError(f"{command.__name__} takes no `mqtt: MqttOptions` parameter")

        @functools.wraps(command)
        def with_mqtt_options(**values: Any) -> None:
            fields = {_OPTIONS[name][0]: values.pop(name) for name in names}
            command(**values, mqtt=MqttOptions(**fields))

        with_mqtt_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_mqtt_options.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
        return with_mqtt_options

    return decorate


def input_file(load: Callable[[], T]) -> T:
    """What `load` reads from a protocol, rig or fault file; if the file cannot be used, its located problems
    are printed and the command ends (exit 1) before anything starts."""
    from labctl.console import print_problems  # noqa: PLC0415
    from labctl.errors import InputFileError  # noqa: PLC0415

    try:
        return load()
    except InputFileError as exc:
        print_problems(exc)
        raise typer.Exit(1) from None


def mqtt_settings(options: MqttOptions) -> MqttSettings | None:
    """None without --mqtt or --mqtt-config; a bad URL or file ends the command with one message (exit 2),
    before anything starts."""
    from rich.markup import escape  # noqa: PLC0415

    from labctl.console import out, print_problems  # noqa: PLC0415
    from labctl.errors import InputFileError  # noqa: PLC0415
    from labctl.telemetry.errors import TelemetryError  # noqa: PLC0415

    try:
        return options.settings()
    except InputFileError as exc:
        print_problems(exc)
        raise typer.Exit(2) from None
    except TelemetryError as exc:
        out.print(f"error: {escape(str(exc))}")
        raise typer.Exit(2) from None
