"""Reading the plan a run recorded at its start (`protocol.loaded`): one rule for the batch record and the
dashboard topics alike."""

from __future__ import annotations

from typing import Any


def judging_bands(steps: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """The band each step is judged by: a hold its own, a dose the band of the hold after it (the temperature
    its additions are made for). Keyed by the steps' journal names."""
    bands: dict[str, tuple[float, float]] = {}
    waiting: list[str] = []
    for step in steps:
        if step.get("step") == "dose_solid":
            waiting.append(str(step["id"]))
        elif step.get("step") == "hold" and step.get("band"):
            low, high = step["band"]
            band = (float(low), float(high))
            bands.update(dict.fromkeys([*waiting, str(step["id"])], band))
            waiting = []
    return bands
