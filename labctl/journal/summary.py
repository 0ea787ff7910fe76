"""A run's summary, computed from its journal alone: steps, portions, temperatures, alarms, the quench peak.

Everything here is derived from records, so a summary printed at the end of a run and one computed later from
the file agree.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from labctl.journal.journal import Journal, Record
from labctl.journal.kinds import RecordKind

BAND_HIGH_C = 5.0
QUENCH_WATCH_S = 15 * 60.0


@dataclass
class StepSummary:
    id: str
    kind: str
    started_s: float
    ended_s: float | None = None
    tr_min: float | None = None
    tr_max: float | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.ended_s is None else self.ended_s - self.started_s


DONE = ("done", "reconciled")
"""Outcomes the engine counts as a portion dosed (`reconciled`: settled from the doser's record after a restart)."""


@dataclass
class PortionSummary:
    number: int
    started_s: float
    target_g: float
    tr_before: float | None
    step: str | None = None
    dispensed_g: float | None = None
    outcome: str | None = None
    """`done`, `reconciled`, `unknown-reconciled`, `failed`, `not started` (never reached the doser), or None
    while no result is recorded."""
    detail: str | None = None
    tr_peak_after: float | None = None

    @property
    def done(self) -> bool:
        return self.outcome in DONE


@dataclass
class RunSummary:
    run_id: str
    state: str | None
    steps: list[StepSummary] = field(default_factory=list)
    portions: list[PortionSummary] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    minutes_above_band: float = 0.0
    quench_peak_c: float | None = None
    dosed_g: float = 0.0
    duration_s: float = 0.0


def summarize(journal: Journal, run_id: str) -> RunSummary:
    return summarize_records(run_id, list(journal.records(run_id)))


def summarize_records(run_id: str, records: list[Record]) -> RunSummary:
    summary = RunSummary(run_id, _final_state(records))
    _steps(records, summary)
    _portions(records, summary)
    summary.alarms = [r.data | {"t_s": r.t_s} for r in records if r.kind == RecordKind.ALARM_RAISED]
    summary.minutes_above_band = _minutes_above(records, summary)
    summary.quench_peak_c = _quench_peak(records)
    summary.dosed_g = sum(p.dispensed_g or 0.0 for p in summary.portions)
    summary.duration_s = records[-1].t_s - records[0].t_s if records else 0.0
    return summary


def _final_state(records: list[Record]) -> str | None:
    ends = [r for r in records if r.kind == RecordKind.RUN_ENDED]
    return str(ends[-1].data["state"]) if ends else None


def clock(seconds: float) -> str:
    """Process time as h:mm:ss from the run's start."""
    minutes, s = divmod(round(seconds), 60)
    h, m = divmod(minutes, 60)
    return f"{h}:{m:02d}:{s:02d}"


def value_of(record: Record, signal: str = "Tr_C") -> float | None:
    """A reading's number for one signal; None for no reading (never 0, and a true/false is no number)."""
    value = record.data.get(signal)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _steps(records: list[Record], summary: RunSummary) -> None:
    current: StepSummary | None = None
    for r in records:
        if r.kind == RecordKind.STEP_STARTED:
            current = StepSummary(r.step or "", r.data["kind"], r.t_s)
            summary.steps.append(current)
        elif r.kind == RecordKind.STEP_COMPLETED and current is not None:
            current.ended_s = r.t_s
        elif r.kind == RecordKind.READING and current is not None and (tr := value_of(r)) is not None:
            current.tr_min = tr if current.tr_min is None else min(current.tr_min, tr)
            current.tr_max = tr if current.tr_max is None else max(current.tr_max, tr)


def _portions(records: list[Record], summary: RunSummary) -> None:
    for r in records:
        if r.kind == RecordKind.PORTION_START:
            start = PortionSummary(r.data["portion"], r.t_s, r.data["target_g"], value_of(r), step=r.step)
            summary.portions.append(start)
        elif r.kind == RecordKind.PORTION_RESULT and summary.portions:
            last = summary.portions[-1]
            last.dispensed_g, last.outcome = r.data["dispensed_g"], r.data["outcome"]
            last.detail = r.data.get("detail")
        elif r.kind == RecordKind.PORTION_NOT_STARTED and summary.portions:
            last = summary.portions[-1]
            last.dispensed_g, last.outcome = 0.0, "not started"
            last.detail = (
                r.data.get("detail")
                or f"the doser's last sample id was {r.data.get('doser_last_sample_id')!r}"
            )
    _peaks(records, summary.portions)


def _peaks(records: list[Record], portions: list[PortionSummary]) -> None:
    """Tr's peak from each portion's start to the next one's (10 min for the last), in one pass."""
    ends = [p.started_s for p in portions[1:]] + [portions[-1].started_s + 600.0] if portions else []
    i = 0
    for r in records:
        if r.kind != RecordKind.READING or (tr := value_of(r)) is None:
            continue
        while i < len(portions) and r.t_s >= ends[i]:
            i += 1
        if i == len(portions):
            break
        p = portions[i]
        if r.t_s >= p.started_s:
            p.tr_peak_after = tr if p.tr_peak_after is None else max(p.tr_peak_after, tr)


def _minutes_above(records: list[Record], summary: RunSummary) -> float:
    """Time with Tr above the band's top while oxidant was being dosed or held (dose_solid and hold steps)."""
    windows = [
        (s.started_s, s.ended_s or float("inf")) for s in summary.steps if s.kind in ("dose_solid", "hold")
    ]
    readings = [(r.t_s, value_of(r)) for r in records if r.kind == RecordKind.READING]
    above = 0.0
    for (t0, tr), (t1, _) in itertools.pairwise(readings):
        if tr is not None and tr > BAND_HIGH_C and any(a <= t0 < b for a, b in windows):
            above += t1 - t0
    return above / 60.0


def _quench_peak(records: list[Record]) -> float | None:
    starts = [r.t_s for r in records if r.kind == RecordKind.QUENCH_STARTED]
    if not starts:
        return None
    temps = [
        t
        for r in records
        if r.kind == RecordKind.READING
        and starts[0] <= r.t_s <= starts[0] + QUENCH_WATCH_S
        and (t := value_of(r)) is not None
    ]
    return max(temps) if temps else None
