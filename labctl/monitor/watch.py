"""`labctl monitor` at work: follow the broker's `labctl/` tree into a live table, or one snapshot of it."""

from __future__ import annotations

import asyncio
import contextlib

import aiomqtt
from rich.live import Live

from labctl.console import out
from labctl.monitor.fleet import SUBSCRIPTIONS, Fleet
from labctl.monitor.table import fleet_table
from labctl.telemetry.settings import MqttSettings

RETRY_S = 2.0


def watch(settings: MqttSettings, *, once: bool, wait_s: float) -> int:
    """The exit status: 1 when the broker cannot be reached (said on the console), else 0 (Ctrl-C included)."""
    fleet = Fleet()
    try:
        if once:
            asyncio.run(_snapshot(settings, fleet, wait_s))
            out.print(fleet_table(fleet))
        else:
            asyncio.run(_live(settings, fleet))
    except aiomqtt.MqttError as exc:
        out.print(f"error: cannot reach the broker {settings.host}:{settings.port}: {exc}", markup=False)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def _client(settings: MqttSettings) -> aiomqtt.Client:
    return aiomqtt.Client(
        settings.host,
        settings.port,
        username=settings.username,
        password=settings.password,
        tls_params=settings.tls_parameters(),
    )


async def _follow(client: aiomqtt.Client, fleet: Fleet) -> None:
    for topic in SUBSCRIPTIONS:
        await client.subscribe(topic, qos=1)
    async for message in client.messages:
        payload = message.payload if isinstance(message.payload, bytes) else b""
        fleet.apply(str(message.topic), payload)


async def _snapshot(settings: MqttSettings, fleet: Fleet, wait_s: float) -> None:
    async with _client(settings) as client:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                await _follow(client, fleet)


async def _live(settings: MqttSettings, fleet: Fleet) -> None:
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
