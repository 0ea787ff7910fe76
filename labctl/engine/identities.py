"""What each instrument of a rig says it is, for the batch record's "rig and instrument identities".

The rig file says which model was planned for a role; only the instrument can say which unit actually ran the
batch (a swapped balance, a pump with other firmware).  Identification is for the record and never a reason to
stop a run: an instrument that fails or does not answer in time gets an error entry, and the others are still
asked.
"""

from __future__ import annotations

import asyncio

from devices.rig_devices import MANUAL, RigDevices
from devices.roles import Balance, Chiller, Doser, InstrumentIdentity, Pump, Stirrer

DEFAULT_TIMEOUT_S = 5.0
"""Wall seconds per instrument, all asked at once: room for two request/reply pairs on a slow serial line, while a
dead link delays the run by seconds instead of by its driver's whole retry budget."""

MANUAL_IDENTITY = InstrumentIdentity(model="manual")
"""A role the rig fills by hand (`driver: manual`) has no instrument to ask; the record still shows the role."""

Entry = dict[str, str | None]
SHARED_PORT = ("doser", "balance")
"""connect_rig opens the Quantos and its balance on one port."""


def _instruments(devices: RigDevices) -> dict[str, Chiller | Balance | Doser | Pump | Stirrer | None]:
    """Keyed by the rig file's role names, which the journalled rig text uses too."""
    return {
        "chiller": devices.chiller,
        "doser": devices.doser,
        "balance": devices.balance,
        "quench_pump": devices.pump,
        "stirrer": devices.stirrer,
    }


def _entry(driver: str | None, identity: InstrumentIdentity) -> Entry:
    return {
        "driver": driver,
        "model": identity.model,
        "serial": identity.serial,
        "firmware": identity.firmware,
    }


async def _ask(
    device: Chiller | Balance | Doser | Pump | Stirrer,
    driver: str | None,
    timeout_s: float,
    after: asyncio.Task[Entry] | None = None,
) -> Entry:
    if after is not None:
        await asyncio.wait([after])  # the same port: its own deadline starts when the port is free
    try:
        async with asyncio.timeout(timeout_s) as deadline:
            identity = await device.identity()
    except TimeoutError as exc:
        if not deadline.expired():
            return {"driver": driver, "error": _describe(exc)}
        return {"driver": driver, "error": f"TimeoutError: no identity within {timeout_s:g} s"}
    except Exception as exc:  # a driver bug too must not stop a run; its type stays visible in the record
        return {"driver": driver, "error": _describe(exc)}
    return _entry(driver, identity)


def _describe(exc: Exception) -> str:
    return ": ".join(part for part in (type(exc).__name__, str(exc)) if part)


async def identify_instruments(
    devices: RigDevices, timeout_s: float = DEFAULT_TIMEOUT_S
) -> dict[str, dict[str, str | None]]:
    """Role → {driver, model, serial, firmware}, or {driver, error: "<type>: <message>"}; never raises for an
    instrument's failure.

    Roles are the rig file's (`quench_pump`, not the engine's `pump`) in the rig file's order; `driver` is None
    when `devices` was not built by `connect_rig` and so does not know it.  All instruments are asked at once, so
    one silent link costs `timeout_s`, not `timeout_s` per role; the balance and the doser share a port and are
    asked one after the other, each with its own deadline (a slow first answer never times the second out).
    """
    instruments = _instruments(devices)
    roles = [*devices.drivers, *(role for role in instruments if role not in devices.drivers)]
    found: dict[str, Entry | asyncio.Task[Entry]] = {}
    on_quantos_port: asyncio.Task[Entry] | None = None
    async with asyncio.TaskGroup() as tasks:
        for role in roles:
            driver = devices.drivers.get(role)
            device = instruments.get(role)
            if device is not None:
                after = on_quantos_port if role in SHARED_PORT else None
                found[role] = task = tasks.create_task(_ask(device, driver, timeout_s, after))
                on_quantos_port = task if role in SHARED_PORT else on_quantos_port
            elif driver == MANUAL:
                found[role] = _entry(driver, MANUAL_IDENTITY)
    return {
        role: entry.result() if isinstance(entry, asyncio.Task) else entry for role, entry in found.items()
    }
