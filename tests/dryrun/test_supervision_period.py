"""A step's own supervision period: the MgBr store is polled every 30 s while all is calm, the scale-up's hold
every 5 s once the oxidant left could not trip, and both at the rig's pace (every second) again as soon as
something is wrong."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from tests.dryrun.conftest import MGBR_STORAGE, DryRun, run_dry

STORE_FROM_S = 49 * 60  # the storage hold starts at 48:57 with seed 1


def _gaps(run: DryRun, t0: float, t1: float) -> set[float]:
    times = [r.t_s for r in run.readings_between(t0, t1)]
    return {round(b - a, 6) for a, b in pairwise(times)}


async def test_the_store_is_polled_at_its_own_period_and_the_rest_every_second(tmp_path: Path) -> None:
    run = await run_dry(tmp_path, MGBR_STORAGE, parameters={"storage_time": "20 min"})
    start, end = run.step_span("store")
    assert _gaps(run, 0.0, start) == {1.0}
    assert _gaps(run, start + 1, end) == {30.0}
    released, _ = run.step_span("release")
    assert _gaps(run, released + 1, run.of("run.ended")[-1].t_s) <= {1.0}


async def test_a_lost_chiller_link_in_the_store_brings_back_the_rigs_pace(tmp_path: Path) -> None:
    lost = STORE_FROM_S + 5 * 60
    run = await run_dry(
        tmp_path,
        MGBR_STORAGE,
        faults=[(lost, "chiller.link-silent"), (lost + 90, "chiller.link-restored")],
        parameters={"storage_time": "20 min"},
    )
    raised = run.first("alarm.raised", id="chiller-lost")
    assert lost <= raised.t_s <= lost + 30 + 2  # seen at the next 30 s poll
    assert _gaps(run, raised.t_s, raised.t_s + 60) == {1.0}


HOLD_BOUND_C = 7.5  # the scale-up hold's `only_while: [MTSR <= 7.5 °C]`
ROUNDING = 0.005  # readings journal the MTSR to 0.01 K


def _hold_pace(run: DryRun) -> list[tuple[float, float, float]]:
    """(time, MTSR, gap to the next poll) for each reading of the 2 h hold but its last."""
    hold = [r for r in run.of("reading") if r.step == "stir-cold"]
    return [(a.t_s, a.data["MTSR_C"], round(b.t_s - a.t_s, 6)) for a, b in pairwise(hold)]


@pytest.mark.parametrize("seed", [1, 2, 5])
async def test_the_scale_up_hold_is_polled_every_second_until_the_oxidant_left_could_not_trip(
    tmp_path: Path, seed: int
) -> None:
    run = await run_dry(tmp_path, seed=seed)
    pace = _hold_pace(run)
    assert {gap for _, _, gap in pace} == {1.0, 5.0}
    for _, mtsr, gap in pace:
        if gap == 5.0:
            assert mtsr <= HOLD_BOUND_C + ROUNDING
        else:
            assert mtsr > HOLD_BOUND_C - ROUNDING
    start, _ = run.step_span("stir-cold")
    slow_from = next(t for t, _, gap in pace if gap == 5.0)
    assert pace[0][1] > 15.0  # the hold begins with most of the last portions unreacted
    assert start + 5 * 60 < slow_from < start + 30 * 60
    assert all(gap == 5.0 for t, _, gap in pace if t >= slow_from)
    assert run.of("alarm.raised") == []


@pytest.mark.parametrize(
    ("fault", "alarm"),
    [("stirrer.stop", "stirring-lost"), ("chiller.probe-unplugged", "probe-missing")],
)
async def test_trouble_in_the_slow_part_of_the_hold_brings_back_the_rigs_pace(
    tmp_path: Path, fault: str, alarm: str
) -> None:
    at = 150 * 60  # well inside the hold's slow part with seed 1
    run = await run_dry(tmp_path, faults=[(at, fault)])
    raised = run.first("alarm.raised", id=alarm)
    assert at <= raised.t_s <= at + 2 * 5.0 + 6  # seen within a couple of slow polls
    assert _gaps(run, at - 60, at - 5) == {5.0}
    assert _gaps(run, raised.t_s, raised.t_s + 60) == {1.0}
