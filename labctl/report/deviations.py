"""Deviations a reviewer must see in one list: time outside the band (or without a reading), portions held back
by the gate or off their target, the dosing window overrun, a paused quench, alarms, and overrides of every kind.

Each is computed from records only; a deviation is a fact with a time, not a verdict on the batch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.journal.summary import PortionSummary, RunSummary, clock
from labctl.report.timeline import Interval, Window

MERGE_GAP_S = 30.0
"""Excursions on one side less than this apart are one: noise at the band's edge is one event, not twenty lines."""

_STOPPED = ("paused", "tripped", "emergency")
_GATE_ENDS = (
    RecordKind.PORTION_WAITING,
    RecordKind.PORTION_START,
    RecordKind.STEP_COMPLETED,
    RecordKind.STEP_STARTED,
    RecordKind.RUN_RESUMED,
    RecordKind.RUN_ENDED,
)


@dataclass(frozen=True)
class Deviation:
    kind: str
    at_s: float
    text: str
    duration_s: float | None = None


def find_deviations(
    records: list[Record],
    summary: RunSummary,
    windows: list[Window],
    intervals: list[Interval],
    tolerances: dict[str, float],
) -> list[Deviation]:
    found = [
        *_band_excursions(windows, intervals),
        *_gate_delays(records),
        *_portions(summary.portions, tolerances),
        *_events(records),
        *_overrides(records),
    ]
    return sorted(found, key=lambda d: d.at_s)


@dataclass
class _Excursion:
    side: str
    band: tuple[float, float]
    start: float
    end: float
    outside_s: float
    extreme: float | None
    returns: int = 0

    def deviation(self) -> Deviation:
        if self.side == "none":
            return Deviation("no reading", self.start, "no Tr reading", self.outside_s)
        limit = self.band[1] if self.side == "above" else self.band[0]
        text = f"Tr {self.side} {limit:g} °C (extreme {self.extreme:.2f} °C)"
        if self.returns:
            text += f"; back inside {self.returns}× for under {MERGE_GAP_S:g} s"
        return Deviation("outside band", self.start, text, self.outside_s)


def _side(tr: float | None, band: tuple[float, float]) -> str | None:
    if tr is None:
        return "none"
    if tr > band[1]:
        return "above"
    if tr < band[0]:
        return "below"
    return None


def _band_excursions(windows: list[Window], intervals: list[Interval]) -> list[Deviation]:
    """Each guarded step's time outside its band or without a reading, clipped to the step's span."""
    found: list[_Excursion] = []
    for window in windows:
        span = window.span
        for interval in intervals:
            start, end = max(interval.start, span.start), min(interval.end, span.end)
            side = _side(interval.tr, window.band)
            if side is None or end <= start or interval.down:
                continue
            _add(found, side, window.band, (start, end), interval)
    return [e.deviation() for e in found]


def _add(
    found: list[_Excursion], side: str, band: tuple[float, float], clip: tuple[float, float], at: Interval
) -> None:
    start, end = clip
    last = found[-1] if found else None
    if last is not None and (last.side, last.band) == (side, band) and start - last.end <= MERGE_GAP_S:
        if start > last.end:
            last.returns += 1
        last.end, last.outside_s = end, last.outside_s + end - start
        if at.tr is not None and last.extreme is not None:
            last.extreme = max(last.extreme, at.tr) if side == "above" else min(last.extreme, at.tr)
        return
    found.append(_Excursion(side, band, start, end, end - start, at.tr))


def _gate_delays(records: list[Record]) -> list[Deviation]:
    """Time each portion waited on a gate condition (the minimum interval is the plan, not a delay). A wait
    ends at the next change of reasons, the portion's start, or the end of the step or of the session."""
    found = []
    held: dict[int, tuple[float, float, set[str]]] = {}
    for i, r in enumerate(records):
        if r.kind != RecordKind.PORTION_WAITING:
            continue
        gates = [g for g in r.data.get("for", []) if g != "minimum interval"]
        if not gates:
            continue
        end = next(
            (n.t_s for n in itertools.islice(records, i + 1, None) if n.kind in _GATE_ENDS), records[-1].t_s
        )
        first, total, reasons = held.get(r.data["portion"], (r.t_s, 0.0, set()))
        held[r.data["portion"]] = (first, total + end - r.t_s, reasons | set(gates))
    started = {r.data["portion"] for r in records if r.kind == RecordKind.PORTION_START}
    for portion, (first, total, reasons) in sorted(held.items()):
        if total <= 0:
            continue
        text = f"portion {portion} held {total / 60:.1f} min by {', '.join(sorted(reasons))}"
        text += "" if portion in started else "; never started"
        found.append(Deviation("portion delayed", first, text, total))
    return found


def _portions(portions: list[PortionSummary], tolerances: dict[str, float]) -> list[Deviation]:
    """Portions that failed, lack a result, were settled after a restart, or landed outside the tolerance
    their own step asked the doser for."""
    found = []
    for p in portions:
        what = f"portion {p.number}"
        if p.outcome is None:
            found.append(Deviation("portion without result", p.started_s, f"{what}: no result recorded"))
        elif p.outcome == "not started":
            text = f"{what}: the start never reached the doser ({p.detail}); started again"
            found.append(Deviation("portion not started", p.started_s, text))
        elif p.outcome == "unknown-reconciled":
            text = (
                f"{what}: outcome unknown after a restart; {p.dispensed_g:.3f} g per the doser's own record"
            )
            found.append(Deviation("portion unknown", p.started_s, text))
        elif not p.done:
            text = f"{what}: {p.outcome}" + (f" ({p.detail})" if p.detail else "")
            if p.dispensed_g is not None:
                text += f", {p.dispensed_g:.3f} g dispensed of {p.target_g:.3f} g"
            found.append(Deviation("portion failed", p.started_s, text))
        elif (off := _off_target(p, tolerances.get(p.step or ""))) is not None:
            found.append(Deviation("portion off target", p.started_s, f"{what}: {off}"))
    return found


def _off_target(p: PortionSummary, tolerance_pct: float | None) -> str | None:
    if tolerance_pct is None or p.dispensed_g is None or p.target_g <= 0:
        return None
    off_pct = 100.0 * (p.dispensed_g - p.target_g) / p.target_g
    if abs(off_pct) <= tolerance_pct:
        return None
    return f"{p.dispensed_g:.3f} g dispensed for {p.target_g:.3f} g ({off_pct:+.1f} %, tolerance ±{tolerance_pct:g} %)"


def _events(records: list[Record]) -> list[Deviation]:
    """Alarms (a tripped interlock raises one of its own id), the dosing window overrun, a paused quench, and
    the time labctl was not running (from its last record before a resume to the resume)."""
    found = []
    previous: Record | None = None
    for r in records:
        d = r.data
        if r.kind == RecordKind.RUN_RESUMED and previous is not None:
            text = f"labctl stopped after {clock(previous.t_s)}; resumed by {d.get('by') or 'a person not recorded'}"
            found.append(Deviation("controller down", previous.t_s, text, r.t_s - previous.t_s))
        previous = r
        if r.kind == RecordKind.ALARM_RAISED:
            found.append(Deviation("alarm", r.t_s, f"{d['id']} ({d['level']}): {d['message']}"))
        elif r.kind == RecordKind.DOSE_WINDOW_EXCEEDED:
            text = (
                f"dosing window of {d['window_s'] / 60:g} min exceeded after {d['portions_done']} portion(s)"
            )
            found.append(Deviation("dosing window", r.t_s, text))
        elif r.kind == RecordKind.QUENCH_PAUSED:
            tr = d.get("Tr_C")
            at = f"Tr {tr:.2f} °C" if isinstance(tr, int | float) else "no Tr reading"
            found.append(
                Deviation("quench paused", r.t_s, f"quench paused at {at} (above {d['above_C']:g} °C)")
            )
        elif r.kind == RecordKind.BATCH_COMPROMISED:
            cause = d.get("cause") or d.get("interlock")
            found.append(Deviation("batch compromised", r.t_s, f"batch compromised ({cause})"))
    return found


def _overrides(records: list[Record]) -> list[Deviation]:
    """Decisions taken against the plan: checker findings overridden in the protocol, and a person moving on a
    run the rig had stopped (a trip, or a pause labctl made), or ending it."""
    found = []
    stopped_by = "labctl"
    for r in records:
        if r.kind == RecordKind.PROTOCOL_LOADED:
            for o in r.data.get("overrides", []):
                text = f"checker rule {o['rule']} overridden, approved by {_names(o['approved_by'])}: {o['reason']}"
                found.append(Deviation("override", r.t_s, text))
        elif r.kind == RecordKind.RUN_STATE:
            if _overruled(r.data, stopped_by):
                text = f"{r.data['from']} → {r.data['to']} by {r.data['by']}: {r.data.get('reason')}"
                found.append(Deviation("operator decision", r.t_s, text))
            if r.data.get("to") in _STOPPED and r.data.get("from") not in _STOPPED:
                stopped_by = str(r.data.get("by"))  # who stopped it; acknowledging a trip keeps labctl's stop
    return found


def _overruled(state: dict[str, Any], stopped_by: str) -> bool:
    by = state.get("by")
    if by in (None, "labctl"):
        return False
    if state.get("to") == "aborted" or state.get("from") in ("tripped", "emergency"):
        return True
    return state.get("from") == "paused" and stopped_by == "labctl"


def _names(approved_by: object) -> str:
    """Two approvers since overrides need two; a journal from before that holds one name as text."""
    return " and ".join(approved_by) if isinstance(approved_by, list) else str(approved_by)
