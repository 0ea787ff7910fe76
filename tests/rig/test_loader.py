"""Rig files load with the same located errors as protocols."""

from pathlib import Path

import pytest

from labctl.errors import InputFileError
from labctl.rig import load_rig

RIGS = Path(__file__).parent.parent.parent / "rigs"


def test_sim_rig_declares_every_role_and_the_chiller_range() -> None:
    rig = load_rig(RIGS / "sim.yaml").rig
    assert rig.rig == "sim"
    assert rig.instruments.roles() == {"chiller", "doser", "balance", "quench_pump", "stirrer"}
    chiller = rig.chiller()
    assert chiller is not None
    assert chiller.temperature_range == (-75.0, 250.0)
    assert chiller.process_control is True


def test_broken_rig_is_located(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rig: r\ninstruments:\n  chiller:\n    driver: huber-pb\n    capabilities:\n"
        "      temperature_range: [-40, 200 °C]\n"
    )
    with pytest.raises(InputFileError) as caught:
        load_rig(path)
    (problem,) = caught.value.problems
    assert (problem.location.line, problem.location.column) == (6, 27)
    assert "bare number" in problem.message


def test_range_must_be_ordered(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "rig: r\ninstruments:\n  chiller:\n    driver: huber-pb\n    capabilities:\n"
        "      temperature_range: [200 °C, -40 °C]\n"
    )
    with pytest.raises(InputFileError, match="lowest temperature must come first"):
        load_rig(path)


def test_bench_rig_names_real_serial_ports() -> None:
    rig = load_rig(RIGS / "bench.yaml").rig
    assert rig.rig == "bench"
    chiller = rig.instruments.chiller
    assert chiller is not None
    assert chiller.port == "/dev/ttyUSB0"
    assert {i.port for i in (rig.instruments.doser, rig.instruments.balance) if i is not None} == {
        "/dev/ttyUSB1"
    }
