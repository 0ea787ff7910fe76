"""Fault dry runs: what the engine does when the simulated rig fails the way real rigs do. Faults are
injected by name at a process time in the middle of the third portion (dosing starts at about 25 min)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.engine.control import RunState
from tests.dryrun.conftest import MGBR_STORAGE, DryRun, run_dry
from tests.dryrun.fault_matrix import StandByChemist

MID_DOSING_S = 43.5 * 60  # dosing starts at 41:15 with seed 1


def _state_changes(run: DryRun) -> list[str]:
    return [r.data["to"] for r in run.of("run.state")]


def _no_portion_after(run: DryRun, t: float) -> None:
    assert [r for r in run.of("portion.start") if r.t_s > t] == []


async def test_a_chiller_failure_during_dosing_trips_before_tr_reaches_10_c(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, faults=[(MID_DOSING_S, "chiller.compressor-failure")])
    trip = run.first("interlock", id="chiller-fault", active=True)
    assert trip.t_s - MID_DOSING_S <= 2.0  # the next poll
    stop = run.first("command", device="doser", command="stop")
    assert stop.t_s == trip.t_s  # the same cycle, before any step moves
    assert max(r.data["Tr_C"] for r in run.readings_between(MID_DOSING_S, stop.t_s)) < 10.0
    cooling = run.first("command", device="chiller", command="setpoint", setpoint_C=-10.0)
    assert cooling.t_s == trip.t_s
    _no_portion_after(run, trip.t_s)
    # held: tripped, waiting for a person who never comes in a dry run; never resumed by itself
    assert _state_changes(run)[-2:] == ["tripped", "halted"]
    assert run.result.state is RunState.HALTED
    stopped = [d for d in run.result.ledgers["doser"] if d["outcome"] == "I 8"]
    assert len(stopped) == 1  # the portion in flight was stopped by the host
    journal_g = sum(r.data["dispensed_g"] for r in run.of("portion.result"))
    assert journal_g == pytest.approx(sum(d["dispensed_g"] for d in run.result.ledgers["doser"]), abs=1e-3)


async def test_an_unplugged_probe_trips_and_is_never_replaced_by_the_jacket(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, faults=[(MID_DOSING_S, "chiller.probe-unplugged")])
    trip = run.first("interlock", id="probe-missing", active=True)
    assert trip.t_s - MID_DOSING_S <= 2.0
    assert run.first("command", device="doser", command="stop").t_s == trip.t_s
    after = [r.data for r in run.readings_between(trip.t_s, float("inf"))]
    assert after
    assert all(d["Tr_C"] is None and d["Tr_state"] == "missing" for d in after)
    assert all(isinstance(d["Tj_C"], float) for d in after)  # the jacket is read, and not used as Tr
    _no_portion_after(run, trip.t_s)
    assert run.result.state is RunState.HALTED
    assert "tripped" in _state_changes(run)


@pytest.mark.long
async def test_a_powder_flow_error_pauses_for_the_operator_with_the_real_mass_recorded(
    tmp_path: Path,
) -> None:
    run = await run_dry(tmp_path, faults=[(MID_DOSING_S, "doser.powder-flow-error")])
    failed = run.first("portion.result", outcome="failed")
    assert failed.data["code"] == 7
    ledger = run.result.ledgers["doser"]
    assert ledger[-1]["outcome"] == "I 7"
    assert failed.data["dispensed_g"] == pytest.approx(ledger[-1]["dispensed_g"], abs=1e-3)
    assert failed.data["dispensed_g"] < failed.data["target_g"]
    alarm = run.first("alarm.raised", id="doser-error")
    assert alarm.data["message"].startswith(f"portion {failed.data['portion']}: ")
    assert _state_changes(run)[-2:] == ["paused", "halted"]
    _no_portion_after(run, failed.t_s)  # never retried blindly
    journal_g = sum(r.data["dispensed_g"] for r in run.of("portion.result"))
    assert journal_g == pytest.approx(sum(d["dispensed_g"] for d in ledger), abs=1e-3)


@pytest.mark.long
async def test_mgbr_storage_losing_its_cooling_raises_the_alarms_in_order(tmp_path: Path) -> None:
    run = await run_dry(
        tmp_path,
        MGBR_STORAGE,
        faults=[(90 * 60, "chiller.circulation-stop")],
        parameters={"storage_time": "3 h"},
    )
    raised = [(r.data["id"], r.data["level"]) for r in run.of("alarm.raised")]
    assert raised == [
        ("chiller-fault", "alarm"),
        ("chiller-recovery-failed", "alarm"),  # the unit will not clear its circulation error
        ("storage-warm", "warning"),
        ("storage-alarm", "alarm"),
        ("store-excursion", "alarm"),  # the hold step's own band [-70, -45] °C
        ("batch-lost", "compromised"),
    ]
    assert run.of("batch.compromised") != []
    assert run.first("run.ended").data["compromised"] is True
    # the decay estimate: nothing lost while cold, most of it once the batch warmed past -40 °C
    assert all(r.data["mgbr_lost_pct"] == 0.0 for r in run.readings_between(0, 90 * 60))
    assert run.of("reading")[-1].data["mgbr_lost_pct"] > 50.0


async def test_a_rig_faulted_from_the_start_trips_at_the_first_poll_and_never_runs(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, faults=[(0.0, "chiller.compressor-failure")])
    assert _state_changes(run) == ["tripped", "halted"]
    assert run.first("interlock", id="chiller-fault", active=True).t_s == 0.0
    assert run.of("step.completed") == []
    assert run.of("prompt.opened") == []  # not even the charge was asked for


@pytest.mark.long
async def test_a_chiller_losing_its_power_trips_as_lost_and_nothing_stands_in_for_tr(tmp_path: Path) -> None:
    power_back = MID_DOSING_S + 12
    run = await run_dry(
        tmp_path, faults=[(MID_DOSING_S, "chiller.power-off"), (power_back, "chiller.power-on")]
    )
    trip = run.first("interlock", id="chiller-lost", active=True)
    assert trip.t_s - MID_DOSING_S <= 1.0
    assert run.first("command", device="doser", command="stop").t_s == trip.t_s
    assert run.first("alarm.raised", id="safe-setpoint-failed")  # full cooling asked of a dead unit: said so
    outage = run.readings_between(trip.t_s, power_back - 1)
    assert outage
    assert all(r.data["chiller_online"] is False for r in outage)
    assert all(r.data["Tr_C"] is None for r in outage[2:])  # stale after two poll periods, never a stand-in
    _no_portion_after(run, trip.t_s)
    assert run.result.state is RunState.HALTED
    assert "tripped" in _state_changes(run)


@pytest.mark.long
async def test_a_silent_doser_link_is_seen_by_the_balance_poll_and_holds_the_next_portion(
    tmp_path: Path,
) -> None:
    """The link goes silent between portions 1 and 2 and comes back a minute later: the balance poll marks
    the doser offline, portion 2 waits for it and is dosed once the link answers again."""
    silent, back = 41.5 * 60 + 45, 41.5 * 60 + 105
    run = await run_dry(tmp_path, faults=[(silent, "doser.link-silent"), (back, "doser.link-restored")])
    readings = run.of("reading")
    offline = [r.t_s for r in readings if r.data["doser_online"] is False]
    assert offline
    assert silent <= offline[0] <= silent + 10  # within one balance poll
    assert offline[-1] <= back + 10
    waits = [r for r in run.of("portion.waiting") if "doser offline" in r.data["for"]]
    assert waits
    assert {w.data["portion"] for w in waits} == {2}
    second = run.first("portion.start", portion=2)
    assert second.t_s > offline[-1]
    assert run.first("portion.result", portion=2).data["outcome"] == "done"
    assert [d["outcome"] for d in run.result.ledgers["doser"]][:2] == ["complete", "complete"]
    weights = [r.data["balance_g"] for r in readings if r.data["balance_g"] is not None]
    assert weights
    assert all(w > 0 for w in weights)  # the funnel on the pan, read between doses


@pytest.mark.long
async def test_a_start_the_doser_refuses_is_not_credited_with_the_last_portions_mass(tmp_path: Path) -> None:
    """Door opened between portions: `QRA 61 1 I 5` opens no dose record, so the doser's last result is still
    portion 1's. The engine sees another sample id, records that nothing was dispensed, and asks a person."""
    run = await run_dry(tmp_path, faults=[(41.5 * 60 + 45, "doser.door-open")])
    refused = run.first("portion.not-started", portion=2)
    assert refused.data["doser_last_sample_id"] != refused.data["sample_id"]
    assert [r.data["portion"] for r in run.of("portion.result")] == [1]
    alarm = run.first("alarm.raised", id="doser-error")
    assert "portion 2" in alarm.data["message"]
    assert "dispensed 0.0 g" in alarm.data["message"]
    assert _state_changes(run)[-2:] == ["paused", "halted"]
    journal_g = sum(r.data["dispensed_g"] for r in run.of("portion.result"))
    assert journal_g == pytest.approx(sum(d["dispensed_g"] for d in run.result.ledgers["doser"]), abs=1e-3)
    assert len(run.result.ledgers["doser"]) == 1


@pytest.mark.long
@pytest.mark.parametrize("cut_s", [MID_DOSING_S])  # portion 2 dispensing
async def test_a_dose_the_doser_could_not_account_for_is_asked_again_after_the_resume_and_never_resent(
    tmp_path: Path, cut_s: float
) -> None:
    """The link drops mid-dose and the reopened doser is still busy (`QRD 2 4 12 I`): the portion's result is
    unknown, the run pauses. Once a person resumes, labctl asks the doser again and records what its own
    record says, instead of waiting for ever on "last result unknown"."""
    run = await run_dry(
        tmp_path, faults=[(cut_s, "doser.link-disconnect")], operator=StandByChemist(cut_s + 60)
    )
    unknown = run.first("alarm.raised", id="doser-result-unknown")
    assert cut_s <= unknown.t_s <= cut_s + 10
    resumed = run.first("run.state", to="running", reason="operator resume")
    late = next(r for r in run.of("portion.result") if r.data["outcome"] == "reconciled")
    assert resumed.t_s <= late.t_s <= resumed.t_s + 15
    doses = run.result.ledgers["doser"]
    assert late.data["dispensed_g"] == pytest.approx(doses[late.data["portion"] - 1]["dispensed_g"], abs=1e-4)
    assert len(doses) == 10  # the start whose outcome was lost was never sent again
    assert len(run.of("portion.start")) == 10
    assert sum(d["dispensed_g"] for d in doses) == pytest.approx(
        run.first("dose.completed").data["dispensed_g"]
    )
    assert run.result.state is RunState.COMPLETED
