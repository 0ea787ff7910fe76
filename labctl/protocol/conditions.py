"""Conditions on live readings, written as short sentences: ``Tr <= 5 °C``, ``dTr/dt > 1 K/min``, ``chiller fault``.

Gates, permissives and interlocks all use this one grammar, so a chemist learns it once and the engine evaluates
it one way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from labctl.quantities.units import Kind, UnitError, format_quantity, parse_quantity


class Signal(Enum):
    """Readings a condition can compare; each has one kind of quantity."""

    TR = "Tr"
    TJ = "Tj"
    TSET = "Tset"
    TR_RATE = "dTr/dt"
    MTSR = "MTSR"
    HEAT_RELEASE = "heat_release"

    @property
    def kind(self) -> Kind:
        if self is Signal.HEAT_RELEASE:
            return Kind.FRACTION
        return Kind.TEMPERATURE_RATE if self is Signal.TR_RATE else Kind.TEMPERATURE

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    Signal.TR: "reaction-mass (process) temperature",
    Signal.TJ: "jacket / thermostat internal temperature",
    Signal.TSET: "chiller setpoint",
    Signal.TR_RATE: "rate of change of the reaction-mass temperature",
    Signal.MTSR: "temperature reached if all unreacted reagent reacted at once",
    Signal.HEAT_RELEASE: (
        "heat the balance has seen released, as a share of the heat the oxidant dosed so far owes"
    ),
}


class Op(Enum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def holds(self, value: float, threshold: float) -> bool:
        match self:
            case Op.LT:
                return value < threshold
            case Op.LE:
                return value <= threshold
            case Op.GT:
                return value > threshold
            case Op.GE:
                return value >= threshold

    @property
    def is_upper_bound(self) -> bool:
        """True for ``<``/``<=``: the condition keeps the signal below the threshold."""
        return self in (Op.LT, Op.LE)


@dataclass(frozen=True)
class Comparison:
    signal: Signal
    op: Op
    threshold: float

    def __str__(self) -> str:
        return f"{self.signal.value} {self.op.value} {format_quantity(self.threshold, self.signal.kind)}"


class Subject(Enum):
    CHILLER = "chiller"
    DOSER = "doser"
    BALANCE = "balance"
    PUMP = "quench_pump"
    STIRRER = "stirrer"
    TR = "Tr"
    TJ = "Tj"


class State(Enum):
    FAULT = "fault"
    OFFLINE = "offline"
    MISSING = "missing"
    STALE = "stale"
    STOPPED = "stopped"


_STATES: dict[Subject, set[State]] = {
    Subject.CHILLER: {State.FAULT, State.OFFLINE, State.STOPPED},
    Subject.DOSER: {State.FAULT, State.OFFLINE},
    Subject.BALANCE: {State.FAULT, State.OFFLINE},
    Subject.PUMP: {State.FAULT, State.OFFLINE},
    Subject.STIRRER: {State.STOPPED, State.FAULT, State.OFFLINE},
    Subject.TR: {State.MISSING, State.STALE},
    Subject.TJ: {State.MISSING, State.STALE},
}


@dataclass(frozen=True)
class StateCondition:
    subject: Subject
    state: State

    def __str__(self) -> str:
        return f"{self.subject.value} {self.state.value}"


Condition = Comparison | StateCondition

_OPS = {"<": Op.LT, "<=": Op.LE, "≤": Op.LE, ">": Op.GT, ">=": Op.GE, "≥": Op.GE}
_COMPARISON = re.compile(r"^\s*(?P<signal>\S+?)\s*(?P<op><=|>=|<|>|≤|≥)\s*(?P<rest>.*?)\s*$")
_STATE = re.compile(r"^\s*(?P<subject>\S+)\s+(?P<state>[a-z]+)\s*$")

GRAMMAR = (
    "'<signal> <op> <quantity>' with signal one of "
    + ", ".join(s.value for s in Signal)
    + " and op one of <, <=, >, >= (e.g. 'Tr <= 5 °C', 'dTr/dt > 1 K/min'), or '<thing> <state>' "
    + "(e.g. 'chiller fault', 'Tr missing')"
)


class ConditionError(ValueError):
    """A condition that does not follow the grammar."""


def parse_condition(text: object) -> Condition:
    if not isinstance(text, str):
        raise ConditionError(f"expected a condition as text: {GRAMMAR}")
    if (match := _COMPARISON.match(text)) is not None:
        return _comparison(match["signal"], match["op"], match["rest"], text)
    if (match := _STATE.match(text)) is not None:
        return _state(match["subject"], match["state"], text)
    raise ConditionError(f"cannot read condition {text!r}; expected {GRAMMAR}")


def _comparison(signal_text: str, op_text: str, rest: str, text: str) -> Comparison:
    try:
        signal = Signal(signal_text)
    except ValueError:
        names = ", ".join(s.value for s in Signal)
        raise ConditionError(f"unknown signal {signal_text!r} in {text!r}; expected one of {names}") from None
    try:
        threshold = parse_quantity(rest, signal.kind).value
    except UnitError as exc:
        raise ConditionError(f"in condition {text!r}: {exc}") from None
    return Comparison(signal, _OPS[op_text], threshold)


def _state(subject_text: str, state_text: str, text: str) -> StateCondition:
    try:
        subject = Subject(subject_text)
        state = State(state_text)
    except ValueError:
        raise ConditionError(f"cannot read condition {text!r}; expected {GRAMMAR}") from None
    if state not in _STATES[subject]:
        allowed = ", ".join(sorted(s.value for s in _STATES[subject]))
        raise ConditionError(f"{subject.value} can be {allowed}, not {state.value!r}")
    return StateCondition(subject, state)


def _validate(value: Any) -> Condition:
    if isinstance(value, Comparison | StateCondition):
        return value
    try:
        return parse_condition(value)
    except ConditionError as exc:
        raise PydanticCustomError("condition", "{reason}", {"reason": str(exc)}) from None


ConditionField = Annotated[
    Condition,
    PlainValidator(_validate),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "description": "A condition on a reading: " + GRAMMAR,
            "examples": ["Tr <= 5 °C", "dTr/dt > 1 K/min", "chiller fault", "Tr missing"],
        }
    ),
]
