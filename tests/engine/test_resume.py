"""Where a run stood, read back from a journal written the way the engine writes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from labctl.engine.control import RunState
from labctl.engine.resume import resume_point
from labctl.journal import Journal
from labctl.protocol.loader import load_protocol
from tests.dryrun.conftest import SCALE_UP

PROTOCOL = load_protocol(SCALE_UP).protocol


def _journal(
    tmp_path: Path, records: list[tuple[float, str, str | None, dict[str, Any]]]
) -> tuple[Journal, str]:
    journal = Journal(tmp_path / "j.sqlite")
    run_id = journal.create_run(
        mode="run",
        protocol_file="p.yaml",
        protocol_sha256="0" * 64,
        protocol_text="",
        parameters={},
        rig_name="sim",
        rig_text="",
    )
    for t, kind, step, data in records:
        journal.append(t, kind, data, step=step)
    return journal, run_id


STARTED = [
    (0.0, "run.started", None, {}),
    (0.0, "run.state", None, {"from": "starting", "to": "running", "reason": "start", "by": "labctl"}),
    (0.0, "step.started", "charge", {"kind": "charge"}),
    (60.0, "step.completed", "charge", {"kind": "charge"}),
    (60.0, "step.started", "premix", {"kind": "stir"}),
    (660.0, "step.completed", "premix", {"kind": "stir"}),
    (660.0, "step.started", "cool", {"kind": "set_temperature"}),
    (660.0, "setpoint.step", "cool", {"setpoint_C": 2.5, "control": "process"}),
    (660.0, "step.completed", "cool", {"kind": "set_temperature"}),
    (660.0, "step.started", "cold", {"kind": "wait_until"}),
    (1500.0, "step.completed", "cold", {"kind": "wait_until"}),
    (1500.0, "step.started", "kmno4-addition", {"kind": "dose_solid"}),
    (1500.0, "portion.start", "kmno4-addition", {"portion": 1, "target_g": 4.75, "sample_id": "abc-1"}),
    (1540.0, "portion.result", "kmno4-addition", {"portion": 1, "dispensed_g": 4.8, "outcome": "done"}),
    (1600.0, "reading", "kmno4-addition", {"Tr_C": 2.0, "unreacted_mol": 0.025}),
    (1600.0, "portion.start", "kmno4-addition", {"portion": 2, "target_g": 4.74, "sample_id": "abc-2"}),
]


def test_completed_steps_are_skipped_and_the_running_step_gets_its_records(tmp_path: Path) -> None:
    journal, run_id = _journal(tmp_path, STARTED)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.step_index == 4  # kmno4-addition
    assert point.state is RunState.RUNNING
    previous = point.previous["kmno4-addition"]
    assert [r.kind for r in previous][-1] == "portion.start"  # a start without a result: to reconcile
    assert point.step_setpoint == (2.5, "process")
    assert point.unreacted_mol == pytest.approx(0.025)
    assert point.alarms == []


def test_a_tripped_run_comes_back_tripped_with_its_open_alarm(tmp_path: Path) -> None:
    records = [
        *STARTED,
        (
            1610.0,
            "alarm.raised",
            "kmno4-addition",
            {"id": "tr-high", "level": "trip", "message": "Tr > 10 °C"},
        ),
        (
            1610.0,
            "run.state",
            "kmno4-addition",
            {"from": "running", "to": "tripped", "reason": "x", "by": "labctl"},
        ),
        (1611.0, "alarm.raised", "kmno4-addition", {"id": "tr-rising", "level": "trip", "message": "dTr/dt"}),
        (1620.0, "alarm.acknowledged", "kmno4-addition", {"id": "tr-rising", "by": "ana"}),
        (1630.0, "alarm.raised", "kmno4-addition", {"id": "gone", "level": "alarm", "message": "m"}),
        (1640.0, "alarm.cleared", "kmno4-addition", {"id": "gone"}),
        (1650.0, "batch.compromised", "kmno4-addition", {"interlock": "x"}),
    ]
    journal, run_id = _journal(tmp_path, records)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.state is RunState.TRIPPED
    assert [r.data["id"] for r in point.alarms] == ["tr-high", "tr-rising"]
    assert point.acknowledged == {"tr-rising"}
    assert point.compromised is True


@pytest.mark.parametrize(
    ("state", "resumable"),
    [
        ("completed", False),
        ("completed with deviations", False),
        ("batch compromised", False),
        ("aborted", False),
        ("halted", False),
        ("failed", True),
    ],
)
def test_only_a_run_that_has_not_ended_for_good_can_be_resumed(
    tmp_path: Path, state: str, resumable: bool
) -> None:
    journal, run_id = _journal(tmp_path, [*STARTED, (1700.0, "run.ended", None, {"state": state})])
    assert (resume_point(journal, run_id, PROTOCOL) is not None) is resumable


def test_downtime_counts_as_process_time_at_the_rigs_speed(tmp_path: Path) -> None:
    journal, run_id = _journal(tmp_path, STARTED)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    later = point.last_wall + timedelta(seconds=30)
    assert point.process_time_now(1.0, later) == pytest.approx(1630.0)
    assert point.process_time_now(20.0, later) == pytest.approx(1600.0 + 600.0)
    assert point.process_time_now(1.0, point.last_wall - timedelta(seconds=5)) == pytest.approx(1600.0)
    assert point.last_wall.tzinfo is not None
    assert abs((datetime.now(UTC) - point.last_wall).total_seconds()) < 60


def _state(t: float, to: str, was: str) -> tuple[float, str, str | None, dict[str, Any]]:
    return (t, "run.state", "kmno4-addition", {"from": was, "to": to, "reason": "x", "by": "labctl"})


@pytest.mark.parametrize("waiting", ["paused", "tripped", "emergency"])
def test_a_controller_stopped_while_waiting_comes_back_waiting(tmp_path: Path, waiting: str) -> None:
    """Stopping records `failed` on the way out; the run must not come back running because of it."""
    records = [*STARTED, _state(1610.0, waiting, "running"), _state(1620.0, "failed", waiting)]
    journal, run_id = _journal(tmp_path, records)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.state is RunState(waiting)


def test_a_controller_stopped_after_resuming_comes_back_running(tmp_path: Path) -> None:
    records = [
        *STARTED,
        _state(1610.0, "paused", "running"),
        _state(1620.0, "running", "paused"),
        _state(1630.0, "failed", "running"),
    ]
    journal, run_id = _journal(tmp_path, records)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.state is RunState.RUNNING


LOST = (1605.0, "stirring.lost", "kmno4-addition", {"setpoint_rpm": 350.0, "speed_rpm": 12.0})
STIR_TRIP = (
    1605.0,
    "alarm.raised",
    "kmno4-addition",
    {"id": "stirring-lost", "level": "trip", "message": "m"},
)


def test_a_stirrer_stopped_for_a_person_is_still_held_after_a_restart(tmp_path: Path) -> None:
    records = [
        *STARTED,
        LOST,
        STIR_TRIP,
        _state(1605.0, "tripped", "running"),
        _state(1700.0, "failed", "tripped"),
    ]
    journal, run_id = _journal(tmp_path, records)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.stirrer_held is not None
    assert (point.stirrer_held.since_s, point.stirrer_held.speed_rpm) == (1605.0, 350.0)
    assert point.stirrer_held.confirmed is False
    assert point.state is RunState.TRIPPED


def test_a_controller_that_died_between_the_loss_and_its_trip_comes_back_tripped(tmp_path: Path) -> None:
    journal, run_id = _journal(tmp_path, [*STARTED, LOST])
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.stirrer_held is not None
    assert point.state is RunState.TRIPPED


def test_a_confirmed_restart_is_remembered_as_confirmed(tmp_path: Path) -> None:
    restart = (1800.0, "stirrer.restart", "kmno4-addition", {"by": "ana", "rpm": 300.0})
    records = [*STARTED, LOST, STIR_TRIP, _state(1605.0, "tripped", "running"), restart]
    journal, run_id = _journal(tmp_path, records)
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.stirrer_held is not None
    assert point.stirrer_held.confirmed is True
    assert point.stirrer_held.speed_rpm == 300.0


@pytest.mark.parametrize(
    "after",
    [
        [
            (
                1605.0,
                "alarm.raised",
                "kmno4-addition",
                {"id": "stirring-lost", "level": "alarm", "message": "m"},
            )
        ],
        [STIR_TRIP, (1900.0, "stirring.restored", "kmno4-addition", {"speed_rpm": 349.0})],
    ],
    ids=["an alarm only", "restored"],
)
def test_nothing_is_held_when_nothing_was_stopped_or_the_stirrer_turns_again(
    tmp_path: Path, after: list[tuple[float, str, str | None, dict[str, Any]]]
) -> None:
    journal, run_id = _journal(tmp_path, [*STARTED, LOST, *after])
    point = resume_point(journal, run_id, PROTOCOL)
    assert point is not None
    assert point.stirrer_held is None
