"""`labctl monitor --mqtt URL`: a live table of every rig on the broker, or one snapshot with `--once`."""

from __future__ import annotations

from typing import Annotated

import typer

from labctl.cli_options import mqtt_options, mqtt_settings
from labctl.telemetry.configured import MqttOptions


@mqtt_options(run=False)
def monitor_command(
    once: Annotated[
        bool, typer.Option("--once", help="Print one table after --wait seconds and exit (for scripts).")
    ] = False,
    wait: Annotated[
        float, typer.Option("--wait", min=0.1, help="Seconds to listen before --once prints.")
    ] = 1.0,
    *,
    mqtt: MqttOptions,
) -> None:
    """Every rig publishing under labctl/ on the broker: state, protocol, step, temperatures, alarms, prompt."""
    from labctl.console import out
    from labctl.monitor.watch import watch

    settings = mqtt_settings(mqtt)
    if settings is None:
        out.print("error: which broker? give --mqtt mqtt://host[:port] or --mqtt-config FILE")
        raise typer.Exit(2)
    status = watch(settings, once=once, wait_s=wait)
    if status:
        raise typer.Exit(status)
