"""Builders for Snapshot objects: a healthy rig at t = 100 s unless a test says otherwise."""

from __future__ import annotations

from typing import Any

from devices.reading import Reading
from devices.roles import ChillerStatus
from labctl.engine.snapshot import Snapshot

NOW = 100.0


def status(*, running: bool = True, error: bool = False) -> ChillerStatus:
    return ChillerStatus(
        temperature_control=running,
        circulation=running,
        compressor=running,
        process_mode=True,
        pump=running,
        cooling_available=True,
        keylock=False,
        error=error,
        new_warning=False,
        no_restart_since_last_read=True,
        freeze_protection=False,
        raw=0,
    )


def snap(tr: float | None = 2.0, *, at: float = NOW, tr_age: float = 0.0, **fields: Any) -> Snapshot:
    """A fresh Tr reading of `tr` (None: the probe reports missing) and a running chiller without fault."""
    fields.setdefault("status", status())
    return Snapshot(at=at, tr=Reading(tr, at - tr_age), **fields)
