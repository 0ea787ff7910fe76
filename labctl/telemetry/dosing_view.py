"""The run's plan and its dosing progress as retained topics, so a dashboard opened mid-run can draw the band and
say "portion 4 of 10, 18.9 of 47.5 g" without having seen the events before it.

`plan` comes from the `protocol.loaded` record (the steps in engine units); `dosing` follows the portion records
the way the engine counts them: a portion is done when its result says `done` or `reconciled`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.journal.plan import judging_bands
from labctl.journal.summary import DONE
from labctl.telemetry.payloads import encode
from labctl.telemetry.topics import Outgoing, Topics


def _dose(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "step": step["id"],
        "material": step.get("material"),
        "planned_g": step.get("total"),
        "portions_planned": step.get("portion_count"),
        "portion_g": step.get("portion"),
        "window_s": step.get("window"),
    }


@dataclass
class DosingView:
    topics: Topics
    run_id: str
    plan: dict[str, Any] | None = None
    dosing: dict[str, Any] | None = None
    _doses: dict[str, dict[str, Any]] = field(default_factory=dict)
    _fresh: bool = False
    """The progress shown is the plan's zero state, not yet a step's own count."""

    def retained(self) -> list[Outgoing]:
        """Both topics as they stand (a birth after a reconnect); nothing before the plan is known."""
        if self.plan is None:
            return []
        return [self._plan_message(), self._dosing_message()]

    def on_record(self, rec: Record) -> list[Outgoing]:
        if rec.kind == RecordKind.PROTOCOL_LOADED:
            return self._load(rec)
        if rec.kind == RecordKind.STEP_STARTED and rec.step in self._doses:
            # a resume journals the running step's start again: the count so far stands
            if self.dosing is None or self.dosing["step"] != rec.step or self._fresh:
                self.dosing = {**self._doses[rec.step], **_progress()}
            self._fresh = False
            return [self._dosing_message(rec)]
        if self.dosing is None or rec.step != self.dosing["step"]:
            return []
        if rec.kind == RecordKind.PORTION_WAITING:
            self.dosing["waiting_for"] = list(rec.data.get("for") or [])
        elif rec.kind == RecordKind.PORTION_START:
            self.dosing.update(waiting_for=[], in_progress=rec.data.get("portion"))
        elif rec.kind in (RecordKind.PORTION_RESULT, RecordKind.PORTION_NOT_STARTED):
            self._count(rec)
        elif rec.kind == RecordKind.DOSE_COMPLETED:
            self.dosing["completed"] = True
        else:
            return []
        return [self._dosing_message(rec)]

    def _load(self, rec: Record) -> list[Outgoing]:
        steps = [s for s in rec.data.get("steps", []) if isinstance(s, dict)]
        doses = [_dose(s) for s in steps if s.get("step") == "dose_solid"]
        self._doses = {d["step"]: d for d in doses}
        self.plan = {
            "run_id": self.run_id,
            "name": (rec.data.get("metadata") or {}).get("name"),
            "bands_C": {step: list(band) for step, band in judging_bands(steps).items()},
            "doses": doses,
            "steps": [{"id": s.get("id"), "step": s.get("step")} for s in steps],
        }
        self.dosing = {**doses[0], **_progress()} if doses else None
        self._fresh = True
        return [self._plan_message(), self._dosing_message(rec)]

    def _count(self, rec: Record) -> None:
        assert self.dosing is not None
        grams = rec.data.get("dispensed_g")
        if isinstance(grams, int | float):
            self.dosing["dispensed_g"] = round(self.dosing["dispensed_g"] + grams, 4)
        if rec.data.get("outcome") in DONE:
            self.dosing["portions_done"] += 1
        self.dosing["in_progress"] = None
        self.dosing["last_outcome"] = rec.data.get("outcome")

    def _plan_message(self) -> Outgoing:
        return Outgoing(self.topics.plan, encode(self.plan or {}), 1, True)

    def _dosing_message(self, rec: Record | None = None) -> Outgoing:
        """Empty when the run doses nothing: deletes an earlier run's retained progress."""
        if self.dosing is None:
            return Outgoing(self.topics.dosing, b"", 1, True)
        stamp = {} if rec is None else {"time": rec.wall, "t_s": round(rec.t_s, 3)}
        return Outgoing(self.topics.dosing, encode({**self.dosing, "run_id": self.run_id, **stamp}), 1, True)


def _progress() -> dict[str, Any]:
    return {
        "portions_done": 0,
        "dispensed_g": 0.0,
        "in_progress": None,
        "waiting_for": [],
        "last_outcome": None,
        "completed": False,
    }
