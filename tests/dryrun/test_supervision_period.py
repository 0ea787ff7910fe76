"""A step's own supervision period: the MgBr store is polled every 30 s while all is calm, and at the rig's pace
(every second) again as soon as something is wrong."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

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
