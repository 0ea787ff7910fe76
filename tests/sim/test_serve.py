"""`labctl sim serve` as its own process: endpoints written as a rig file, drivers talking to it over TCP, the
fault schedule applied on process time, and the ledgers readable from the command line."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.huber_pb import HuberPB
from devices.reglo import RegloICC
from labctl.rig import load_rig
from labctl.sim.serve import rig_yaml
from simulators.rig import Endpoints

LABCTL = Path(sys.executable).parent / "labctl"


def labctl(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LABCTL), *map(str, args)], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Path]:
    """A rig served at 20x wall time whose compressor fails after 40 s of process time."""
    (tmp_path / "faults.yaml").write_text("faults:\n  - at: 40 s\n    fault: chiller.compressor-failure\n")
    process = subprocess.Popen(
        [str(LABCTL), "sim", "serve", "--port-base", "0", "--speed", "20", "--faults", "faults.yaml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    rig_file = tmp_path / ".labctl" / "sim-rig.yaml"
    deadline = time.monotonic() + 30
    while not rig_file.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "sim serve did not come up"
        time.sleep(0.05)
    try:
        yield tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_a_controller_connects_by_the_written_rig_file_and_sees_the_scheduled_fault(
    served: Path,
) -> None:
    rig = load_rig(served / ".labctl" / "sim-rig.yaml").rig
    chiller_port = rig.instruments.chiller.port if rig.instruments.chiller else None
    pump_port = rig.instruments.quench_pump.port if rig.instruments.quench_pump else None
    assert chiller_port is not None
    assert pump_port is not None
    chiller = await HuberPB.open(chiller_port)
    pump = await RegloICC.open(pump_port)
    try:
        internal = await chiller.internal_temperature()
        assert internal.value is not None
        assert 15.0 < internal.value < 25.0  # a unit standing in a 20 °C lab
        assert (await chiller.faults()).error == 0
        await chiller.start_circulation()
        await chiller.start_temperature_control()
        assert await pump.is_running() is False
        await asyncio.sleep(2.5)  # 50 s of process time at 20x
        assert (await chiller.faults()).error == -331  # the compressor failed on schedule
    finally:
        await chiller.close()
        await pump.close()
    ledger = json.loads((served / ".labctl" / "sim-ledger.json").read_text())
    assert ledger == {"doser": [], "pump": []}
    shown = labctl("sim", "ledger", cwd=served)
    assert shown.returncode == 0
    assert shown.stdout.strip().splitlines()[-1] == "0 dose(s), 0.000 g dispensed; 0 pump run(s)"


def test_faults_lists_the_names_a_schedule_may_use(tmp_path: Path) -> None:
    result = labctl("sim", "faults", cwd=tmp_path)
    names = result.stdout.split()
    assert result.returncode == 0
    for name in (
        "chiller.compressor-failure",
        "chiller.probe-unplugged",
        "doser.powder-flow-error",
        "pump.occlusion",
    ):
        assert name in names


def test_a_broken_fault_schedule_is_one_located_message(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("faults:\n  - at: 5 min\n    fault: chiller.compresor-failure\n")
    result = labctl("sim", "serve", "--faults", "f.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("f.yaml:3:12: error[VALUE-CHOICE] faults[0].fault: unknown fault ")
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / ".labctl").exists()  # nothing was served


def test_the_shipped_sim_rig_file_matches_what_sim_serve_writes_on_its_default_ports(tmp_path: Path) -> None:
    written = tmp_path / "served.yaml"
    written.write_text(
        rig_yaml(Endpoints("127.0.0.1", 8101, 8102, 8103, 8104, 8105), speed=1.0), encoding="utf-8"
    )
    shipped = load_rig(Path(__file__).parents[2] / "rigs" / "sim.yaml").rig
    served = load_rig(written).rig
    assert served.instruments == shipped.instruments
