"""Every pump run as it physically happened: what the pump head moved versus what reached the reactor.

The two differ exactly in the silent faults (empty reservoir, leaking tubing) that no status byte reports, which is
why an outside check needs this record and not the controller's belief.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class RunRecord:
    index: int
    channel: int
    started_at_s: float
    mode: str
    flow_ml_min: float
    target_ml: float | None
    ended_at_s: float | None = None
    commanded_ml: float = 0.0
    delivered_ml: float = 0.0
    cause: str = "running"
    """``complete``, ``occlusion``, ``overtemperature``, ``host stop``, or ``running``."""


class RunLedger:
    def __init__(self) -> None:
        self._records: list[RunRecord] = []

    def open(
        self, channel: int, now: float, mode: str, flow_ml_min: float, target_ml: float | None
    ) -> RunRecord:
        record = RunRecord(len(self._records) + 1, channel, now, mode, flow_ml_min, target_ml)
        self._records.append(record)
        return record

    def records(self) -> list[RunRecord]:
        return list(self._records)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self._records]

    def dump_json(self) -> str:
        return json.dumps(self.as_dicts(), indent=2)
