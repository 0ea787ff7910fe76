"""The quench judged by what the rig can confirm: the pump's stop cause and counter, and the reactor's warming.
An empty reservoir or a blocked line holds the run for a person with the quench marked as it really is."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState, Verb
from labctl.engine.engine import Engine
from labctl.engine.supervisor import OFFLINE_EVERY
from tests.dryrun.conftest import PROTOCOLS, DryRun, run_dry
from tests.dryrun.test_control import ChemistWhoAcknowledges

QUENCH_S = 186.15 * 60  # the quench's pump starts at 186:09 with seed 1
BEFORE_QUENCH_S = 180 * 60


def _never_completed(run: DryRun) -> None:
    assert run.result.state is RunState.HALTED  # nobody came: held, then halted, never `completed`
    assert run.of("quench.completed") == []


async def test_an_empty_reservoir_is_not_a_quench_whatever_the_pump_counted(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, faults=[(BEFORE_QUENCH_S, "pump.reservoir-empty")])
    unconfirmed = run.first("quench.unconfirmed")
    assert unconfirmed.data["counted_ml"] == pytest.approx(50.0)
    assert unconfirmed.data["delivered"] == "not confirmed"
    assert unconfirmed.data["rise_K"] < 1.0
    alarm = run.first("alarm.raised", id="quench-unconfirmed")
    assert "NOT quenched" in alarm.data["message"]
    assert run.first("run.state", to="paused").t_s == unconfirmed.t_s
    assert len(run.of("pump.start")) == 1  # no second start without a person
    assert sum(r["delivered_ml"] for r in run.result.ledgers["pump"]) == 0.0
    _never_completed(run)


@pytest.mark.long
@pytest.mark.parametrize(
    ("fault", "at_s", "code"),
    [("pump.occlusion", BEFORE_QUENCH_S, "3"), ("pump.occlusion", QUENCH_S + 20, "3"),
     ("pump.overheated", QUENCH_S + 10, "2")],
)  # fmt: skip
async def test_a_pump_that_stops_short_holds_the_run_with_what_was_delivered(
    tmp_path: Path, fault: str, at_s: float, code: str
) -> None:
    run = await run_dry(tmp_path, faults=[(at_s, fault)])
    short = run.first("pump.stopped-short")
    assert short.data["code"] == code
    incomplete = run.first("quench.incomplete")
    delivered = incomplete.data["delivered_ml"]
    assert delivered == pytest.approx(short.data["total_ml"])
    assert incomplete.data["missing_ml"] == pytest.approx(50.0 - delivered)
    commanded = sum(r["commanded_ml"] for r in run.result.ledgers["pump"])
    assert delivered == pytest.approx(commanded, abs=0.01)  # the record says what the pump really moved
    assert run.first("alarm.raised", id="pump-stopped-short")
    assert len(run.of("pump.start")) == 1  # never restarted by itself
    _never_completed(run)


@pytest.mark.long
async def test_a_person_clears_the_line_and_resumes_and_the_rest_is_pumped(tmp_path: Path) -> None:
    fixed = QUENCH_S + 15 * 60
    run = await run_dry(
        tmp_path,
        faults=[(QUENCH_S + 20, "pump.occlusion"), (fixed - 60, "pump.occlusion-cleared")],
        operator=ChemistWhoAcknowledges(fixed),
    )
    starts = run.of("pump.start")
    assert len(starts) >= 2
    assert starts[1].t_s >= fixed
    done = run.first("quench.completed")
    assert done.data["moved_ml"] == pytest.approx(50.0, abs=0.1)
    assert run.first("quench.confirmed")
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
async def test_a_refilled_reservoir_is_quenched_again_after_the_resume(tmp_path: Path) -> None:
    fixed = QUENCH_S + 20 * 60
    run = await run_dry(
        tmp_path,
        faults=[(BEFORE_QUENCH_S, "pump.reservoir-empty"), (fixed - 60, "pump.reservoir-refilled")],
        operator=ChemistWhoAcknowledges(fixed),
    )
    unconfirmed = run.first("quench.unconfirmed")
    again = [r for r in run.of("quench.started") if r.t_s > unconfirmed.t_s]
    assert again
    assert again[0].data["remaining_ml"] == pytest.approx(50.0)
    assert run.first("quench.confirmed").t_s > unconfirmed.t_s
    assert run.result.state is RunState.COMPLETED


# A rise shows that some of the quench arrived, not all; a person looks at the reservoir and says so.

SMALL = PROTOCOLS / "kmno4-dihydroxylation-5mmol.yaml"
SMALL_QUENCH_S = 175.35 * 60  # the 5 mmol quench's pump starts at 175.35 min with seed 1 and runs 20 s


def _pumped(run: DryRun) -> float:
    return sum(r["delivered_ml"] for r in run.result.ledgers["pump"])


async def test_a_reservoir_that_runs_dry_part_way_warms_the_mass_yet_the_chemist_sees_it_short(
    tmp_path: Path,
) -> None:
    fixed = QUENCH_S + 10 * 60
    run = await run_dry(
        tmp_path,
        faults=[(QUENCH_S + 24, "pump.reservoir-empty"), (fixed - 60, "pump.reservoir-refilled")],
        operator=ChemistWhoAcknowledges(fixed),
    )
    risen = run.first("quench.confirmed")
    assert risen.data["rise_K"] >= 8.0  # the first 12 mL alone warm the mass past the threshold
    declined = run.first("prompt.declined")
    assert declined.t_s > risen.t_s
    assert declined.data["by"] == "dry-run operator"
    seen = run.first("quench.unconfirmed")
    assert seen.data["seen_by"] == "dry-run operator"
    assert seen.data["counted_ml"] == pytest.approx(50.0)
    alarm = run.first(
        "alarm.raised", id="quench-unconfirmed"
    )  # a person's "no" calls everyone, as a rise would
    assert alarm.t_s == declined.t_s
    assert "dry-run operator saw less than 50 mL" in alarm.data["message"]
    assert "NOT quenched" in alarm.data["message"]
    starts = run.of("quench.started")
    remaining = [round(s.data["remaining_ml"]) for s in starts]
    assert remaining[:2] == [
        50,
        50,
    ]  # pumped again in full (later starts: after pauses for the quench's heat)
    assert all(r < 50 for r in remaining[2:])
    assert starts[1].t_s >= fixed
    done = run.first("quench.completed")
    assert done.data["seen_by"] == "dry-run operator"
    assert _pumped(run) == pytest.approx(
        50.0 + 24 / 60 * run.first("pump.start").data["rate_ml_min"], rel=0.1
    )
    assert run.result.state is RunState.COMPLETED


async def test_a_quench_no_rise_can_confirm_is_held_when_the_chemist_sees_nothing_arrive(
    tmp_path: Path,
) -> None:
    run = await run_dry(tmp_path, SMALL, faults=[(SMALL_QUENCH_S - 300, "pump.reservoir-empty")])
    assert run.first("quench.unconfirmed").data["seen_by"] == "dry-run operator"
    assert run.first("alarm.raised", id="quench-unconfirmed").data["level"] == "alarm"
    assert run.first("run.state", to="paused").data["reason"] == "operator pause"
    assert len(run.of("pump.start")) == 1  # nobody resumed: never pumped again
    assert _pumped(run) == 0.0
    assert run.of("quench.completed") == []
    assert run.result.state is RunState.HALTED


async def test_each_look_at_a_still_empty_reservoir_pumps_again_and_says_no_again(tmp_path: Path) -> None:
    """The chemist resumes before refilling (the first resume finds the bottle still empty), then refills."""
    refilled = SMALL_QUENCH_S + 8 * 60
    run = await run_dry(
        tmp_path,
        SMALL,
        faults=[(SMALL_QUENCH_S - 300, "pump.reservoir-empty"), (refilled, "pump.reservoir-refilled")],
        operator=ChemistWhoAcknowledges(SMALL_QUENCH_S + 2 * 60),
    )
    unseen = run.of("quench.unconfirmed")
    assert len(unseen) >= 2
    raised = [r.t_s for r in run.of("alarm.raised") if r.data["id"] == "quench-unconfirmed"]
    assert raised == [r.t_s for r in unseen]  # acknowledged before each resume, raised again by each "no"
    assert all(r.t_s < refilled + 60 for r in unseen)
    assert len(run.of("pump.start")) == len(unseen) + 1
    assert run.first("quench.completed").t_s > refilled
    assert _pumped(run) == pytest.approx(10.0, rel=0.1)  # only the pumping after the refill arrived
    assert run.result.state is RunState.COMPLETED


class ChemistWhoPausesAtTheFirstPrompt:
    """Pauses while the charge prompt is open and resumes a minute later: a pause is not an answer to it."""

    def __init__(self) -> None:
        self.prompts = SimulatedOperator()
        self.paused_at: float | None = None

    def __call__(self, eng: Engine) -> None:
        if self.paused_at is None and eng.prompt is not None:
            assert eng.command(Verb.PAUSE, "chemist", None).accepted
            self.paused_at = eng.now()
        elif self.paused_at is not None and eng.state is RunState.PAUSED and eng.now() > self.paused_at + 60:
            eng.command(Verb.RESUME, "chemist", None)
        elif eng.state is RunState.RUNNING and eng.now() > 60 * 60:
            eng.command(Verb.ABORT, "chemist", "enough seen")
        else:
            self.prompts(eng)


async def test_a_pause_answers_only_a_prompt_that_asks_whether_an_addition_arrived(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, SMALL, operator=ChemistWhoPausesAtTheFirstPrompt())
    opened = run.first("prompt.opened")
    assert run.of("prompt.declined") == []
    assert run.first("prompt.confirmed").data["id"] == opened.data["id"]
    assert run.first("prompt.confirmed").t_s > run.first("run.state", to="paused").t_s
    assert run.result.state is RunState.ABORTED


@pytest.mark.long  # about 2 min of wall time: every late reply waits for real
@pytest.mark.parametrize("at_s", [QUENCH_S - 60, QUENCH_S + 30])
async def test_a_pump_whose_replies_come_too_late_holds_the_run_and_never_ends_it_with_an_error(
    tmp_path: Path, at_s: float
) -> None:
    """The pause above 15 °C sends a stop the pump does not confirm in time: that is an alarm and a pause for a
    person (the pump may still run), not an exception out of the run."""
    run = await run_dry(tmp_path, faults=[(at_s, "pump.link-slow")])
    raised = [r.data["id"] for r in run.of("alarm.raised")]
    assert "pump-offline" in raised or "pump-error" in raised
    assert run.of("quench.completed") == []
    assert run.result.state is RunState.HALTED  # held for a person, who never came
    assert run.first("run.ended").data["state"] == "halted"


class ChemistCountingPumpQuestions:
    """Confirms prompts like the simulated operator, and counts (by process time) each time labctl asks the pump
    whether it still runs: the real driver, wrapped, so the count is what went on the wire."""

    def __init__(self) -> None:
        self.prompts = SimulatedOperator()
        self.asked_at: list[float] = []
        self._wrapped = False

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        pump = eng.devices.pump
        if not self._wrapped and pump is not None:
            self._wrapped = True
            ask = pump.is_running

            async def counted() -> bool:
                self.asked_at.append(eng.now())
                return await ask()

            pump.is_running = counted  # type: ignore[method-assign]


@pytest.mark.long  # about a minute of wall time: the late replies wait for real
async def test_a_pump_that_goes_silent_while_it_quenches_is_asked_rarely_and_a_person_called(
    tmp_path: Path,
) -> None:
    """The 5 mmol quench never warms the mass to 15 °C, so nothing but the silence itself can stop the step: the
    run must not wait on it for ever, and the unanswered questions must not slow the cycle that watches Tr."""
    chemist = ChemistCountingPumpQuestions()
    run = await run_dry(tmp_path, SMALL, faults=[(SMALL_QUENCH_S + 5, "pump.link-slow")], operator=chemist)
    offline = run.first("alarm.raised", id="pump-offline")
    paused = run.first("run.state", to="paused")
    assert 60 <= paused.t_s - offline.t_s <= 60 + 2 * OFFLINE_EVERY
    assert "the pump has not answered" in paused.data["reason"]
    stops = [r for r in run.of("command") if r.data.get("because") == "pump not answering"]
    assert stops
    assert stops[0].t_s == paused.t_s  # stopped as far as it can be
    silent = [t for t in chemist.asked_at if offline.t_s < t <= paused.t_s]
    assert (
        60 / OFFLINE_EVERY - 2 <= len(silent) <= 60 / OFFLINE_EVERY + 2
    )  # every OFFLINE_EVERY cycles, not each
    answered = [t for t in chemist.asked_at if t < SMALL_QUENCH_S + 5]
    assert len(answered) >= 3
    assert all(b - a == 1.0 for a, b in itertools.pairwise(answered))  # while it answered, asked each cycle
    assert run.of("quench.completed") == []
    assert run.result.state is RunState.HALTED
