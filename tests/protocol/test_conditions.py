"""The condition grammar shared by gates, permissives and interlocks."""

import pytest

from labctl.protocol.conditions import (
    Comparison,
    ConditionError,
    Op,
    Signal,
    State,
    StateCondition,
    Subject,
    parse_condition,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tr <= 5 °C", Comparison(Signal.TR, Op.LE, 5.0)),
        ("Tr≤5 °C", Comparison(Signal.TR, Op.LE, 5.0)),
        ("dTr/dt > 1 K/min", Comparison(Signal.TR_RATE, Op.GT, 1.0)),
        ("dTr/dt > 60 K/h", Comparison(Signal.TR_RATE, Op.GT, 1.0)),
        ("MTSR <= 25 °C", Comparison(Signal.MTSR, Op.LE, 25.0)),
        ("Tj < -50 °C", Comparison(Signal.TJ, Op.LT, -50.0)),
        ("chiller fault", StateCondition(Subject.CHILLER, State.FAULT)),
        ("Tr missing", StateCondition(Subject.TR, State.MISSING)),
    ],
)
def test_parses(text: str, expected: object) -> None:
    assert parse_condition(text) == expected


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Tx <= 5 °C", "unknown signal 'Tx'"),
        ("Tr <= 5", "expected a temperature"),
        ("dTr/dt > 1 K", "expected a temperature rate"),
        ("chiller missing", "chiller can be fault, offline, stopped"),
        ("Tr is cold", "cannot read condition"),
        ("", "cannot read condition"),
    ],
)
def test_refuses_with_a_reason(text: str, phrase: str) -> None:
    with pytest.raises(ConditionError, match=phrase):
        parse_condition(text)


def test_comparison_evaluates_and_prints_back() -> None:
    gate = parse_condition("Tr <= 5 °C")
    assert isinstance(gate, Comparison)
    assert gate.op.holds(5.0, gate.threshold)
    assert not gate.op.holds(5.01, gate.threshold)
    assert gate.op.is_upper_bound
    assert str(gate) == "Tr <= 5 °C"
