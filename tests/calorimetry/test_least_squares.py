"""The small least-squares fit the calibration stands on, against data whose answer is known."""

from __future__ import annotations

import random

import pytest

from labctl.calorimetry.least_squares import SingularFit, fit, slope


def test_an_exact_linear_relation_is_recovered_with_no_residual() -> None:
    rows = [(x, x * x % 7, 1.0) for x in range(-10, 11)]
    ys = [2.5 * a - 0.75 * b + 4.0 for a, b, _ in rows]
    result = fit(rows, ys)
    assert result.coefficients == pytest.approx((2.5, -0.75, 4.0), abs=1e-9)
    assert result.rms == pytest.approx(0.0, abs=1e-9)
    assert all(e == pytest.approx(0.0, abs=1e-6) for e in result.standard_errors)


def test_noise_gives_standard_errors_that_cover_the_truth() -> None:
    rng = random.Random(4)
    rows = [(rng.uniform(-20, 5), rng.uniform(-2, 20), 1.0) for _ in range(2000)]
    ys = [0.0044 * a - 0.0003 * b + 0.006 + rng.gauss(0, 0.001) for a, b, _ in rows]
    result = fit(rows, ys)
    for coef, err, truth in zip(
        result.coefficients, result.standard_errors, (0.0044, -0.0003, 0.006), strict=True
    ):
        assert abs(coef - truth) < 4 * err
        assert err > 0
    assert result.rms == pytest.approx(0.001, rel=0.1)


@pytest.mark.parametrize(
    "rows",
    [
        [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)],  # the second column is twice the first
        [(1.0, 1.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)],  # nothing varies
        [(1.0, 0.0), (2.0, 0.0)],  # no more rows than unknowns
        [(5.0, 0.0), (6.0, 0.0), (7.0, 0.0)],  # a column of zeros
    ],
)
def test_regressors_that_cannot_be_told_apart_are_refused(rows: list[tuple[float, float]]) -> None:
    with pytest.raises(SingularFit):
        fit(rows, [1.0] * len(rows))


def test_the_slope_of_a_line_and_of_no_time_span() -> None:
    assert slope([0.0, 1.0, 2.0, 4.0], [1.0, 1.5, 2.0, 3.0]) == pytest.approx(0.5)
    with pytest.raises(SingularFit):
        slope([3.0, 3.0, 3.0], [1.0, 2.0, 3.0])
