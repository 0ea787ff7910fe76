"""The disk fills mid-run: the journal refuses its next record, and the run ends with the rig safe (the dose
stopped, full cooling) although those commands could not be journalled first; one clear error says what was
sent, and `labctl verify` calls the journal ended by a write failure, not tampered with.

The disk is made full with real SQLite: `PRAGMA max_page_count` capped at the pages the writer's file has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.engine import Engine
from labctl.engine.errors import JournalLost
from labctl.journal import Journal
from tests.dryrun.conftest import SCALE_UP
from tests.dryrun.wired import WiredRig, wired

LABCTL = Path(sys.executable).parent / "labctl"
FULL_COOLING_C = -10.0  # the scale-up's chiller range starts there
DURING_PORTION_2_S = 43.5 * 60
BETWEEN_PORTIONS_S = 45.1 * 60
DURING_THE_HOLD_S = 90 * 60


class DiskFillsAt:
    def __init__(self, at_s: float) -> None:
        self.prompts = SimulatedOperator()
        self.at_s = at_s
        self.filled_at: float | None = None

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        if self.filled_at is None and eng.now() >= self.at_s:
            db = eng.journal._db  # the writer's own connection: the cap is per connection
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {pages}")
            self.filled_at = eng.now()


async def _fill_disk(tmp_path: Path, at_s: float) -> tuple[WiredRig, JournalLost, DiskFillsAt, str]:
    bench = await wired(SCALE_UP)
    journal = Journal(tmp_path / "journal.sqlite")
    run_id = bench.begin(journal)
    devices = await bench.devices()
    disk = DiskFillsAt(at_s)
    try:
        with pytest.raises(JournalLost) as lost:
            await bench.run(bench.engine(devices, journal, disk))
    finally:
        await devices.close()
        journal.close()
    return bench, lost.value, disk, run_id


def _verify(run_id: str, journal: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LABCTL), "verify", run_id, "--journal", str(journal)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("at_s", [DURING_THE_HOLD_S])  # mid-dose: the test below
async def test_a_full_disk_ends_the_run_with_the_rig_safe_and_says_so(tmp_path: Path, at_s: float) -> None:
    bench, lost, disk, run_id = await _fill_disk(tmp_path, at_s)
    try:
        assert disk.filled_at is not None
        thermostat = bench.sim.world.thermostat
        assert thermostat.setpoint_c == FULL_COOLING_C  # sent although it could not be journalled
        assert any(s.startswith("chiller setpoint") and "-10.0" in s for s in lost.sent)
        doses = bench.sim.ledgers()["doser"]
        assert all(d["ended_at_s"] is not None for d in doses)  # nothing left dispensing
        assert not [d for d in doses if d["started_at_s"] > disk.filled_at]
        message = str(lost)
        assert "cannot be written" in message
        assert "SQLITE_FULL" in message
        assert "labctl resume" in message
    finally:
        await bench.sim.close()
    verify = _verify(run_id, tmp_path / "journal.sqlite")
    assert verify.returncode == 1
    assert "ended by a write failure" in verify.stdout
    assert "altered" not in verify.stdout
    assert "Traceback" not in verify.stdout + verify.stderr


@pytest.mark.long
async def test_a_dose_dispensing_when_the_disk_fills_is_stopped_not_let_finish(tmp_path: Path) -> None:
    bench, lost, disk, _ = await _fill_disk(tmp_path, DURING_PORTION_2_S)
    try:
        assert disk.filled_at is not None
        assert "doser stop" in " ".join(lost.sent)
        dispensing = [d for d in bench.sim.ledgers()["doser"] if d["started_at_s"] < disk.filled_at]
        assert dispensing[-1]["outcome"] == "I 8"  # stopped by the host, not left to finish
    finally:
        await bench.sim.close()
