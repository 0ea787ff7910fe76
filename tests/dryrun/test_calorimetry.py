"""The scale-up as a heat-flow calorimeter: calibrated on its own cool-down before the first portion, dosed on the
larger of the model's and the measured MTSR, held by a person when the calibration cannot be trusted, and held by
the measurement when the stirring stops where no sensor sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState, Verb
from labctl.engine.engine import Engine
from labctl.journal import Journal, Record
from labctl.sim.faults import FaultSchedule, ScheduledFault
from tests.dryrun.conftest import SCALE_UP, DryRun, run_dry
from tests.dryrun.wired import wired

CAP_C = 25.0  # the scale-up's `MTSR <= 25 °C` gate
PORTION_RISE_K = 4.75 / 158.03 * 225e3 / 1010  # a portion's rise as the model counts it (6.7 K)
MEASURED_HOLD = "gate MTSR <= 25 °C (measured by the heat balance)"


def measured_readings(run: DryRun) -> list[Record]:
    return [r for r in run.of("reading") if r.data.get("MTSR_measured_C") is not None]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_scale_up_is_calibrated_on_its_cool_down_and_dosed_on_the_larger_mtsr(
    tmp_path: Path, seed: int
) -> None:
    run = await run_dry(tmp_path, seed=seed)
    calibrated = run.first("calorimetry.calibrated")
    first = run.of("portion.start")[0]
    assert calibrated.step == "kmno4-addition"
    assert calibrated.t_s <= first.t_s
    assert 3.0 <= calibrated.data["UA_W_K"] <= 6.0  # 6 W/K as the thermostat sees it, at the charge's C
    assert calibrated.data["span_s"] >= 29 * 60  # the cool-down's last half hour
    assert calibrated.data["fit"]["transfer_s"] == pytest.approx(calibrated.data["UA_W_K"] / 1010, rel=1e-3)
    measured = measured_readings(run)
    assert measured[0].t_s <= first.t_s + 60
    for r in measured:
        larger = max(r.data["MTSR_model_C"], r.data["MTSR_measured_C"])
        assert r.data["MTSR_C"] == pytest.approx(larger, abs=0.011)
    quench, _ = run.step_span("quench")
    assert all(r.t_s < quench + 2 for r in measured)  # the quench's heat is not the oxidant's
    hold_end = run.step_span("stir-cold")[1]
    last = [r for r in measured if r.t_s <= hold_end][-1]
    assert last.data["heat_release_pct"] > 90.0
    assert run.first("dose.completed").data["portions"] == 10
    assert run.of("alarm.raised") == []
    assert run.result.state is RunState.COMPLETED


class DecidesAt:
    """The dry-run operator for every prompt but the calibration's, which a person answers only at `at_s`."""

    def __init__(self, at_s: float) -> None:
        self.at_s = at_s
        self.others = SimulatedOperator()

    def __call__(self, eng: Engine) -> None:
        prompt = eng.prompt
        if prompt is None or "heat balance could not be calibrated" not in prompt.message:
            self.others(eng)
        elif eng.now() >= self.at_s:
            eng.command(Verb.CONFIRM_PROMPT, "chemist", prompt.id)


def mutated(tmp_path: Path, old: str, new: str) -> Path:
    text = SCALE_UP.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "scale-up.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("  heat_transfer: 6 W/K", "  heat_transfer: 20 W/K", "the protocol's 20 W/K"),
        ("  heat_transfer: 6 W/K", "  heat_transfer: 1.8 W/K", "the protocol's 1.8 W/K"),
        ("  heat_transfer: 6 W/K", "  heat_transfer: 13 W/K", "the protocol's 13 W/K"),
    ],
)
async def test_a_calibration_that_cannot_be_trusted_holds_dosing_until_a_person_decides(
    tmp_path: Path, old: str, new: str, why: str
) -> None:
    protocol = mutated(tmp_path, old, new)
    decided = 45 * 60.0  # a few minutes after dosing would have begun
    run = await run_dry(tmp_path, protocol, operator=DecidesAt(decided))
    rejected = run.first("calorimetry.rejected")
    assert why in rejected.data["reason"]
    assert rejected.step == "kmno4-addition"
    alarm = run.first("alarm.raised", id="calibration-rejected")
    assert why in alarm.data["message"]
    prompt = run.first("prompt.opened")
    assert "Dosing is held" in run.of("prompt.opened")[-1].data["message"] or prompt
    waived = run.first("calorimetry.waived")
    assert waived.data["by"] == "chemist"
    assert waived.t_s >= decided
    assert min(r.t_s for r in run.of("portion.start")) >= waived.t_s  # nothing dosed before the decision
    assert measured_readings(run) == []  # dosed on the model alone
    assert run.of("calorimetry.calibrated") == []
    assert run.result.state is RunState.COMPLETED_WITH_DEVIATIONS  # the alarm stays for a reviewer


async def run_without_a_stirrer_instrument(
    tmp_path: Path, faults: list[tuple[float, str]], protocol: Path = SCALE_UP
) -> list[Record]:
    """The scale-up on a rig whose stirrer labctl cannot read: a person confirms stirring once, and a stall is
    seen by nothing but the heat balance."""
    schedule = FaultSchedule(
        faults=[ScheduledFault.model_validate({"at": f"{at} s", "fault": name}) for at, name in faults]
    )
    rig = await wired(protocol, schedule=schedule, without=("stirrer",))
    journal = Journal(tmp_path / "journal.sqlite")
    run_id = rig.begin(journal)
    devices = await rig.devices()
    try:
        await rig.run(rig.engine(devices, journal, SimulatedOperator()))
    finally:
        await devices.close()
        await rig.sim.close()
    try:
        return list(journal.records(run_id))
    finally:
        journal.close()


STALL_S = 49 * 60.0  # seed 1 on this rig: after portion 4 (46.5 min), before portion 5
STALL_FOR_S = 12 * 60.0


@pytest.mark.parametrize("stall_s", [STALL_S, STALL_S + 3 * 60])
async def test_a_stall_no_sensor_sees_holds_the_next_portion_by_the_measured_mtsr(
    tmp_path: Path, stall_s: float
) -> None:
    restart = stall_s + STALL_FOR_S
    records = await run_without_a_stirrer_instrument(
        tmp_path, [(stall_s, "stirrer.stop"), (restart, "stirrer.start")]
    )
    held = [r for r in records if r.kind == "portion.waiting" and MEASURED_HOLD in r.data["for"]]
    assert held
    assert stall_s < held[0].t_s < restart
    starts = [r.t_s for r in records if r.kind == "portion.start"]
    # Tr falling under full cooling may let one more through at the cap; the model alone let them all through
    assert len([t for t in starts if held[0].t_s <= t <= restart]) <= 1
    during = [r for r in records if r.kind == "reading" and held[0].t_s <= r.t_s <= restart]
    model_would_release = [r for r in during if r.data["MTSR_model_C"] + PORTION_RISE_K <= CAP_C]
    assert len(model_would_release) >= 120  # the model counted the settled solid as reacting, for minutes
    assert all(r.data["MTSR_measured_C"] > r.data["MTSR_model_C"] for r in model_would_release)


async def test_a_heat_release_gate_holds_the_next_portion_while_the_heat_does_not_come(
    tmp_path: Path,
) -> None:
    protocol = mutated(
        tmp_path, "      - MTSR <= 25 °C\n", "      - MTSR <= 25 °C\n      - heat_release >= 40 %\n"
    )
    stall_s = STALL_S
    records = await run_without_a_stirrer_instrument(
        tmp_path, [(stall_s, "stirrer.stop"), (stall_s + STALL_FOR_S, "stirrer.start")], protocol
    )
    restart = stall_s + STALL_FOR_S
    starts = [r.t_s for r in records if r.kind == "portion.start"]
    assert not [t for t in starts if stall_s <= t <= restart]
    in_force = [r for r in records if r.kind == "portion.waiting" and r.t_s <= restart][-1]
    assert "gate heat_release >= 40 %" in in_force.data["for"]
    readings = [r for r in records if r.kind == "reading" and stall_s + 120 < r.t_s < restart]
    released = [r.data["heat_release_pct"] for r in readings if r.data["heat_release_pct"] is not None]
    assert max(released) - min(released) < 1.0  # nothing more reacts in the still mass
    assert all(r.data["MTSR_model_C"] + PORTION_RISE_K <= CAP_C for r in readings)  # the model would dose
    ended = [r for r in records if r.kind == "dose.completed"]
    assert ended
    assert ended[0].data["portions"] == 10
