"""Where a run stood when its controller died, read back from the journal alone.

Completed steps are not repeated; the step that was running gets its own earlier records back (a dose step
sees which portions were settled and whether a start was sent without a result). A run that was paused or
tripped comes back paused or tripped: a crash never clears a trip. Downtime is wall time × the rig's speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from labctl.engine.control import RunState
from labctl.journal import Journal, Record
from labctl.journal.plan import judging_bands
from labctl.protocol.model import Protocol

_WAITING_STATES = (RunState.PAUSED, RunState.TRIPPED, RunState.EMERGENCY)


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
    if not records or any(r.kind == "run.ended" and _ended_for_good(r) for r in records):
        return None
    ids = step_ids(protocol)
    done = {r.step for r in records if r.kind == "step.completed"}
    index = next((i for i, sid in enumerate(ids) if sid not in done), len(ids))
    point = ResumePoint(index, _last_state(records), records[-1].t_s, _wall(records[-1]))
    if index < len(ids):
        point.previous[ids[index]] = [r for r in records if r.step == ids[index]]
    _restore_facts(records, point)
    return point


def _ended_for_good(record: Record) -> bool:
    """A failed run (an instrument error nobody planned for) can be resumed once a person has looked."""
    state = RunState(record.data["state"])
    return state.finished and state is not RunState.FAILED


def _last_state(records: list[Record]) -> RunState:
    states = [RunState(r.data["to"]) for r in records if r.kind == "run.state"]
    last = states[-1] if states else RunState.STARTING
    return last if last in _WAITING_STATES else RunState.RUNNING


def _restore_facts(records: list[Record], point: ResumePoint) -> None:
    cleared: set[str] = set()
    raised: dict[str, Record] = {}
    for r in records:
        if r.kind == "setpoint.step":
            point.step_setpoint = (r.data["setpoint_C"], r.data["control"])
        elif r.kind == "alarm.raised":
            raised[r.data["id"]] = r
            cleared.discard(r.data["id"])
            point.acknowledged.discard(r.data["id"])
        elif r.kind == "alarm.cleared":
            cleared.add(r.data["id"])
        elif r.kind == "alarm.acknowledged":
            point.acknowledged.add(r.data["id"])
        elif r.kind == "batch.compromised":
            point.compromised = True
        elif r.kind == "reading" and r.data.get("unreacted_mol") is not None:
            point.unreacted_mol = r.data["unreacted_mol"]
    point.alarms = [r for aid, r in raised.items() if aid not in cleared]
