"""What a run holds open (the instruments, the journal, the MQTT link, the console) on one AsyncExitStack: whatever
fails, while opening or while running, everything opened so far is closed, the last opened first. `labctl run`,
`resume` and `dry-run` open their runs through it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from labctl.journal import Journal
from labctl.rig.connect import RigDevices, connect_rig
from labctl.telemetry.attach import publishing

if TYPE_CHECKING:
    from devices.reading import Clock
    from labctl.rig.model import Rig
    from labctl.telemetry.commands import CommandIntake
    from labctl.telemetry.settings import MqttSettings


class RunWiring:
    """Each method opens one thing and leaves its closing to the stack."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self.stack = stack

    async def devices(self, rig: Rig, clock: Clock) -> RigDevices:
        """A rig whose second instrument does not answer closes the first itself (connect_rig); one that
        opened is closed whatever fails after it."""
        devices = await connect_rig(rig, clock)
        self.stack.push_async_callback(devices.close)
        return devices

    def journal(self, path: Path) -> Journal:
        journal = Journal(path)
        self.stack.callback(journal.close)
        return journal

    async def publisher(
        self,
        settings: MqttSettings | None,
        journal: Journal,
        run_id: str,
        *,
        rig: str,
        mode: str,
        protocol: str,
        resumed: bool = False,
    ) -> CommandIntake | None:
        """The run's MQTT link (None without MQTT): an unreachable broker is retried in the background, never
        a reason for the run not to start."""
        link = publishing(settings, journal, run_id, rig=rig, mode=mode, protocol=protocol, resumed=resumed)
        return await self.stack.enter_async_context(link)
