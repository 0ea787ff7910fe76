from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from labctl.engine.accumulation import OxidantModel
from labctl.engine.estimators import oxidant_model
from labctl.protocol.loader import parse_protocol
from labctl.protocol.model import Protocol


def model(**kw: float) -> OxidantModel:
    return OxidantModel(heat_capacity_j_k=kw.pop("heat_capacity_j_k", 1000.0), **kw)


def test_added_moles_accumulate() -> None:
    m = model()
    m.add(0.01)
    m.add(0.02)
    assert m.unreacted_mol == pytest.approx(0.03)


def test_first_advance_only_starts_the_clock() -> None:
    m = model()
    m.add(0.01)
    m.advance(1000.0, 0.0)
    assert m.unreacted_mol == pytest.approx(0.01)


def test_decays_by_one_over_e_after_tau_at_0_c() -> None:
    m = model(tau_0c_s=600.0)
    m.add(0.01)
    m.advance(0.0, 0.0)
    m.advance(600.0, 0.0)
    assert m.unreacted_mol == pytest.approx(0.01 / math.e)


def test_decay_is_first_order_regardless_of_step_size() -> None:
    one, many = model(), model()
    for m in (one, many):
        m.add(0.01)
        m.advance(0.0, 0.0)
    one.advance(300.0, 0.0)
    for t in range(10, 301, 10):
        many.advance(float(t), 0.0)
    assert many.unreacted_mol == pytest.approx(one.unreacted_mol)
    assert one.unreacted_mol == pytest.approx(0.01 * math.exp(-0.5))


def test_warmer_reacts_faster_by_the_arrhenius_factor() -> None:
    cold, warm = model(), model()
    for m, tr in ((cold, 0.0), (warm, 10.0)):
        m.add(0.01)
        m.advance(0.0, tr)
        m.advance(60.0, tr)
    assert warm.unreacted_mol < cold.unreacted_mol
    k_cold = -math.log(cold.unreacted_mol / 0.01) / 60.0
    k_warm = -math.log(warm.unreacted_mol / 0.01) / 60.0
    # exp(-Ea/R·(1/283.15 − 1/273.15)) with Ea = 30 kJ/mol
    assert k_warm / k_cold == pytest.approx(1.5945, rel=1e-3)


def test_colder_reacts_slower() -> None:
    m = model()
    m.add(0.01)
    m.advance(0.0, -10.0)
    m.advance(600.0, -10.0)
    assert m.unreacted_mol > 0.01 / math.e


def test_no_decay_while_tr_is_unknown() -> None:
    m = model()
    m.add(0.01)
    m.advance(0.0, 0.0)
    m.advance(600.0, None)
    assert m.unreacted_mol == pytest.approx(0.01)


def test_time_with_unknown_tr_is_not_counted_afterwards() -> None:
    m = model(tau_0c_s=600.0)
    m.add(0.01)
    m.advance(0.0, 0.0)
    m.advance(6000.0, None)
    m.advance(6600.0, 0.0)
    assert m.unreacted_mol == pytest.approx(0.01 / math.e)


def test_mtsr_is_tr_plus_adiabatic_rise_of_the_unreacted_oxidant() -> None:
    m = model(heat_capacity_j_k=1000.0, enthalpy_j_mol=-225e3)
    m.add(0.02)
    assert m.mtsr(3.0) == pytest.approx(3.0 + 0.02 * 225e3 / 1000.0)  # 7.5 K rise


def test_mtsr_uses_the_magnitude_of_the_enthalpy() -> None:
    m = model(heat_capacity_j_k=1000.0, enthalpy_j_mol=225e3)
    m.add(0.02)
    assert m.mtsr(3.0) == pytest.approx(7.5)


def test_mtsr_with_nothing_unreacted_is_tr() -> None:
    assert model().mtsr(4.0) == pytest.approx(4.0)


def test_mtsr_is_unknown_while_tr_is_unknown() -> None:
    m = model()
    m.add(0.02)
    assert m.mtsr(None) is None


def test_consumed_zeroes_the_unreacted_oxidant() -> None:
    m = model()
    m.add(0.02)
    m.consumed()
    assert m.unreacted_mol == 0.0
    assert m.mtsr(5.0) == pytest.approx(5.0)


PROTOCOLS = Path(__file__).parents[2] / "protocols"


def _declaring(name: str, heat_capacity: str) -> Protocol:
    text = (PROTOCOLS / name).read_text(encoding="utf-8")
    edited = re.sub(r"(?m)^  heat_capacity: [0-9.]+ kJ/K", f"  heat_capacity: {heat_capacity}", text)
    assert f"  heat_capacity: {heat_capacity}" in edited
    return parse_protocol(edited, name).protocol


@pytest.mark.parametrize(
    ("name", "declared", "used_j_k"),
    [
        ("kmno4-dihydroxylation-scaleup.yaml", "1.01 kJ/K", 1010.0),  # as shipped: the declared figure
        ("kmno4-dihydroxylation-scaleup.yaml", "1.6 kJ/K", 1311.0),  # too big: the charge and glass
        ("kmno4-dihydroxylation-scaleup.yaml", "10.1 kJ/K", 1311.0),
        ("kmno4-dihydroxylation-5mmol.yaml", "0.03 kJ/K", 30.0),
        ("kmno4-dihydroxylation-5mmol.yaml", "0.08 kJ/K", 67.6),
    ],
)
def test_the_runs_mtsr_uses_the_safer_heat_capacity(name: str, declared: str, used_j_k: float) -> None:
    model = oxidant_model(_declaring(name, declared))
    assert model is not None
    assert model.heat_capacity_j_k == pytest.approx(used_j_k, rel=0.01)
