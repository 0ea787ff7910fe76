"""Rate laws against the spec's anchor points."""

from __future__ import annotations

import math

import pytest

from simulators.world import WorldConfig
from simulators.world.chemistry import dissolution_rate_s, mgbr_decay_rate_s

CFG = WorldConfig()


def test_dissolution_time_constant_is_10_min_at_0_c() -> None:
    assert 1.0 / dissolution_rate_s(0.0, CFG, stirred=True) == pytest.approx(600.0)


def test_dissolution_speeds_up_with_ea_30_kj_mol() -> None:
    ratio = dissolution_rate_s(25.0, CFG, stirred=True) / dissolution_rate_s(0.0, CFG, stirred=True)
    assert ratio == pytest.approx(math.exp(30e3 / 8.314 * (1 / 273.15 - 1 / 298.15)), rel=1e-9)
    assert ratio == pytest.approx(3.03, abs=0.02)


def test_no_dissolution_without_stirring() -> None:
    assert dissolution_rate_s(20.0, CFG, stirred=False) == 0.0


def test_mgbr_half_life_is_4_h_at_minus_40_c() -> None:
    assert math.log(2) / mgbr_decay_rate_s(-40.0, CFG) == pytest.approx(4 * 3600.0)


def test_mgbr_is_lost_in_minutes_at_minus_20_and_seconds_at_0_c() -> None:
    assert 60 < math.log(2) / mgbr_decay_rate_s(-20.0, CFG) < 20 * 60
    assert math.log(2) / mgbr_decay_rate_s(0.0, CFG) < 60


def test_mgbr_is_practically_stable_below_minus_45_c() -> None:
    three_days = 3 * 86400
    assert mgbr_decay_rate_s(-50.0, CFG) * three_days < 1e-3
    assert mgbr_decay_rate_s(-78.0, CFG) * three_days < 1e-9
