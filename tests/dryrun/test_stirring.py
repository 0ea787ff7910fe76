"""The stirrer as an instrument in the scale-up: no portion goes into an unstirred mass, losing stirring while solid
is dosed trips the run and stops the motor, and the motor turns again only when a person says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState, Verb
from labctl.engine.engine import Engine
from labctl.engine.stirring_guard import LOSS_GRACE_S
from tests.dryrun.conftest import DryRun, run_dry

DURING_PORTION_2_S = 43.5 * 60  # seed 1: portion 2 dispenses 43.37–44.00 min
BETWEEN_PORTIONS_S = 45.1 * 60  # after portion 3, before portion 4 (45.6 min undisturbed)
LATE_IN_DOSING_S = 55.3 * 60  # portion 7 starts at 55.0 min
BEFORE_DOSING_S = 25 * 60  # cooling to 0–5 °C: nothing dosed yet
STOPS = [BETWEEN_PORTIONS_S, LATE_IN_DOSING_S]  # during a portion: the test below


class ChemistAtTheStirrer:
    """Acknowledges alarms at once; confirms the stirrer restart only from `confirms_at_s` (having freed the
    shaft), every other prompt like the dry-run operator; asks to resume every cycle from `resumes_at_s`."""

    def __init__(self, confirms_at_s: float | None, resumes_at_s: float | None = None) -> None:
        self.prompts = SimulatedOperator()
        self.confirms_at_s = confirms_at_s
        self.resumes_at_s = resumes_at_s if resumes_at_s is not None else confirms_at_s
        self.refusals: list[tuple[float, str]] = []

    def __call__(self, eng: Engine) -> None:
        prompt = eng.prompt
        restart = prompt is not None and "restart the stirrer" in prompt.message
        if prompt is not None and not restart:
            self.prompts(eng)
        elif prompt is not None and self.confirms_at_s is not None and eng.now() >= self.confirms_at_s:
            eng.command(Verb.CONFIRM_PROMPT, "chemist", prompt.id)
        if eng.state in (RunState.TRIPPED, RunState.PAUSED):
            for alarm in eng.alarms.unacknowledged():
                eng.command(Verb.ACK_ALARM, "chemist", alarm.id)
        if eng.state is RunState.PAUSED and self.resumes_at_s is not None and eng.now() >= self.resumes_at_s:
            result = eng.command(Verb.RESUME, "chemist")
            if not result.accepted:
                self.refusals.append((eng.now(), result.reason))


def _doses_started_after(run: DryRun, t_s: float) -> list[float]:
    return [d["started_at_s"] for d in run.result.ledgers["doser"] if d["started_at_s"] > t_s]


def _stirrer_commands(run: DryRun, command: str) -> list[float]:
    return [
        r.t_s for r in run.of("command") if r.data["device"] == "stirrer" and r.data["command"] == command
    ]


@pytest.mark.parametrize("stop_s", STOPS)
async def test_a_stirrer_stop_while_dosing_trips_and_stops_the_next_portion(
    tmp_path: Path, stop_s: float
) -> None:
    run = await run_dry(tmp_path, faults=[(stop_s, "stirrer.stop")])
    lost = run.first("stirring.lost")
    assert stop_s < lost.t_s <= stop_s + LOSS_GRACE_S + 1.0
    assert lost.data["speed_rpm"] == 0.0
    assert lost.data["setpoint_rpm"] == 300.0
    assert lost.data["unreacted_mol"] > 0
    alarm = run.first("alarm.raised", id="stirring-lost")
    assert alarm.data["level"] == "trip"
    assert run.first("run.state", to="tripped").t_s == lost.t_s
    assert _stirrer_commands(run, "stop") == [lost.t_s]  # the motor is off: a freed shaft stays still
    assert _doses_started_after(run, stop_s) == []  # the instrument's own ledger: nothing dispensed since
    assert [r for r in run.of("portion.start") if r.t_s > stop_s] == []
    assert run.result.state is RunState.HALTED  # nobody came; never `completed`


async def test_a_portion_dispensing_when_stirring_is_lost_is_stopped(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, faults=[(DURING_PORTION_2_S, "stirrer.stop")])
    lost = run.first("stirring.lost")
    stops = [r for r in run.of("command") if r.data["device"] == "doser" and r.data["command"] == "stop"]
    assert [r.data["because"] for r in stops] == ["stirring-lost"]
    assert stops[0].t_s == lost.t_s
    dose = next(d for d in run.result.ledgers["doser"] if d["started_at_s"] < DURING_PORTION_2_S)
    assert dose["ended_at_s"] <= lost.t_s + 2.0


@pytest.mark.long
@pytest.mark.parametrize("stop_s", [LATE_IN_DOSING_S])
async def test_the_stirrer_stays_stopped_until_a_person_confirms_its_restart(
    tmp_path: Path, stop_s: float
) -> None:
    freed = stop_s + 5 * 60
    chemist = ChemistAtTheStirrer(confirms_at_s=None, resumes_at_s=freed)
    run = await run_dry(
        tmp_path, faults=[(stop_s, "stirrer.stop"), (freed, "stirrer.start")], operator=chemist
    )
    after = [r.data["stirrer_rpm"] for r in run.of("reading") if r.t_s > freed + 10]
    assert after
    assert set(after) == {0.0}  # the shaft is free, but the motor labctl switched off stays off
    assert len(_stirrer_commands(run, "start")) == 1  # the `stir` step's; never after the loss
    prompt = next(r for r in run.of("prompt.opened") if "restart the stirrer" in r.data["message"])
    assert "+" in prompt.data["message"]  # the unreacted heat, in kelvin
    assert chemist.refusals
    assert "confirm its restart" in chemist.refusals[0][1]
    assert _doses_started_after(run, stop_s) == []
    assert run.result.state is RunState.HALTED


@pytest.mark.long
@pytest.mark.parametrize("stop_s", [BETWEEN_PORTIONS_S])
async def test_a_confirmed_restart_stirs_again_and_the_batch_completes_cold(
    tmp_path: Path, stop_s: float
) -> None:
    freed, confirmed = stop_s + 4 * 60, stop_s + 5 * 60
    run = await run_dry(
        tmp_path,
        faults=[(stop_s, "stirrer.stop"), (freed, "stirrer.start")],
        operator=ChemistAtTheStirrer(confirmed),
    )
    restart = run.first("stirrer.restart")
    assert restart.data["by"] == "chemist"
    assert restart.t_s >= confirmed
    assert run.first("stirring.restored").t_s > restart.t_s
    resumed = run.first("operator.command", verb="resume", accepted=True)
    assert resumed.t_s >= run.first("stirring.restored").t_s
    assert min(_doses_started_after(run, stop_s)) > resumed.t_s
    assert run.first("dose.completed").data["portions"] == 10
    _, end = run.step_span("stir-cold")
    tr = [r.data["Tr_C"] for r in run.readings_between(stop_s, end) if r.data["Tr_C"] is not None]
    assert max(tr) < 10.0  # the accumulated solid reacts under full cooling, not into a trip
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
async def test_a_restart_confirmed_before_the_shaft_is_free_is_stopped_again(tmp_path: Path) -> None:
    stop_s = BETWEEN_PORTIONS_S
    freed = stop_s + 10 * 60
    run = await run_dry(
        tmp_path,
        faults=[(stop_s, "stirrer.stop"), (freed, "stirrer.start")],
        operator=ChemistAtTheStirrer(confirms_at_s=stop_s + 60, resumes_at_s=stop_s + 60),
    )
    not_turning = run.first("alarm.raised", id="stirrer-not-turning")
    assert not_turning.t_s < freed
    stops = _stirrer_commands(run, "stop")
    assert len(stops) >= 2  # after the loss, and after the restart that did not turn
    assert _doses_started_after(run, stop_s)
    assert min(_doses_started_after(run, stop_s)) > freed  # no portion before it really stirs
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
async def test_stirring_lost_before_any_solid_is_an_alarm_and_dosing_waits_for_it(tmp_path: Path) -> None:
    freed = BEFORE_DOSING_S + 30 * 60  # past the cold wait: the first portion waits for the stirrer
    run = await run_dry(tmp_path, faults=[(BEFORE_DOSING_S, "stirrer.stop"), (freed, "stirrer.start")])
    alarm = run.first("alarm.raised", id="stirring-lost")
    assert alarm.data["level"] == "alarm"
    assert run.of("run.state")[1].data["to"] != "tripped"
    assert _stirrer_commands(run, "stop") == []  # nothing at risk: the motor is left on
    waiting = run.first("portion.waiting", portion=1)
    assert any("stirring not verified" in reason for reason in waiting.data["for"])
    assert min(d["started_at_s"] for d in run.result.ledgers["doser"]) > freed
    assert run.first("stirring.restored").t_s >= freed
    assert run.result.state is RunState.COMPLETED_WITH_DEVIATIONS  # the alarm was never acknowledged


@pytest.mark.long
@pytest.mark.parametrize("silent_s", [LATE_IN_DOSING_S])
async def test_a_silent_stirrer_holds_the_portions_without_a_trip(tmp_path: Path, silent_s: float) -> None:
    restored = silent_s + 90
    run = await run_dry(
        tmp_path, faults=[(silent_s, "stirrer.link-silent"), (restored, "stirrer.link-restored")]
    )
    offline = run.first("alarm.raised", id="stirrer-offline")
    assert silent_s <= offline.t_s < silent_s + 10
    assert run.of("stirring.lost") == []
    starts = [d["started_at_s"] for d in run.result.ledgers["doser"]]
    assert not [t for t in starts if silent_s + 5 < t < restored]
    assert any("stirrer offline" in r.data["for"] for r in run.of("portion.waiting") if r.t_s > silent_s)
    assert run.first("dose.completed").data["portions"] == 10
    assert run.result.state is RunState.COMPLETED_WITH_DEVIATIONS


@pytest.mark.long
async def test_a_slow_stirrer_link_holds_the_portions(tmp_path: Path) -> None:
    """Replies 2 s late (the dry run's stirrer timeout is 0.1 s): every speed read times out, and a late reply
    is never taken as the current speed, so the stirrer is offline and no portion starts until the link is
    fast again (the old driver took late lines as current readings and kept dosing)."""
    slow_s = LATE_IN_DOSING_S
    restored = slow_s + 90
    run = await run_dry(tmp_path, faults=[(slow_s, "stirrer.link-slow"), (restored, "stirrer.link-restored")])
    offline = run.first("alarm.raised", id="stirrer-offline")
    assert slow_s <= offline.t_s < slow_s + 10
    speeds = [(r.t_s, r.data["stirrer_rpm"]) for r in run.readings_between(slow_s + 5, restored - 1)]
    assert speeds
    assert not [(t, rpm) for t, rpm in speeds if rpm is not None], "a late reply journalled as current"
    starts = [d["started_at_s"] for d in run.result.ledgers["doser"]]
    assert not [t for t in starts if slow_s + 5 < t < restored]
    assert run.first("dose.completed").data["portions"] == 10
