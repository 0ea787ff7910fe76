from __future__ import annotations

import pytest

from simulators.reglo import format_type1, max_flow_ml_min, parse_discrete2, parse_type2


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (20.0, "2000E+1"),
        (50.0, "5000E+1"),
        (0.1386, "1386E-1"),
        (13.86, "1386E+1"),
        (9.9996, "1000E+1"),
        (0.0, "0000E+0"),
        (1.0, "1000E+0"),
    ],
)
def test_type1(value: float, text: str) -> None:
    assert format_type1(value) == text


@pytest.mark.parametrize(("text", "value"), [("2000+1", 20.0), ("5000+1", 50.0), ("1386-1", 0.1386)])
def test_type2(text: str, value: float) -> None:
    assert parse_type2(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["2000E+1", "200+1", "20.0", "", "2000+"])
def test_type2_rejects(text: str) -> None:
    assert parse_type2(text) is None


def test_discrete2() -> None:
    assert parse_discrete2("0279") == 279
    assert parse_discrete2("279") is None


def test_max_flow_anchors() -> None:
    assert max_flow_ml_min(2.06) == pytest.approx(20.0)
    assert max_flow_ml_min(2.79) == pytest.approx(31.0)
