"""Where a run stood when its controller died, read back from the journal alone.

Completed steps are not repeated; the step that was running gets its own earlier records back (a dose step
sees which portions were settled and whether a start was sent without a result). A run that was paused or
tripped comes back paused or tripped: a crash never clears a trip. Downtime is wall time × the rig's speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from labctl.engine.control import RunState
from labctl.journal import Journal, Record
from labctl.journal.kinds import RecordKind
from labctl.journal.plan import judging_bands
from labctl.protocol.model import Protocol

_WAITING_STATES = (RunState.PAUSED, RunState.TRIPPED, RunState.EMERGENCY)


@dataclass(frozen=True)
class HeldStirrer:
    """labctl stopped the stirrer after stirring was lost with solid at risk, and it was not seen turning again
    since: its restart still waits for a person (or, `confirmed`, for the shaft to be seen turning)."""

    since_s: float
    speed_rpm: float
    confirmed: bool = False


@dataclass
class HeatBalanceResume:
    """The heat balance as the journal left it: its calibration (or the person who went on without one), the
    portions it counted, and the heat it had seen released. Heat released while labctl was down is not seen:
    it stays counted as still to come."""

    calibration: dict[str, Any] | None = None
    waived_by: str | None = None
    portions: dict[tuple[str | None, int], tuple[float, float]] = field(default_factory=dict)
    """(step, portion) → (start time, grams: the target until the doser said what it dispensed)."""
    released_kj: float = 0.0


@dataclass
class ResumePoint:
    step_index: int
    state: RunState
    last_t_s: float
    last_wall: datetime
    previous: dict[str, list[Record]] = field(default_factory=dict)
    """Records of the step that was running, by step id."""
    step_setpoint: tuple[float, str] | None = None
    alarms: list[Record] = field(default_factory=list)
    """`alarm.raised` records not yet cleared."""
    acknowledged: set[str] = field(default_factory=set)
    compromised: bool = False
    unreacted_mol: float = 0.0
    stirrer_held: HeldStirrer | None = None
    heat_balance: HeatBalanceResume = field(default_factory=HeatBalanceResume)

    def process_time_now(self, speed: float, now: datetime) -> float:
        return self.last_t_s + max(0.0, (now - self.last_wall).total_seconds()) * speed


def _wall(record: Record) -> datetime:
    return datetime.fromisoformat(record.wall.replace("Z", "+00:00"))


def step_ids(protocol: Protocol) -> list[str]:
    return [step.id or f"step-{i + 1}" for i, step in enumerate(protocol.steps)]


def step_bands(protocol: Protocol) -> dict[str, tuple[float, float]]:
    """The band each step is judged by, under the journal's step names (the batch record's rule)."""
    steps = [
        {"id": sid, "step": step.step, "band": getattr(step, "band", None)}
        for sid, step in zip(step_ids(protocol), protocol.steps, strict=True)
    ]
    return judging_bands(steps)


def resume_point(journal: Journal, run_id: str, protocol: Protocol) -> ResumePoint | None:
    """None when the run has already ended (nothing to resume)."""
    records = list(journal.records(run_id))
    if not records or any(r.kind == RecordKind.RUN_ENDED and _ended_for_good(r) for r in records):
        return None
    ids = step_ids(protocol)
    done = {r.step for r in records if r.kind == RecordKind.STEP_COMPLETED}
    index = next((i for i, sid in enumerate(ids) if sid not in done), len(ids))
    point = ResumePoint(index, _last_state(records), records[-1].t_s, _wall(records[-1]))
    if index < len(ids):
        point.previous[ids[index]] = [r for r in records if r.step == ids[index]]
    _restore_facts(records, point)
    if point.stirrer_held is not None and point.state is RunState.RUNNING:
        point.state = RunState.TRIPPED  # died between the loss and its trip: the trip is not lost with it
    return point


def _ended_for_good(record: Record) -> bool:
    """A failed run (an instrument error nobody planned for) can be resumed once a person has looked."""
    state = RunState(record.data["state"])
    return state.finished and state is not RunState.FAILED


def _last_state(records: list[Record]) -> RunState:
    """The state the run was in before it failed: a controller stopped while tripped records `failed` on its
    way out, and must still come back tripped."""
    states = [RunState(r.data["to"]) for r in records if r.kind == RecordKind.RUN_STATE]
    states = [s for s in states if s is not RunState.FAILED]
    last = states[-1] if states else RunState.STARTING
    return last if last in _WAITING_STATES else RunState.RUNNING


def _restore_facts(records: list[Record], point: ResumePoint) -> None:
    cleared: set[str] = set()
    raised: dict[str, Record] = {}
    for r in records:
        if r.kind == RecordKind.SETPOINT_STEP:
            point.step_setpoint = (r.data["setpoint_C"], r.data["control"])
        elif r.kind == RecordKind.ALARM_RAISED:
            raised[r.data["id"]] = r
            cleared.discard(r.data["id"])
            point.acknowledged.discard(r.data["id"])
        elif r.kind == RecordKind.ALARM_CLEARED:
            cleared.add(r.data["id"])
        elif r.kind == RecordKind.ALARM_ACKNOWLEDGED:
            point.acknowledged.add(r.data["id"])
        elif r.kind == RecordKind.BATCH_COMPROMISED:
            point.compromised = True
        elif r.kind == RecordKind.READING and r.data.get("unreacted_mol") is not None:
            point.unreacted_mol = r.data["unreacted_mol"]
        _follow_stirrer(r, point)
        _follow_heat_balance(r, point.heat_balance)
    point.alarms = [r for aid, r in raised.items() if aid not in cleared]


def _follow_heat_balance(r: Record, heat: HeatBalanceResume) -> None:
    if r.kind == RecordKind.CALORIMETRY_CALIBRATED:
        heat.calibration = r.data["fit"]
    elif r.kind == RecordKind.CALORIMETRY_WAIVED:
        heat.waived_by = r.data["by"]
    elif r.kind == RecordKind.PORTION_START:
        heat.portions[(r.step, r.data["portion"])] = (r.t_s, r.data["target_g"])
    elif r.kind in (RecordKind.PORTION_RESULT, RecordKind.PORTION_NOT_STARTED):
        key = (r.step, r.data["portion"])
        dispensed = r.data.get("dispensed_g")
        if key in heat.portions and dispensed is not None:
            heat.portions[key] = (heat.portions[key][0], dispensed)
    elif r.kind == RecordKind.READING and r.data.get("heat_released_kJ") is not None:
        heat.released_kj = r.data["heat_released_kJ"]


def _follow_stirrer(r: Record, point: ResumePoint) -> None:
    held = point.stirrer_held
    if r.kind == RecordKind.STIRRING_LOST:
        point.stirrer_held = HeldStirrer(r.t_s, r.data.get("setpoint_rpm") or 0.0)  # held if a trip follows
    elif r.kind == RecordKind.ALARM_RAISED and r.data["id"] == "stirring-lost" and r.data["level"] != "trip":
        point.stirrer_held = None  # an alarm only: nothing was stopped
    elif r.kind == RecordKind.STIRRER_RESTART and held is not None:
        point.stirrer_held = HeldStirrer(held.since_s, r.data.get("rpm") or held.speed_rpm, confirmed=True)
    elif r.kind == RecordKind.STIRRING_RESTORED:
        point.stirrer_held = None
