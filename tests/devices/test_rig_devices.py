"""`RigDevices` sits beside the roles: what holds a rig's devices need not load a driver."""

from __future__ import annotations

import subprocess
import sys

DRIVER_MODULES = (
    "devices._huber",
    "devices.huber_pb",
    "devices.huber_modbus",
    "devices.mettler",
    "devices.reglo",
    "devices.ika",
    "devices.transport",
    "labctl.rig.connect",
    "pymodbus",
    "serial_asyncio_fast",
)


def _loaded_drivers(module: str) -> list[str]:
    code = f"import sys, {module}; print(' '.join(m for m in {DRIVER_MODULES!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_the_engine_imports_no_driver() -> None:
    assert _loaded_drivers("labctl.engine.engine") == []


def test_the_rig_connector_does_import_the_drivers() -> None:
    """The check above can fail: the module that opens the rig loads every driver."""
    assert set(_loaded_drivers("labctl.rig.connect")) == set(DRIVER_MODULES)
