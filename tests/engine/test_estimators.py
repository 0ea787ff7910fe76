"""The run's chemistry estimates, fed snapshot by snapshot as the cycle feeds them."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from labctl.calorimetry.calibration import Calibration
from labctl.engine.estimators import MGBR_ALARM, Estimators
from labctl.engine.resume import HeatBalanceResume
from labctl.protocol.loader import load_protocol
from labctl.protocol.model import Protocol
from tests.engine.snapshots import snap

PROTOCOLS = Path(__file__).parents[2] / "protocols"
STORE = 3
"""The MgBr storage protocol's `store` step: the MgBr is in the vessel."""


def protocol(name: str) -> Protocol:
    return load_protocol(PROTOCOLS / name).protocol


def test_an_mgbr_protocol_has_the_decay_estimate_and_no_mtsr() -> None:
    estimators = Estimators(protocol("mgbr-cold-storage.yaml"))
    assert estimators.oxidant is None
    assert estimators.mgbr is not None
    assert estimators.reading_fields() == {"mgbr_lost_pct": 0.0}


def test_mgbr_kept_below_minus_45_loses_nothing_and_compromises_nothing() -> None:
    estimators = Estimators(protocol("mgbr-cold-storage.yaml"))
    for hour in range(5):
        assert estimators.observe(snap(-50.0, at=3600.0 * hour), STORE) is None
    assert estimators.reading_fields() == {"mgbr_lost_pct": 0.0}


def test_mgbr_lost_past_ten_percent_says_the_batch_is_compromised_each_cycle_it_stays_so() -> None:
    estimators = Estimators(protocol("mgbr-cold-storage.yaml"))
    assert estimators.observe(snap(-30.0, at=0.0), STORE) is None
    assert estimators.observe(snap(-30.0, at=60.0), STORE) is None
    lost_pct = estimators.reading_fields()["mgbr_lost_pct"]
    assert 0.0 < lost_pct < 10.0
    compromise = estimators.observe(snap(-30.0, at=4 * 3600.0), STORE)
    assert compromise is not None
    assert estimators.mgbr is not None
    lost = 100 * estimators.mgbr.lost
    assert lost > 10.0
    assert compromise.alarm_id == MGBR_ALARM
    assert compromise.message == f"the decay model puts the MgBr lost at {lost:.0f} % (over 10 %)"
    assert compromise.facts == {"cause": "mgbr-decay", "lost_pct": round(lost, 2)}
    assert estimators.reading_fields() == {"mgbr_lost_pct": round(lost, 3)}
    assert estimators.observe(snap(-50.0, at=5 * 3600.0), STORE) is not None


def test_an_oxidant_protocol_counts_what_is_unreacted_until_a_step_consumes_it() -> None:
    kmno4 = protocol("kmno4-dihydroxylation-5mmol.yaml")
    estimators = Estimators(kmno4)
    assert estimators.mgbr is None
    assert estimators.oxidant is not None
    assert estimators.observe(snap(2.0), 0) is None
    estimators.oxidant.add(0.002)
    assert estimators.reading_fields() == {"unreacted_mol": 0.002, **NO_BALANCE}
    by_id = {step.id: step for step in kmno4.steps}
    estimators.step_completed(by_id["stir-cold"])
    assert estimators.reading_fields() == {"unreacted_mol": 0.002, **NO_BALANCE}
    estimators.step_completed(by_id["quench"])  # consumes: [kmno4]
    assert estimators.reading_fields() == {"unreacted_mol": 0.0, **NO_BALANCE}


def test_a_restart_restores_what_the_journal_last_said_was_unreacted() -> None:
    estimators = Estimators(protocol("kmno4-dihydroxylation-5mmol.yaml"))
    estimators.restore(0.0042, HeatBalanceResume(), 0)
    assert estimators.oxidant is not None
    assert estimators.oxidant.unreacted_mol == pytest.approx(0.0042)
    assert estimators.calorimeter is not None
    assert not estimators.calorimeter.decided  # nothing journalled: the dose step will calibrate or ask
    without = Estimators(protocol("mgbr-cold-storage.yaml"))
    without.restore(0.0042, HeatBalanceResume(), 0)  # nothing to restore into
    assert without.oxidant is None


NO_BALANCE = {"q_W": None, "heat_released_kJ": None, "unreacted_fit_mol": None, "tau_fit_min": None}
"""An oxidant protocol's heat-balance columns before it has figures: present and empty (telemetry empties)."""

FIT = asdict(Calibration(0.0042, -0.0003, 0.006, 12.0, 1010.0, 2e-5, 0.001, 0.05, 360, 1800.0, 7.6))


def test_a_restart_goes_on_with_the_journalled_calibration_the_portions_and_the_heat_seen() -> None:
    kmno4 = protocol("kmno4-dihydroxylation-scaleup.yaml")
    estimators = Estimators(kmno4)
    heat = HeatBalanceResume(
        calibration=FIT,
        portions={("kmno4-addition", 1): (2475.0, 4.75), ("kmno4-addition", 2): (2595.0, 4.70)},
        released_kj=2.02,
    )
    estimators.restore(0.05, heat, 4)
    calorimeter = estimators.calorimeter
    assert calorimeter is not None
    assert calorimeter.decided
    assert calorimeter.calibration is not None
    assert calorimeter.calibration.lag_s == 12.0
    rise = calorimeter.rise_k(1.0)  # the heat seen (2.0 K) is no more than the dosed owe: the estimate stands
    assert rise == pytest.approx(225e3 * 0.0042 / 6.0)
    owed = rise * (4.75 + 4.70) / 158.03
    measured = calorimeter.observe(snap(2.0, at=2700.0)).mtsr_c
    assert measured == pytest.approx(2.0 + owed - 2.0, abs=0.01)  # Tr + owed − released (2.02 kJ / 1.01 kJ/K)


def test_a_restart_after_the_quench_began_measures_nothing_more() -> None:
    kmno4 = protocol("kmno4-dihydroxylation-scaleup.yaml")
    estimators = Estimators(kmno4)
    quench = next(i for i, step in enumerate(kmno4.steps) if step.id == "quench")
    estimators.restore(0.0, HeatBalanceResume(calibration=FIT), quench + 1)
    assert estimators.calorimeter is not None
    assert estimators.calorimeter.closed


def test_a_waiver_before_the_restart_is_not_asked_again() -> None:
    estimators = Estimators(protocol("kmno4-dihydroxylation-scaleup.yaml"))
    estimators.restore(0.0, HeatBalanceResume(waived_by="ana"), 4)
    assert estimators.calorimeter is not None
    assert estimators.calorimeter.decided
    assert estimators.calorimeter.waived_by == "ana"
