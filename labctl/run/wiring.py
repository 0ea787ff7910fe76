"""What a run holds open (the instruments, the journal, the MQTT link, the console) on one AsyncExitStack: whatever
fails, while opening or while running, everything opened so far is closed, the last opened first. `labctl run`,
`resume` and `dry-run` open their runs through it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from devices.rig_devices import RigDevices
from labctl.journal import Journal
from labctl.rig.connect import connect_rig

if TYPE_CHECKING:
    from devices.reading import Clock
    from labctl.rig.model import Rig


class RunWiring:
    """Each method opens one thing and leaves its closing to the stack; what opens as a context manager (the
    MQTT link, the bench) enters the stack itself."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self.stack = stack

    async def devices(self, rig: Rig, clock: Clock) -> RigDevices:
        """A rig whose second instrument does not answer closes the first itself (connect_rig); one that
        opened is closed whatever fails after it."""
        devices = await connect_rig(rig, clock)
        self.stack.push_async_callback(devices.close)
        return devices

    def journal(self, path: Path, *, sync: bool = True) -> Journal:
        """`sync=False` for a dry run only: its journal need not survive a power cut, and the fsyncs were most
        of its wall time."""
        journal = Journal(path, sync=sync)
        self.stack.callback(journal.close)
        return journal
