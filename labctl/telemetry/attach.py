"""The one call the run wirings make: a run's MQTT link if one was asked for, nothing otherwise."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from labctl.journal import Journal
from labctl.telemetry.commands import CommandIntake
from labctl.telemetry.publisher import RunPublisher
from labctl.telemetry.settings import MqttSettings


@contextlib.asynccontextmanager
async def publishing(
    settings: MqttSettings | None,
    journal: Journal,
    run_id: str,
    *,
    rig: str,
    mode: str,
    protocol: str,
    resumed: bool = False,
) -> AsyncIterator[CommandIntake | None]:
    """Yields the MQTT command intake to hand the engine as an operator hook (None without MQTT).

    A resumed run publishes from where it is now: its earlier events went out in its earlier session."""
    if settings is None:
        yield None
        return
    publisher = RunPublisher(
        settings.with_rig(rig),
        journal,
        run_id,
        mode=mode,
        protocol=protocol,
        from_seq=journal.last_seq(run_id) if resumed else 0,
    )
    async with publisher:
        yield publisher.intake
