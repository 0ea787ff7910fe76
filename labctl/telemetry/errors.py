"""Errors of the MQTT link: a bad broker URL or option is the user's to fix, never a traceback."""

from __future__ import annotations

from labctl.errors import LabctlError


class TelemetryError(LabctlError):
    """The MQTT settings cannot be used as given."""
