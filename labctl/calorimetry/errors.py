"""What calorimetry refuses to give a figure for, with the facts a person needs to judge it."""

from __future__ import annotations

from typing import Any

from labctl.errors import LabctlError


class CalorimetryError(LabctlError):
    """Base of the calorimetry package's errors."""


class CalibrationRejected(CalorimetryError):
    """The readings do not support a calibration a heat balance could stand on (too short, too little driving
    force, a poor or implausible fit): dosing must not lean on it."""

    def __init__(self, reason: str, facts: dict[str, Any]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.facts = facts
