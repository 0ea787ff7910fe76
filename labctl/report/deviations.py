"""Deviations a reviewer must see in one list: time outside the band, portions held back by the gate or off
their target, the dosing window overrun, a paused quench, trips and alarms, and overrides of every kind.

Each is computed from records only; a deviation is a fact with a time, not a verdict on the batch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from labctl.journal import Record
from labctl.journal.summary import RunSummary

MERGE_GAP_S = 30.0
GUARDED_STEPS = ("dose_solid", "hold")
"""The band applies while oxidant is dosed or held; cooling down to it and the quench are outside it by design."""


@dataclass(frozen=True)
class Deviation:
    kind: str
    at_s: float
    text: str
    duration_s: float | None = None


def find_deviations(
    records: list[Record],
    summary: RunSummary,
    band: tuple[float, float] | None,
    tolerance_pct: float | None,
) -> list[Deviation]:
    found = [
        *_band_excursions(records, summary, band),
        *_gate_delays(records),
        *_off_target(summary, tolerance_pct),
        *_events(records),
        *_overrides(records),
    ]
    return sorted(found, key=lambda d: d.at_s)


def _guarded_windows(summary: RunSummary) -> list[tuple[float, float]]:
    return [(s.started_s, s.ended_s or float("inf")) for s in summary.steps if s.kind in GUARDED_STEPS]


def _side(tr: float | None, band: tuple[float, float]) -> str | None:
    if tr is None:
        return "no reading"
    if tr > band[1]:
        return "above"
    if tr < band[0]:
        return "below"
    return None


@dataclass
class _Excursion:
    side: str
    start: float
    end: float
    outside_s: float
    extreme: float | None
    returns: int = 0

    def text(self, band: tuple[float, float]) -> str:
        if self.side == "no reading":
            text = "no Tr reading"
        else:
            limit = band[1] if self.side == "above" else band[0]
            text = f"Tr {self.side} {limit:g} °C (extreme {self.extreme:.2f} °C)"
        if self.returns:
            text += f"; back inside {self.returns}× for under {MERGE_GAP_S:g} s"
        return text


def _band_excursions(
    records: list[Record], summary: RunSummary, band: tuple[float, float] | None
) -> list[Deviation]:
    """Stretches of readings outside the band (or without Tr) inside a guarded step; each reading stands until
    the next one. Stretches on one side less than MERGE_GAP_S apart are one excursion (noise at the band's
    edge is one event, not twenty lines); its duration counts only the time outside."""
    if band is None:
        return []
    windows = _guarded_windows(summary)
    readings = [r for r in records if r.kind == "reading"]
    found: list[_Excursion] = []
    for i, r in enumerate(readings):
        tr = _tr(r)
        side = _side(tr, band)
        if side is None or not any(a <= r.t_s < b for a, b in windows):
            continue
        end = readings[i + 1].t_s if i + 1 < len(readings) else r.t_s
        last = found[-1] if found else None
        if last is not None and last.side == side and r.t_s - last.end <= MERGE_GAP_S:
            if r.t_s > last.end:
                last.returns += 1
            last.end, last.outside_s = end, last.outside_s + end - r.t_s
            if tr is not None and last.extreme is not None:
                last.extreme = max(last.extreme, tr) if side == "above" else min(last.extreme, tr)
        else:
            found.append(_Excursion(side, r.t_s, end, end - r.t_s, tr))
    kind = {"above": "outside band", "below": "outside band", "no reading": "no reading"}
    return [Deviation(kind[e.side], e.start, e.text(band), e.outside_s) for e in found]


def _tr(r: Record) -> float | None:
    value = r.data.get("Tr_C")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _gate_delays(records: list[Record]) -> list[Deviation]:
    """Time each portion waited on a gate condition (the minimum interval is the plan, not a delay)."""
    found = []
    waits = [r for r in records if r.kind in ("portion.waiting", "portion.start")]
    for portion, group in itertools.groupby(waits, key=lambda r: r.data["portion"]):
        chain = list(group)
        held, reasons = 0.0, set[str]()
        for rec, nxt in itertools.pairwise(chain):
            gates = [g for g in rec.data.get("for", []) if g != "minimum interval"]
            if rec.kind == "portion.waiting" and gates:
                held += nxt.t_s - rec.t_s
                reasons.update(gates)
        if held > 0:
            started = chain[-1].kind == "portion.start"
            text = f"portion {portion} held {held / 60:.1f} min by {', '.join(sorted(reasons))}"
            text += "" if started else "; never started"
            found.append(Deviation("portion delayed", chain[0].t_s, text, held))
    return found


def _off_target(summary: RunSummary, tolerance_pct: float | None) -> list[Deviation]:
    """Portions that failed, or landed outside the dose tolerance the protocol asked the doser for."""
    found = []
    for p in summary.portions:
        if p.outcome != "done" or p.dispensed_g is None:
            text = f"portion {p.number}: {p.outcome or 'no result recorded'}"
            text += f" ({p.detail})" if p.detail else ""
            if p.dispensed_g is not None:
                text += f", {p.dispensed_g:.3f} g dispensed of {p.target_g:.3f} g"
            found.append(Deviation("portion failed", p.started_s, text))
            continue
        off_pct = 100.0 * (p.dispensed_g - p.target_g) / p.target_g
        if tolerance_pct is not None and abs(off_pct) > tolerance_pct:
            text = (
                f"portion {p.number}: {p.dispensed_g:.3f} g dispensed for {p.target_g:.3f} g"
                f" ({off_pct:+.1f} %, tolerance ±{tolerance_pct:g} %)"
            )
            found.append(Deviation("portion off target", p.started_s, text))
    return found


def _events(records: list[Record]) -> list[Deviation]:
    """Alarms (a tripped interlock raises one of its own id), the dosing window overrun, a paused quench."""
    found = []
    for r in records:
        d = r.data
        if r.kind == "alarm.raised":
            found.append(Deviation("alarm", r.t_s, f"{d['id']} ({d['level']}): {d['message']}"))
        elif r.kind == "dose.window-exceeded":
            text = (
                f"dosing window of {d['window_s'] / 60:g} min exceeded after {d['portions_done']} portion(s)"
            )
            found.append(Deviation("dosing window", r.t_s, text))
        elif r.kind == "quench.paused":
            text = f"quench paused at Tr {d['Tr_C']:.2f} °C (above {d['above_C']:g} °C)"
            found.append(Deviation("quench paused", r.t_s, text))
        elif r.kind == "batch.compromised":
            cause = d.get("cause") or d.get("interlock")
            found.append(Deviation("batch compromised", r.t_s, f"batch compromised ({cause})"))
    return found


def _overrides(records: list[Record]) -> list[Deviation]:
    """Decisions taken against the plan: checker findings overridden in the protocol, and a person resuming or
    aborting a run the rig had stopped."""
    found = []
    for r in records:
        if r.kind == "protocol.loaded":
            for o in r.data.get("overrides", []):
                text = f"checker rule {o['rule']} overridden, approved by {o['approved_by']}: {o['reason']}"
                found.append(Deviation("override", r.t_s, text))
        elif r.kind == "run.state" and _overruled(r.data):
            text = f"{r.data['from']} → {r.data['to']} by {r.data['by']}: {r.data.get('reason')}"
            found.append(Deviation("operator decision", r.t_s, text))
    return found


def _overruled(state: dict[str, object]) -> bool:
    """A person moved the run on from a stop the rig made, or ended it."""
    by_person = state.get("by") not in (None, "labctl")
    return by_person and (
        state.get("from") in ("tripped", "emergency", "paused") or state.get("to") == "aborted"
    )
