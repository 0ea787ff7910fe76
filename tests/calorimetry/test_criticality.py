"""Stoessel's classes from the order of MTSR, MTT and TD24, and the worst class when TD24 is unknown."""

from __future__ import annotations

import pytest

from labctl.calorimetry.criticality import classify

ACETONE_BP_C = 56.0


@pytest.mark.parametrize(
    ("mtsr", "mtt", "td24", "level"),
    [
        (25.0, ACETONE_BP_C, 120.0, 1),  # the scale-up under its MTSR gate
        (5.0, ACETONE_BP_C, 57.0, 1),
        (40.0, 150.0, 90.0, 2),
        (55.9, 150.0, 56.0, 2),
        (56.0, ACETONE_BP_C, 120.0, 3),  # at the boiling point counts as reaching it
        (70.0, ACETONE_BP_C, 120.0, 3),
        (130.0, ACETONE_BP_C, 120.0, 4),
        (120.0, ACETONE_BP_C, 120.0, 4),
        (95.0, 150.0, 90.0, 5),
        (200.0, 150.0, 90.0, 5),  # past both: the decomposition comes first
        (90.0, 150.0, 90.0, 5),
    ],
)
def test_the_class_follows_the_order_of_the_temperatures(
    mtsr: float, mtt: float, td24: float, level: int
) -> None:
    found = classify(mtsr, mtt, td24)
    assert found.level == level
    assert found.possible == (level,)
    assert f"{mtsr:.1f} °C" in found.reason


@pytest.mark.parametrize(
    ("mtsr", "possible"),
    [(25.0, (1, 2, 5)), (55.9, (1, 2, 5)), (56.0, (3, 4, 5)), (80.0, (3, 4, 5))],
)
def test_without_a_decomposition_temperature_the_worst_possible_class_is_taken(
    mtsr: float, possible: tuple[int, ...]
) -> None:
    found = classify(mtsr, ACETONE_BP_C, None)
    assert found.possible == possible
    assert found.level == 5
    assert "no decomposition temperature (TD24) is known" in found.reason
    assert f"class {'/'.join(map(str, possible))}: taken as 5" in found.reason
