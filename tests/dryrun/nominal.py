"""What a nominal dry run must show, read from its journal: how it ended, what tripped or alarmed, the hottest
Tr while dosing and the time spent outside the band each step is judged by (the batch record's rule)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from labctl.journal import Record
from labctl.journal.plan import judging_bands


@dataclass(frozen=True)
class NominalFigures:
    outcome: str | None
    trips: list[str]
    alarms: list[str]
    tr_max_dosing_c: float | None
    minutes_outside_band: float
    compromised: bool

    @property
    def clean(self) -> bool:
        return self.outcome == "completed" and not self.trips and not self.alarms and not self.compromised

    def line(self, label: str) -> str:
        tr = "—" if self.tr_max_dosing_c is None else f"{self.tr_max_dosing_c:6.2f}"
        return (
            f"{label:34s} {self.outcome or 'not ended':26s} Tr max dosing {tr:>6s} °C  "
            f"outside band {self.minutes_outside_band:5.1f} min  trips {len(self.trips)}  "
            f"alarms {','.join(self.alarms) or '-'}"
        )


def nominal_figures(records: list[Record]) -> NominalFigures:
    ended = [r for r in records if r.kind == "run.ended"]
    loaded = next((r for r in records if r.kind == "protocol.loaded"), None)
    bands = judging_bands(loaded.data["steps"]) if loaded is not None else {}
    dosing = {str(s["id"]) for s in (loaded.data["steps"] if loaded else []) if s.get("step") == "dose_solid"}
    readings = [r for r in records if r.kind == "reading"]
    dosing_tr = [r.data["Tr_C"] for r in readings if r.step in dosing and r.data["Tr_C"] is not None]
    return NominalFigures(
        outcome=str(ended[-1].data["state"]) if ended else None,
        trips=[
            r.data["id"]
            for r in records
            if r.kind == "alarm.raised" and r.data["level"] in ("trip", "emergency")
        ],
        alarms=[r.data["id"] for r in records if r.kind == "alarm.raised"],
        tr_max_dosing_c=max(dosing_tr) if dosing_tr else None,
        minutes_outside_band=_outside_s(readings, bands) / 60.0,
        compromised=any(r.kind == "batch.compromised" for r in records),
    )


def _outside_s(readings: list[Record], bands: dict[str, tuple[float, float]]) -> float:
    """Seconds between consecutive readings of a banded step where Tr was outside its band or unknown."""
    outside = 0.0
    for before, after in itertools.pairwise(readings):
        band = bands.get(before.step or "")
        if band is None or after.step != before.step:
            continue
        tr = before.data["Tr_C"]
        if tr is None or not band[0] <= tr <= band[1]:
            outside += after.t_s - before.t_s
    return outside
