"""What the doser physically did, kept by the instrument itself.

A controller's journal says what it believes was dosed; this ledger says what left the head. An outside check
(end-to-end and fault campaigns) compares the two, which is the whole point of the safety rule "never resend a
start": a resent start shows up here as a second entry.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class DoseRecord:
    index: int
    started_at_s: float
    target_g: float
    tolerance_pct: float
    overdose_only: bool
    sample_id: str
    ended_at_s: float | None = None
    dispensed_g: float | None = None
    outcome: str = "running"
    """``complete``, ``running``, or the failure code as sent, e.g. ``I 7``."""


class DoseLedger:
    def __init__(self) -> None:
        self._records: list[DoseRecord] = []

    def open(
        self, now: float, target_g: float, tolerance_pct: float, overdose_only: bool, sample_id: str
    ) -> DoseRecord:
        record = DoseRecord(len(self._records) + 1, now, target_g, tolerance_pct, overdose_only, sample_id)
        self._records.append(record)
        return record

    def records(self) -> list[DoseRecord]:
        return list(self._records)

    def total_dispensed_g(self) -> float:
        return sum(r.dispensed_g or 0.0 for r in self._records)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self._records]

    def dump_json(self) -> str:
        return json.dumps(self.as_dicts(), indent=2)
