"""A held stirrer restart survives the controller dying: after the restart labctl stops the motor again, the run
cannot resume until a person confirms, and then the stirrer turns and the batch completes."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.engine.control import RunState
from labctl.engine.engine import Engine
from labctl.engine.resume import resume_point
from labctl.journal import Journal, Record
from labctl.sim.faults import FaultSchedule, ScheduledFault
from tests.dryrun.conftest import SCALE_UP
from tests.dryrun.test_stirring import ChemistAtTheStirrer
from tests.dryrun.wired import WiredRig, wired

JAMMED_S = 43.5 * 60  # portion 2 dispensing
FREED_S = 47 * 60  # a person frees the shaft while the controller is down


class ControllerDied(Exception):
    pass


class DiesWhileHeld:
    """Acknowledges the trip so the restart prompt opens, then the controller dies `after_s` into the hold."""

    def __init__(self, after_s: float) -> None:
        self.chemist = ChemistAtTheStirrer(confirms_at_s=None)
        self.after_s = after_s

    def __call__(self, eng: Engine) -> None:
        self.chemist(eng)
        held = eng.stirring_guard.held
        if held is not None and eng.now() >= held.since + self.after_s:
            raise ControllerDied


def _schedule() -> FaultSchedule:
    faults = [(JAMMED_S, "stirrer.stop"), (FREED_S, "stirrer.start")]
    return FaultSchedule(
        faults=[ScheduledFault.model_validate({"at": f"{at} s", "fault": name}) for at, name in faults]
    )


async def _dies(bench: WiredRig, journal: Journal, after_s: float) -> str:
    run_id = bench.begin(journal)
    devices = await bench.devices()
    try:
        with pytest.raises(ExceptionGroup) as died:
            await bench.run(bench.engine(devices, journal, DiesWhileHeld(after_s)))
        assert died.group_contains(ControllerDied)
    finally:
        await devices.close()
    return run_id


async def _resumed(bench: WiredRig, journal: Journal, run_id: str, chemist: ChemistAtTheStirrer) -> RunState:
    point = resume_point(journal, run_id, bench.loaded.protocol)
    assert point is not None
    assert point.stirrer_held is not None
    devices = await bench.devices()
    try:
        return await bench.run(bench.engine(devices, journal, chemist), point)
    finally:
        await devices.close()


def _after(records: list[Record], kind: str) -> list[Record]:
    resumed = next(r.seq for r in records if r.kind == "run.resumed")
    return [r for r in records if r.kind == kind and r.seq > resumed]


@pytest.mark.long
@pytest.mark.parametrize("dies_after_s", [20.0, 120.0])  # before and after the trip is acknowledged
async def test_a_held_restart_is_still_held_after_the_controller_restarts(
    tmp_path: Path, dies_after_s: float
) -> None:
    bench = await wired(SCALE_UP, schedule=_schedule())
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        run_id = await _dies(bench, journal, dies_after_s)
        confirms_at = FREED_S + 10 * 60
        chemist = ChemistAtTheStirrer(confirms_at_s=confirms_at, resumes_at_s=FREED_S)
        state = await _resumed(bench, journal, run_id, chemist)
        records = list(journal.records(run_id))
    finally:
        journal.close()
        await bench.sim.close()
    resumed = next(r for r in records if r.kind == "run.resumed")
    assert resumed.data["stirrer_restart_held"] is True
    stops = [
        r for r in _after(records, "command") if r.data["device"] == "stirrer" and r.data["command"] == "stop"
    ]
    assert stops
    assert stops[0].t_s <= resumed.t_s + 2.0
    assert chemist.refusals
    assert all("confirm its restart" in reason for _, reason in chemist.refusals)
    assert min(t for t, _ in chemist.refusals) < confirms_at
    restart = _after(records, "stirrer.restart")
    assert len(restart) == 1
    assert restart[0].t_s >= confirms_at
    assert restart[0].data["by"] == "chemist"
    starts = [
        r
        for r in _after(records, "command")
        if r.data["device"] == "stirrer" and r.data["command"] == "start"
    ]
    assert starts[0].t_s >= restart[0].t_s
    resumes = [r for r in _after(records, "run.state") if r.data["to"] == "running"]
    assert resumes
    assert resumes[0].t_s >= restart[0].t_s
    doses = [d for d in bench.sim.ledgers()["doser"] if JAMMED_S + 10 < d["started_at_s"] < restart[0].t_s]
    assert doses == []
    assert state is RunState.COMPLETED
