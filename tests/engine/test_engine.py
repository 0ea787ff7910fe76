"""The engine's control API in a run on the simulated rig: each command answered at once, journalled with who
sent it, and every change of state journalled as the transition it is. A few cycles of the first step only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from labctl.engine.control import CommandResult, RunState, Verb
from labctl.engine.engine import Engine
from labctl.engine.resume import ResumePoint
from labctl.journal import Journal, Record
from labctl.journal.journal import now_iso
from tests.dryrun.wired import wired
from tests.engine.bench import PROTOCOL


class Script:
    """An operator who sends one command at each planned cycle and keeps the answers."""

    def __init__(self, plan: dict[int, tuple[Verb, str | None]]) -> None:
        self.plan = plan
        self.cycle = 0
        self.answers: list[CommandResult] = []

    def __call__(self, engine: Engine) -> None:
        self.cycle += 1
        if self.cycle in self.plan:
            verb, target = self.plan[self.cycle]
            self.answers.append(engine.command(verb, "ana", target))


async def run(tmp_path: Path, script: Script, *faults: str) -> tuple[RunState, list[Record]]:
    rig = await wired(PROTOCOL)
    for fault in faults:
        rig.sim.inject(fault)
    journal = Journal(tmp_path / "journal.sqlite")
    run_id = rig.begin(journal)
    devices = await rig.devices()
    try:
        state = await rig.run(rig.engine(devices, journal, script))
    finally:
        await devices.close()
        await rig.sim.close()
    return state, list(journal.records(run_id))


def transitions(records: list[Record]) -> list[tuple[str, str, str]]:
    return [(r.data["from"], r.data["to"], r.data["by"]) for r in records if r.kind == "run.state"]


async def test_pause_resume_and_abort_are_journalled_as_transitions(tmp_path: Path) -> None:
    script = Script(
        {
            1: (Verb.PAUSE, None),
            2: (Verb.RESUME, None),
            3: (Verb.RESUME, None),
            4: (Verb.ABORT, "enough"),
        }
    )
    state, records = await run(tmp_path, script)
    assert state is RunState.ABORTED
    assert [(a.verb, a.accepted, a.reason) for a in script.answers] == [
        (Verb.PAUSE, True, "accepted"),
        (Verb.RESUME, True, "accepted"),
        (Verb.RESUME, False, "run is running, not paused"),
        (Verb.ABORT, True, "accepted"),
    ]
    assert transitions(records) == [
        ("starting", "running", "labctl"),
        ("running", "paused", "ana"),
        ("paused", "running", "ana"),
        ("running", "aborted", "ana"),
    ]
    commands = [r.data for r in records if r.kind == "operator.command"]
    assert [(c["verb"], c["by"], c["accepted"]) for c in commands] == [
        ("pause", "ana", True),
        ("resume", "ana", True),
        ("resume", "ana", False),
        ("abort", "ana", True),
    ]
    assert records[-1].kind == "run.ended"
    assert records[-1].data == {"state": "aborted", "compromised": False}


async def test_a_prompt_is_confirmed_only_by_its_own_id(tmp_path: Path) -> None:
    script = Script(
        {
            1: (Verb.CONFIRM_PROMPT, "charge#9"),
            2: (Verb.CONFIRM_PROMPT, "charge#1"),
            3: (Verb.CONFIRM_PROMPT, None),
            4: (Verb.ACK_ALARM, None),
            5: (Verb.ABORT, None),
        }
    )
    state, records = await run(tmp_path, script)
    assert state is RunState.ABORTED
    assert [(a.accepted, a.reason) for a in script.answers] == [
        (False, "no such prompt is waiting"),
        (True, "accepted"),
        (False, "no such prompt is waiting"),  # the charge is done; the stir step asks nothing
        (False, "which alarm? give its id"),
        (True, "accepted"),
    ]
    assert [r.data for r in records if r.kind == "prompt.confirmed"] == [{"id": "charge#1", "by": "ana"}]
    assert [r.data["kind"] for r in records if r.kind == "step.completed"] == ["charge"]
    assert transitions(records)[-1] == ("running", "aborted", "ana")


async def test_a_trip_is_left_only_through_an_acknowledgement_and_never_resumed_while_its_cause_stands(
    tmp_path: Path,
) -> None:
    script = Script(
        {
            1: (Verb.RESUME, None),
            2: (Verb.ACK_ALARM, "chiller-fault"),
            3: (Verb.RESUME, None),
            4: (Verb.ABORT, None),
        }
    )
    state, records = await run(tmp_path, script, "chiller.compressor-failure")
    assert state is RunState.ABORTED
    assert [(a.accepted, a.reason) for a in script.answers] == [
        (False, "run is tripped, not paused: acknowledge the trip first"),
        (True, "accepted"),
        (False, "interlock chiller-fault still active (chiller fault)"),
        (True, "accepted"),
    ]
    assert transitions(records) == [
        ("starting", "tripped", "labctl"),
        ("tripped", "paused", "ana"),
        ("paused", "aborted", "ana"),
    ]
    assert [r.data["kind"] for r in records if r.kind == "step.started"] == []


async def test_a_run_resumed_tripped_after_its_last_step_ends_once_a_person_lets_it(tmp_path: Path) -> None:
    """The controller died after the last step, the run tripped: on resume it waits for the acknowledgement
    and a resume, then ends with its outcome (a trip never goes straight to completed)."""
    rig = await wired(PROTOCOL)
    journal = Journal(tmp_path / "journal.sqlite")
    run_id = rig.begin(journal)
    trip = Record(
        0,
        run_id,
        0.0,
        now_iso(),
        "alarm.raised",
        None,
        {"id": "too-warm", "level": "trip", "message": "Tr > 5 °C"},
    )
    point = ResumePoint(
        step_index=len(rig.loaded.protocol.steps),
        state=RunState.TRIPPED,
        last_t_s=0.0,
        last_wall=datetime.now(UTC),
        alarms=[trip],
    )
    script = Script({2: (Verb.RESUME, None), 3: (Verb.ACK_ALARM, "too-warm"), 5: (Verb.RESUME, None)})
    devices = await rig.devices()
    try:
        state = await rig.run(rig.engine(devices, journal, script), resume=point)
    finally:
        await devices.close()
        await rig.sim.close()
    records = list(journal.records(run_id))
    assert [(a.verb, a.accepted) for a in script.answers] == [
        (Verb.RESUME, False),
        (Verb.ACK_ALARM, True),
        (Verb.RESUME, True),
    ]
    assert transitions(records) == [
        ("starting", "tripped", "labctl"),
        ("tripped", "paused", "ana"),
        ("paused", "running", "ana"),
        ("running", "completed", "labctl"),
    ]
    assert state is RunState.COMPLETED
    assert records[-1].kind == "run.ended"
    assert records[-1].data == {"state": "completed", "compromised": False}
