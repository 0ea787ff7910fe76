"""The control API in a dry run: a trip is acknowledged and resumed by a person and the batch completes; an
abort mid-dose leaves the rig safe; commands that make no sense now are rejected with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState, Verb
from labctl.engine.engine import Engine
from labctl.run.console import status_line
from tests.dryrun.conftest import DryRun, run_dry

MID_DOSING_S = 43.5 * 60  # dosing starts at 41:15 with seed 1
FIXED_S = 46 * 60


class ChemistWhoAcknowledges:
    """Confirms prompts like the simulated operator; when the run waits, acknowledges its alarms and, once the
    problem has been seen to (`fixed_at_s`), asks to resume every cycle until the engine allows it."""

    def __init__(self, fixed_at_s: float) -> None:
        self.prompts = SimulatedOperator()
        self.fixed_at_s = fixed_at_s
        self.answers: list[tuple[float, str, bool, str]] = []

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        if eng.state in (RunState.TRIPPED, RunState.PAUSED):
            for alarm in eng.alarms.unacknowledged():
                self._say(eng, Verb.ACK_ALARM, alarm.id)
        if eng.state is RunState.PAUSED and eng.now() >= self.fixed_at_s:
            self._say(eng, Verb.RESUME, None)

    def _say(self, eng: Engine, verb: Verb, target: str | None) -> None:
        result = eng.command(verb, "chemist", target)
        self.answers.append((eng.now(), str(verb), result.accepted, result.reason))


@pytest.mark.long
async def test_a_doser_error_waits_for_the_chemist_and_the_shortfall_is_carried(tmp_path: Path) -> None:
    run = await run_dry(
        tmp_path,
        faults=[(MID_DOSING_S, "doser.powder-flow-error"), (FIXED_S - 60, "doser.powder-flow-restored")],
        operator=ChemistWhoAcknowledges(FIXED_S),
    )
    assert run.result.state is RunState.COMPLETED
    assert [r.data["to"] for r in run.of("run.state")][:4] == ["running", "paused", "running", "completed"]
    assert run.first("alarm.acknowledged", id="doser-error").data["by"] == "chemist"
    resumed = run.first("run.state", to="running", reason="operator resume")
    assert resumed.t_s >= FIXED_S
    results = run.of("portion.result")
    failed = run.first("portion.result", outcome="failed")
    retried = results[results.index(failed) + 1]
    assert retried.data["portion"] == failed.data["portion"]  # the same portion, for what is still missing
    assert retried.data["target_g"] > failed.data["target_g"] - failed.data["dispensed_g"]
    assert [r.data["outcome"] for r in results].count("done") == 10
    ledger_g = sum(d["dispensed_g"] for d in run.result.ledgers["doser"])
    assert ledger_g == pytest.approx(47.5, rel=0.02)


@pytest.mark.long
async def test_resume_is_refused_while_the_trip_condition_holds(tmp_path: Path) -> None:
    """The probe is unplugged: trip. labctl brings the unit back on jacket control by itself (the −350 it
    latched is cleared), but every resume is refused with the reason while Tr is missing; once the probe reads
    and the alarms are acknowledged, the resume is accepted and the batch completes. (Resumed the moment the
    probe is back, the switch from jacket to process control can kick the simulated cascade into a tr-rising
    trip, which this chemist acknowledges too.)"""
    chemist = ChemistWhoAcknowledges(MID_DOSING_S)
    run = await run_dry(
        tmp_path,
        faults=[(MID_DOSING_S, "chiller.probe-unplugged"), (FIXED_S, "chiller.probe-plugged")],
        operator=chemist,
    )
    assert run.first("alarm.acknowledged", id="probe-missing").data["by"] == "chemist"
    refused = [
        (t, reason) for t, verb, accepted, reason in chemist.answers if verb == "resume" and not accepted
    ]
    while_missing = {reason for t, reason in refused if t < FIXED_S}
    assert "interlock probe-missing still active (Tr missing)" in while_missing
    assert while_missing <= {
        "interlock probe-missing still active (Tr missing)",
        "interlock chiller-fault still active (chiller fault)",  # the cycle before labctl cleared the −350
    }
    assert [r for r in run.of("portion.start") if MID_DOSING_S < r.t_s < FIXED_S] == []
    assert run.first("run.state", to="running", reason="operator resume").t_s >= FIXED_S
    assert run.result.state is RunState.COMPLETED


class AbortMidDose:
    def __init__(self, at_s: float) -> None:
        self.at_s = at_s
        self.prompts = SimulatedOperator()
        self.status: list[str] = []

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        self.status.append(status_line(eng))
        if eng.now() >= self.at_s and eng.state is RunState.RUNNING:
            assert eng.command(Verb.ABORT, "chemist", "wrong substrate lot").accepted


async def test_an_abort_mid_dose_stops_the_doser_and_leaves_the_chiller_cooling(tmp_path: Path) -> None:
    chemist = AbortMidDose(MID_DOSING_S)
    run = await run_dry(tmp_path, operator=chemist)
    assert run.result.state is RunState.ABORTED
    ended = run.first("run.state", to="aborted")
    assert (ended.data["reason"], ended.data["by"]) == ("wrong substrate lot", "chemist")
    stop = run.first("command", device="doser", command="stop")
    assert stop.t_s >= MID_DOSING_S
    assert run.result.ledgers["doser"][-1]["outcome"] == "I 8"  # the portion in flight was stopped
    safe = [r for r in run.of("command") if r.data["command"] == "setpoint" and r.t_s >= ended.t_s]
    assert [r.data["setpoint_C"] for r in safe] == [-10.0]
    commands = {r.data["command"] for r in run.of("command") if r.data["device"] == "chiller"}
    assert "stop-temperature-control" not in commands  # never switched off
    assert run.of("portion.result")[-1].data["outcome"] == "failed"  # the stopped portion, with its real mass
    # what the console showed while portion 2 waited: the step, the temperatures and the gate it waited for
    waiting = [line for line in chemist.status if "portion 2/10 waits for minimum interval" in line]
    assert waiting
    assert "step kmno4-addition" in waiting[0]
    assert "Tr " in waiting[0]
    assert "MTSR" in waiting[0]


class Pest:
    """Sends commands that are not valid now; each must be rejected with a reason and change nothing."""

    def __init__(self) -> None:
        self.prompts = SimulatedOperator()
        self.results: list[tuple[str, bool, str]] = []

    def __call__(self, eng: Engine) -> None:
        if eng.now() < 5.0:
            for verb, target in [
                (Verb.RESUME, None),
                (Verb.ACK_ALARM, "no-such-alarm"),
                (Verb.ACK_ALARM, None),
                (Verb.CONFIRM_PROMPT, "charge#99"),
            ]:
                result = eng.command(verb, "pest", target)
                self.results.append((str(verb), result.accepted, result.reason))
        self.prompts(eng)


@pytest.mark.long
async def test_commands_that_make_no_sense_now_are_rejected_with_a_reason(tmp_path: Path) -> None:
    pest = Pest()
    run = await run_dry(tmp_path, operator=pest)
    assert run.result.state is RunState.COMPLETED
    assert pest.results
    assert all(not accepted for _, accepted, _ in pest.results)
    reasons = {verb: reason for verb, _, reason in pest.results}
    assert reasons["resume"] == "run is running, not paused"
    assert reasons["confirm-prompt"] == "no such prompt is waiting"
    assert "no-such-alarm" in reasons["ack-alarm"] or "which alarm" in reasons["ack-alarm"]
    logged = run.of("operator.command")
    assert {r.data["by"] for r in logged} == {"pest", "dry-run operator"}
    assert all(not r.data["accepted"] for r in logged if r.data["by"] == "pest")


def _setpoints_after(run: DryRun, t_s: float) -> list[float]:
    return [
        r.data["setpoint_C"]
        for r in run.of("command")
        if r.data["device"] == "chiller" and r.data["command"] == "setpoint" and r.t_s >= t_s
    ]


@pytest.mark.long
@pytest.mark.parametrize(
    ("lost_at_s", "lost_for_s"),
    [(MID_DOSING_S, 5), (80 * 60, 20)],  # one in the dosing, one in the 2 h hold
)
async def test_a_tripped_then_resumed_run_goes_back_to_its_steps_setpoint_and_holds_the_band(
    tmp_path: Path, lost_at_s: float, lost_for_s: float
) -> None:
    """The chiller stops answering: trip, full cooling (sent once the unit answers again), acknowledged, resumed.
    From the resume on, the step's own 2.5 °C in process control is in force again and the hold stays in 0–5 °C."""
    back = lost_at_s + lost_for_s
    run = await run_dry(
        tmp_path,
        faults=[(lost_at_s, "chiller.link-silent"), (back, "chiller.link-restored")],
        operator=ChemistWhoAcknowledges(back + 120),
    )
    trip = run.first("interlock", id="chiller-lost", active=True)
    assert -10.0 in _setpoints_after(run, trip.t_s)  # full cooling reached the unit after the link came back
    assert [r.data["to"] for r in run.of("run.state")].count("tripped") == 1  # the way back did not trip
    resumed = run.first("run.state", to="running", reason="operator resume")
    restored = run.first("setpoint.restored")
    assert restored.t_s == resumed.t_s
    assert (restored.data["setpoint_C"], restored.data["control"]) == (2.5, "process")
    way_back = _setpoints_after(run, resumed.t_s)
    assert way_back[-1] == 2.5
    assert way_back == sorted(way_back)  # warmed back up, never past the step's setpoint
    assert run.of("setpoint.step")[-1].data["setpoint_C"] == 2.5  # a crash now would resume at 2.5 °C too
    modes = [r for r in run.of("command") if r.data["command"] == "control-mode" and r.t_s >= resumed.t_s]
    assert [r.data["mode"] for r in modes] == ["process"]
    back_in = run.first("setpoint.back-in-band")
    assert back_in.data["band_C"] == [0.0, 5.0]
    assert back_in.t_s >= resumed.t_s
    hold_start, hold_end = run.step_span("stir-cold")
    tr = [r.data["Tr_C"] for r in run.readings_between(max(hold_start, back_in.t_s), hold_end)]
    assert tr
    assert min(tr) >= 0.0
    assert max(tr) <= 5.0
    quench_start, _ = run.step_span("quench")
    assert 0.0 <= run.readings_between(quench_start - 2, quench_start)[-1].data["Tr_C"] <= 5.0
    assert run.result.state is RunState.COMPLETED  # every alarm was acknowledged by the chemist
