"""The retained plan and dosing progress a dashboard opened mid-run starts from."""

from __future__ import annotations

import json
from typing import Any

from labctl.journal import Record
from labctl.telemetry.run_view import RunView
from labctl.telemetry.topics import Topics

DOSE = {"id": "add", "step": "dose_solid", "material": "kmno4", "total": 47.5, "portions": 10, "portion": None, "window": 600.0, "portion_count": 10}  # fmt: skip
HOLD = {"id": "stir-cold", "step": "hold", "band": [0.0, 5.0], "duration": 7200.0}
LOADED = {"metadata": {"name": "KMnO4"}, "steps": [DOSE, HOLD], "interlocks": [], "overrides": []}


class Journal:
    def __init__(self) -> None:
        self.seq = 0

    def rec(self, kind: str, /, step: str | None = "add", **data: Any) -> Record:
        self.seq += 1
        return Record(self.seq, "run-1", 10.0 * self.seq, "2026-11-29T10:00:00.000Z", kind, step, data)


def _retained(messages: list[Any], topic: str) -> dict[str, Any] | None:
    found = [m for m in messages if m.topic == topic]
    assert found, topic
    assert all(m.retain and m.qos == 1 for m in found)
    return json.loads(found[-1].payload) if found[-1].payload else None


def test_the_plan_gives_band_and_doses_and_progress_counts_like_the_engine() -> None:
    view, j = RunView(Topics("r"), "run-1", "dry-run", "KMnO4"), Journal()
    first = view.on_record(j.rec("protocol.loaded", step=None, **LOADED))
    plan = _retained(first, "labctl/r/plan")
    assert plan is not None
    assert plan["bands_C"] == {"add": [0.0, 5.0], "stir-cold": [0.0, 5.0]}  # the dose by the hold after it
    assert plan["doses"] == [
        {"step": "add", "material": "kmno4", "planned_g": 47.5, "portions_planned": 10, "portion_g": None, "window_s": 600.0}
    ]  # fmt: skip
    assert _retained(first, "labctl/r/dosing") == {
        "step": "add", "material": "kmno4", "planned_g": 47.5, "portions_planned": 10, "portion_g": None,
        "window_s": 600.0, "portions_done": 0, "dispensed_g": 0.0, "in_progress": None, "waiting_for": [],
        "last_outcome": None, "completed": False, "run_id": "run-1", "time": "2026-11-29T10:00:00.000Z", "t_s": 10.0,
    }  # fmt: skip
    view.on_record(j.rec("step.started", kind="dose_solid"))
    view.on_record(j.rec("portion.start", portion=1, target_g=4.75))
    view.on_record(j.rec("portion.result", portion=1, dispensed_g=4.8, outcome="done"))
    waiting = _retained(view.on_record(j.rec("portion.waiting", portion=2, **{"for": ["gate MTSR <= 25 °C"]})), "labctl/r/dosing")  # fmt: skip
    assert waiting is not None
    assert (waiting["portions_done"], waiting["dispensed_g"], waiting["waiting_for"]) == (
        1,
        4.8,
        ["gate MTSR <= 25 °C"],
    )
    view.on_record(j.rec("portion.start", portion=2, target_g=4.74))
    failed = _retained(view.on_record(j.rec("portion.result", portion=2, dispensed_g=0.6, outcome="failed")), "labctl/r/dosing")  # fmt: skip
    assert failed is not None
    assert (failed["portions_done"], failed["dispensed_g"], failed["last_outcome"]) == (1, 5.4, "failed")
    assert all("dosing" not in m.topic for m in view.on_record(j.rec("reading", step=None, Tr_C=2.0)))
    births = view.birth("now")
    reborn = _retained(births, "labctl/r/dosing")
    assert reborn is not None
    assert (reborn["portions_done"], reborn["dispensed_g"]) == (1, 5.4)
    assert _retained(births, "labctl/r/plan") == plan


def test_a_run_without_dosing_deletes_an_earlier_run_s_progress() -> None:
    view, j = RunView(Topics("r"), "run-2", "run", "MgBr storage"), Journal()
    loaded = {
        "metadata": {"name": "MgBr"},
        "steps": [{"id": "store", "step": "hold", "band": [-70.0, -45.0]}],
    }
    first = view.on_record(j.rec("protocol.loaded", step=None, **loaded))
    assert _retained(first, "labctl/r/dosing") is None  # an empty retained payload
    plan = _retained(first, "labctl/r/plan")
    assert plan is not None
    assert (plan["bands_C"], plan["doses"]) == ({"store": [-70.0, -45.0]}, [])


def test_a_journal_without_a_plan_retains_no_plan_or_progress() -> None:
    view = RunView(Topics("r"), "run-3", "run", "old journal")
    assert [m.topic for m in view.birth("now")] == ["labctl/r/status"]


def test_a_resumed_run_goes_on_counting_from_its_journal() -> None:
    """The publisher of a resumed run replays the earlier session's records; the engine then journals the
    running dose step's start again, which must not zero the count."""
    view, j = RunView(Topics("r"), "run-4", "run", "KMnO4"), Journal()
    earlier = [
        j.rec("protocol.loaded", step=None, **LOADED),
        j.rec("step.started", kind="dose_solid"),
        j.rec("portion.start", portion=1, target_g=4.75),
        j.rec("portion.result", portion=1, dispensed_g=4.8, outcome="done"),
        j.rec("portion.start", portion=2, target_g=4.7),
        j.rec("portion.result", portion=2, dispensed_g=4.7, outcome="reconciled"),
    ]
    view.replay(earlier)
    born = view.birth("now")
    assert _retained(born, "labctl/r/plan") is not None
    again = _retained(view.on_record(j.rec("step.started", kind="dose_solid")), "labctl/r/dosing")
    assert again is not None
    assert (again["portions_done"], again["dispensed_g"]) == (2, 9.5)


def test_a_dose_step_without_an_id_or_given_by_portion_size_is_followed() -> None:
    view, j = RunView(Topics("r"), "run-5", "run", "KMnO4"), Journal()
    # as begin_run records a dose step without an id, given by portion size (tests/engine/test_begin.py)
    unnamed = {"id": "step-2", "step": "dose_solid", "material": "kmno4", "total": 10.0, "portions": None, "portion": 3.0, "portion_count": 4}  # fmt: skip
    loaded = {"metadata": {}, "steps": [{"id": "cool", "step": "set_temperature"}, unnamed]}
    first = _retained(view.on_record(j.rec("protocol.loaded", step=None, **loaded)), "labctl/r/dosing")
    assert first is not None
    assert (first["step"], first["portions_planned"]) == ("step-2", 4)  # the engine's name and count
    view.on_record(j.rec("step.started", step="step-2", kind="dose_solid"))
    done = _retained(view.on_record(j.rec("portion.result", step="step-2", portion=1, dispensed_g=2.5, outcome="done")), "labctl/r/dosing")  # fmt: skip
    assert done is not None
    assert done["portions_done"] == 1
