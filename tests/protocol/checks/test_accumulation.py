"""The accumulation model behind ACCUMULATION-MTSR, against the figures of process-model §1."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labctl.protocol.checks.accumulation import gated_release_times, peak_unreacted

PORTION_MOL = 4.75 / 158.03
TAU_S = 600.0


def test_ten_portions_in_ten_minutes_leave_40_to_80_percent_unreacted() -> None:
    peak = peak_unreacted(PORTION_MOL, 10, 60.0, TAU_S)
    fraction = peak / (10 * PORTION_MOL)
    assert 0.40 <= fraction <= 0.80
    assert fraction == pytest.approx((1 - math.exp(-1)) / (1 - math.exp(-0.1)) / 10, rel=1e-9)


def test_all_at_once_leaves_everything_unreacted() -> None:
    assert peak_unreacted(10 * PORTION_MOL, 1, 60.0, TAU_S) == pytest.approx(10 * PORTION_MOL)


def test_gate_at_25_c_stretches_the_scaleup_to_about_half_an_hour() -> None:
    cap = (25.0 - 5.0) * 1.01 / 225.0
    times = gated_release_times(PORTION_MOL, 10, 60.0, TAU_S, cap)
    assert times is not None
    assert times[:3] == [0.0, 60.0, 120.0]
    assert 25 * 60 < times[-1] < 35 * 60


def test_a_portion_larger_than_the_cap_never_fits() -> None:
    assert gated_release_times(0.1, 3, 60.0, TAU_S, 0.05) is None
    assert gated_release_times(0.05, 3, 60.0, TAU_S, 0.05) is None


@given(
    portion=st.floats(0.001, 0.05),
    count=st.integers(1, 30),
    interval=st.floats(1.0, 600.0),
    headroom=st.floats(1.01, 20.0),
)
def test_gated_schedule_never_exceeds_the_cap(
    portion: float, count: int, interval: float, headroom: float
) -> None:
    cap = portion * headroom
    times = gated_release_times(portion, count, interval, TAU_S, cap)
    assert times is not None
    assert len(times) == count
    unreacted = 0.0
    last = 0.0
    for t in times:
        assert t - last >= interval - 1e-9 or t == 0.0
        unreacted = unreacted * math.exp(-(t - last) / TAU_S) + portion
        assert unreacted <= cap * (1 + 1e-9)
        last = t
