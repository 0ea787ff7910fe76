"""`labctl monitor --mqtt URL`: a live table of every rig on the broker, or one snapshot with `--once`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli_options import mqtt_options, mqtt_settings
from labctl.telemetry.configured import MqttOptions

if TYPE_CHECKING:
    import aiomqtt

    from labctl.monitor.fleet import Fleet
    from labctl.telemetry.settings import MqttSettings

RETRY_S = 2.0


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
    import asyncio

    import aiomqtt

    from labctl.console import out
    from labctl.monitor.fleet import Fleet
    from labctl.monitor.table import fleet_table

    settings = mqtt_settings(mqtt)
    if settings is None:
        out.print("error: which broker? give --mqtt mqtt://host[:port] or --mqtt-config FILE")
        raise typer.Exit(2)
    fleet = Fleet()
    try:
        if once:
            asyncio.run(_snapshot(settings, fleet, wait))
            out.print(fleet_table(fleet))
        else:
            asyncio.run(_live(settings, fleet))
    except aiomqtt.MqttError as exc:
        out.print(f"error: cannot reach the broker {settings.host}:{settings.port}: {exc}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


def _client(settings: MqttSettings) -> aiomqtt.Client:
    import aiomqtt

    return aiomqtt.Client(
        settings.host,
        settings.port,
        username=settings.username,
        password=settings.password,
        tls_params=settings.tls_parameters(),
    )


async def _follow(client: aiomqtt.Client, fleet: Fleet) -> None:
    from labctl.monitor.fleet import SUBSCRIPTIONS

    for topic in SUBSCRIPTIONS:
        await client.subscribe(topic, qos=1)
    async for message in client.messages:
        payload = message.payload if isinstance(message.payload, bytes) else b""
        fleet.apply(str(message.topic), payload)


async def _snapshot(settings: MqttSettings, fleet: Fleet, wait_s: float) -> None:
    import asyncio
    import contextlib

    async with _client(settings) as client:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                await _follow(client, fleet)


async def _live(settings: MqttSettings, fleet: Fleet) -> None:
    import asyncio

    import aiomqtt
    from rich.live import Live

    from labctl.console import out
    from labctl.monitor.table import fleet_table

    with Live(fleet_table(fleet), console=out, refresh_per_second=4) as live:
        while True:
            try:
                async with _client(settings) as client, asyncio.TaskGroup() as tasks:
                    tasks.create_task(_follow(client, fleet))
                    while True:
                        live.update(fleet_table(fleet))
                        await asyncio.sleep(0.25)
            except* aiomqtt.MqttError as group:
                live.console.print(
                    f"broker lost ({group.exceptions[0]}); retrying in {RETRY_S:g} s", markup=False
                )
            await asyncio.sleep(RETRY_S)
