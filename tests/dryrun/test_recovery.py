"""The chiller brought back by labctl where that is safe: after power returns, after a clearable unit error, and
without a process probe (jacket control). Each scenario as a chemist would meet it on a dry run."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.engine.control import RunState
from labctl.engine.supervisor import OFFLINE_EVERY
from tests.dryrun.conftest import MGBR_STORAGE, DryRun, run_dry
from tests.dryrun.test_control import ChemistWhoAcknowledges
from tests.dryrun.test_outcomes import AcknowledgesAll

STORE_FROM_S = 49 * 60  # the storage hold starts at 48:57 with seed 1
STORAGE_3H = {"storage_time": "100 min"}
DOSING_S = 43.5 * 60


def _chiller_commands(run: DryRun, after_s: float) -> list[str]:
    return [
        r.data["command"] for r in run.of("command") if r.data["device"] == "chiller" and r.t_s >= after_s
    ]


def _tr_after(run: DryRun, t_s: float) -> list[float]:
    return [r.data["Tr_C"] for r in run.of("reading") if r.t_s >= t_s and r.data["Tr_C"] is not None]


@pytest.mark.parametrize("outage_s", [120])  # 10 s: below; 10 and 30 min: benchmarks/bench_power_blips.py
async def test_mgbr_storage_rides_out_a_power_blip_and_the_batch_stays_intact(
    tmp_path: Path, outage_s: float
) -> None:
    """The unit comes back idle with its watchdog cleared: labctl restarts temperature control at the storage
    setpoint in process control, programs the watchdog again, and says so with an alarm."""
    off = STORE_FROM_S + 30 * 60
    run = await run_dry(
        tmp_path,
        MGBR_STORAGE,
        faults=[(off, "chiller.power-off"), (off + outage_s, "chiller.power-on")],
        parameters=STORAGE_3H,
    )
    restarted = run.first("chiller.restarted")
    assert (
        off + outage_s <= restarted.t_s <= off + outage_s + OFFLINE_EVERY + 2
    )  # a dead unit is asked less often
    assert run.first("alarm.raised", id="chiller-restarted").t_s == restarted.t_s
    commands = _chiller_commands(run, restarted.t_s)
    for needed in ("control-mode", "setpoint", "start-temperature-control", "fallback-watchdog"):
        assert needed in commands
    recovered = run.first("chiller.recovered")
    assert (recovered.data["setpoint_C"], recovered.data["control"]) == (-60.0, "process")
    assert run.of("batch.compromised") == []
    assert max(_tr_after(run, off)) <= -45.0
    assert _tr_after(run, restarted.t_s + 30 * 60)[0] <= -58.0  # back near the storage setpoint
    assert run.result.state is RunState.COMPLETED_WITH_DEVIATIONS  # nobody acknowledged the restart


@pytest.mark.long
async def test_a_power_blip_in_storage_acknowledged_by_a_person_ends_completed(tmp_path: Path) -> None:
    off = STORE_FROM_S + 30 * 60
    run = await run_dry(
        tmp_path,
        MGBR_STORAGE,
        faults=[(off, "chiller.power-off"), (off + 10, "chiller.power-on")],
        parameters=STORAGE_3H,
        operator=AcknowledgesAll(),
    )
    assert run.first("alarm.acknowledged", id="chiller-restarted")
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
async def test_a_power_blip_during_dosing_trips_and_the_unit_comes_back_at_full_cooling(
    tmp_path: Path,
) -> None:
    back = DOSING_S + 20
    run = await run_dry(
        tmp_path,
        faults=[(DOSING_S, "chiller.power-off"), (back, "chiller.power-on")],
        operator=ChemistWhoAcknowledges(back + 300),
    )
    trip = run.first("interlock", id="chiller-lost", active=True)
    assert trip.t_s - DOSING_S <= 1.0
    recovered = run.first("chiller.recovered")
    assert back <= recovered.t_s <= back + OFFLINE_EVERY + 2
    assert (recovered.data["setpoint_C"], recovered.data["control"]) == (-10.0, "process")  # still tripped
    resumed = run.first("run.state", to="running", reason="operator resume")
    assert resumed.t_s > recovered.t_s
    assert run.first("setpoint.restored").data["setpoint_C"] == 2.5
    assert run.result.state is RunState.COMPLETED
    assert [r.data["outcome"] for r in run.of("portion.result")].count("done") == 10


@pytest.mark.long
@pytest.mark.parametrize("lost_for_s", [120, 600])
async def test_a_lost_process_probe_keeps_the_jacket_cold_and_no_value_stands_in_for_tr(
    tmp_path: Path, lost_for_s: float
) -> None:
    """The Huber latches −350 and stops in process mode without its probe. labctl switches the unit to internal
    control, clears the error and restarts it: the jacket is cooled all through the outage. Tr stays missing (no
    stand-in), nothing is dosed, and process control returns only once the probe reads and a person has
    acknowledged the jacket-control alarm."""
    plugged = DOSING_S + lost_for_s
    run = await run_dry(
        tmp_path,
        faults=[(DOSING_S, "chiller.probe-unplugged"), (plugged, "chiller.probe-plugged")],
        operator=ChemistWhoAcknowledges(plugged + 120),
    )
    jacket = run.first("chiller.jacket-control")
    assert jacket.t_s - DOSING_S <= 1.0
    clear = run.first("command", command="clear-error")
    assert clear.data["error"] == -350
    outage = [r.data for r in run.readings_between(jacket.t_s + 2, plugged - 1)]
    assert outage
    assert all(d["Tr_C"] is None and d["Tr_state"] == "missing" for d in outage)
    assert all(d["chiller_error"] == 0 for d in outage[5:])  # the unit runs again
    assert max(d["Tj_C"] for d in outage[60:]) < 0.0  # the jacket is kept cold
    assert [r for r in run.of("portion.start") if jacket.t_s < r.t_s < plugged] == []
    back = run.first("chiller.process-control")
    assert back.t_s >= plugged
    modes = [r for r in run.of("command") if r.data["command"] == "control-mode" and r.t_s >= jacket.t_s]
    assert modes[0].data["mode"] == "internal"
    assert next(r for r in modes if r.data["mode"] == "process").t_s == back.t_s
    quench_s, _ = run.step_span("quench")
    assert (
        max(r.data["Tr_C"] for r in run.readings_between(plugged, quench_s) if r.data["Tr_C"] is not None)
        < 10.0
    )
    assert run.result.state is RunState.COMPLETED


@pytest.mark.long
async def test_an_error_the_unit_will_not_clear_is_an_alarm_with_its_code_and_no_endless_retry(
    tmp_path: Path,
) -> None:
    run = await run_dry(
        tmp_path,
        MGBR_STORAGE,
        faults=[(STORE_FROM_S + 30 * 60, "chiller.compressor-failure")],
        parameters=STORAGE_3H,
    )
    attempts = run.of("chiller.recovering")
    assert [r.data["attempt"] for r in attempts] == [1, 2, 3]
    assert attempts[1].t_s - attempts[0].t_s >= 60.0
    refused = run.of("chiller.recovery-refused")
    assert len(refused) == 3
    assert refused[0].data["error"] != 0
    alarm = run.first("alarm.raised", id="chiller-recovery-failed")
    assert f"error {refused[0].data['error']}" in alarm.data["message"]
    assert len(run.of("command")) < 400  # no restart loop
