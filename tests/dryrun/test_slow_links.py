"""A slow link is never read as current (issue 14: with `chiller.link-slow`, readings journalled `ok` were up to
0.6 K off what the probe said, late replies taken for the latest one). Every `ok` Tr in the journal must be what
the unit's probe read at one of the moments it can stand for: its poll, or the two before it (a reading stays
fresh for two poll periods)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.engine.control import RunState
from labctl.journal import Journal, Record
from labctl.sim.faults import FaultSchedule, ScheduledFault
from tests.dryrun.conftest import SCALE_UP
from tests.dryrun.fault_matrix import StandByChemist
from tests.dryrun.wired import WiredRig, wired

PB_STEP_K = 0.01
"""The PB link carries temperatures in hundredths of a kelvin."""
FRESH_S = 2


class ProbeLog:
    """What the unit's probe read at each process second (the value it answers with: lag and noise included)."""

    def __init__(self, bench: WiredRig) -> None:
        self.at: dict[int, float | None] = {}
        sim = bench.sim
        tick, clock, thermostat = sim.tick, bench.clock, sim.world.thermostat

        def logged() -> None:
            tick()
            self.at[round(clock.now())] = thermostat._probe_reading()

        sim.tick = logged  # type: ignore[method-assign]
        self.at[round(clock.now())] = thermostat._probe_reading()

    def could_be(self, record: Record) -> bool:
        t = round(record.t_s)
        candidates = [c for s in range(t - FRESH_S, t + 1) if (c := self.at.get(s)) is not None]
        return any(abs(record.data["Tr_C"] - c) <= PB_STEP_K / 2 + 1e-6 for c in candidates)


async def _run(tmp_path: Path, start_s: float, lasts_s: float) -> tuple[RunState, list[Record], ProbeLog]:
    faults = [(start_s, "chiller.link-slow"), (start_s + lasts_s, "chiller.link-restored")]
    schedule = FaultSchedule(
        faults=[ScheduledFault.model_validate({"at": f"{at} s", "fault": name}) for at, name in faults]
    )
    bench = await wired(SCALE_UP, schedule=schedule)
    probe = ProbeLog(bench)
    journal = Journal(tmp_path / "journal.sqlite")
    try:
        run_id = bench.begin(journal)
        devices = await bench.devices()
        try:
            state = await bench.run(bench.engine(devices, journal, StandByChemist(start_s + lasts_s + 60)))
        finally:
            await devices.close()
        records = list(journal.records(run_id))
    finally:
        journal.close()
        await bench.sim.close()
    return state, records, probe


@pytest.mark.long
@pytest.mark.parametrize(
    ("start_s", "lasts_s"),
    [(43.5 * 60, 300.0)],
    ids=["dosing"],
)
async def test_every_ok_reading_is_what_the_probe_said_when_it_was_asked(
    tmp_path: Path, start_s: float, lasts_s: float
) -> None:
    state, records, probe = await _run(tmp_path, start_s, lasts_s)
    ok = [r for r in records if r.kind == "reading" and r.data["Tr_state"] == "ok"]
    during = [r for r in ok if start_s <= r.t_s <= start_s + lasts_s + 30]
    assert len(ok) > 1000
    wrong = [(r.t_s, r.data["Tr_C"]) for r in ok if not probe.could_be(r)]
    assert wrong == []
    slow = [r for r in records if r.kind == "reading" and start_s + 5 <= r.t_s <= start_s + lasts_s]
    assert any(not r.data["chiller_online"] for r in slow)  # the fault did bite
    assert during  # and readings came through it or right after it
    assert state is RunState.COMPLETED
