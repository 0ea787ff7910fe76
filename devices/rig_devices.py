"""The instruments behind a rig's roles, as the engine holds them: roles only, so the engine (and whatever else
runs a protocol) can hold a rig without importing a single driver; `labctl.rig.connect` opens the drivers."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from devices.errors import DeviceError
from devices.roles import Balance, Chiller, Doser, Pump, Stirrer

MANUAL = "manual"
"""The rig file's driver name for a role a person fills by hand."""


@dataclass
class RigDevices:
    """The drivers behind each role; None for a role the rig fills by hand (`driver: manual`) or not at all."""

    name: str
    chiller: Chiller | None = None
    balance: Balance | None = None
    doser: Doser | None = None
    pump: Pump | None = None
    stirrer: Stirrer | None = None
    drivers: dict[str, str] = field(default_factory=dict)
    """The rig file's driver per role (its role names: `quench_pump`, `stirrer`), manual roles included, so the
    record can say what filled each role without the rig file at hand."""

    async def close(self) -> None:
        for device in (self.chiller, self.balance, self.doser, self.pump, self.stirrer):
            if device is not None:
                with contextlib.suppress(DeviceError, OSError):  # a dead link must not hide why the run ended
                    await device.close()
