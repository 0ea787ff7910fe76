"""A small, strict parser for the quantities protocol and rig files carry.

A general units library would accept far more than a protocol should (bare numbers, arithmetic, offset-unit
multiplication) and would still need a table saying which kind each field wants. A protocol value is always
``<number> <unit>`` of one known kind, so a strict table-driven parser gives clearer errors with less machinery.
Inside labctl every kind has one canonical unit, named in :data:`CANONICAL`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from pydantic_core import PydanticCustomError

from labctl.errors import LabctlError


class Kind(Enum):
    """The kinds of quantity a protocol may carry."""

    TEMPERATURE = "temperature"
    TEMPERATURE_DIFFERENCE = "temperature difference"
    TEMPERATURE_RATE = "temperature rate"
    MASS = "mass"
    VOLUME = "volume"
    DURATION = "duration"
    AMOUNT = "amount of substance"
    MOLAR_MASS = "molar mass"
    CONCENTRATION = "concentration"
    FLOW_RATE = "flow rate"
    HEAT_CAPACITY = "heat capacity"
    HEAT_TRANSFER = "heat transfer coefficient"
    MOLAR_ENTHALPY = "molar enthalpy"
    ENERGY = "energy"
    FRACTION = "fraction"
    STIR_SPEED = "stirring speed"


CANONICAL: dict[Kind, str] = {
    Kind.TEMPERATURE: "°C",
    Kind.TEMPERATURE_DIFFERENCE: "K",
    Kind.TEMPERATURE_RATE: "K/min",
    Kind.MASS: "g",
    Kind.VOLUME: "mL",
    Kind.DURATION: "s",
    Kind.AMOUNT: "mol",
    Kind.MOLAR_MASS: "g/mol",
    Kind.CONCENTRATION: "mol/L",
    Kind.FLOW_RATE: "mL/min",
    Kind.HEAT_CAPACITY: "kJ/K",
    Kind.HEAT_TRANSFER: "W/K",
    Kind.MOLAR_ENTHALPY: "kJ/mol",
    Kind.ENERGY: "kJ",
    Kind.FRACTION: "%",
    Kind.STIR_SPEED: "rpm",
}

EXAMPLES: dict[Kind, str] = {
    Kind.TEMPERATURE: "0 °C",
    Kind.TEMPERATURE_DIFFERENCE: "1 K",
    Kind.TEMPERATURE_RATE: "0.5 K/min",
    Kind.MASS: "47.5 g",
    Kind.VOLUME: "50 mL",
    Kind.DURATION: "10 min",
    Kind.AMOUNT: "0.25 mol",
    Kind.MOLAR_MASS: "158.03 g/mol",
    Kind.CONCENTRATION: "0.5 mol/L",
    Kind.FLOW_RATE: "20 mL/min",
    Kind.HEAT_CAPACITY: "1.01 kJ/K",
    Kind.HEAT_TRANSFER: "6 W/K",
    Kind.MOLAR_ENTHALPY: "-225 kJ/mol",
    Kind.ENERGY: "50 kJ",
    Kind.FRACTION: "2 %",
    Kind.STIR_SPEED: "300 rpm",
}

# unit spelling -> (kind, factor to the canonical unit)
_UNITS: dict[str, tuple[Kind, float]] = {
    "°C": (Kind.TEMPERATURE, 1.0),
    "degC": (Kind.TEMPERATURE, 1.0),
    "℃": (Kind.TEMPERATURE, 1.0),
    "K": (Kind.TEMPERATURE_DIFFERENCE, 1.0),
    "K/s": (Kind.TEMPERATURE_RATE, 60.0),
    "K/min": (Kind.TEMPERATURE_RATE, 1.0),
    "K/h": (Kind.TEMPERATURE_RATE, 1 / 60),
    "mg": (Kind.MASS, 1e-3),
    "g": (Kind.MASS, 1.0),
    "kg": (Kind.MASS, 1e3),
    "µL": (Kind.VOLUME, 1e-3),
    "uL": (Kind.VOLUME, 1e-3),
    "mL": (Kind.VOLUME, 1.0),
    "L": (Kind.VOLUME, 1e3),
    "s": (Kind.DURATION, 1.0),
    "min": (Kind.DURATION, 60.0),
    "h": (Kind.DURATION, 3600.0),
    "d": (Kind.DURATION, 86400.0),
    "µmol": (Kind.AMOUNT, 1e-6),
    "umol": (Kind.AMOUNT, 1e-6),
    "mmol": (Kind.AMOUNT, 1e-3),
    "mol": (Kind.AMOUNT, 1.0),
    "g/mol": (Kind.MOLAR_MASS, 1.0),
    "mol/L": (Kind.CONCENTRATION, 1.0),
    "mmol/L": (Kind.CONCENTRATION, 1e-3),
    "M": (Kind.CONCENTRATION, 1.0),
    "mM": (Kind.CONCENTRATION, 1e-3),
    "µL/min": (Kind.FLOW_RATE, 1e-3),
    "uL/min": (Kind.FLOW_RATE, 1e-3),
    "mL/s": (Kind.FLOW_RATE, 60.0),
    "mL/min": (Kind.FLOW_RATE, 1.0),
    "mL/h": (Kind.FLOW_RATE, 1 / 60),
    "L/h": (Kind.FLOW_RATE, 1e3 / 60),
    "L/min": (Kind.FLOW_RATE, 1e3),
    "J/K": (Kind.HEAT_CAPACITY, 1e-3),
    "kJ/K": (Kind.HEAT_CAPACITY, 1.0),
    "W/K": (Kind.HEAT_TRANSFER, 1.0),
    "J/mol": (Kind.MOLAR_ENTHALPY, 1e-3),
    "kJ/mol": (Kind.MOLAR_ENTHALPY, 1.0),
    "J": (Kind.ENERGY, 1e-3),
    "kJ": (Kind.ENERGY, 1.0),
    "%": (Kind.FRACTION, 1.0),
    "rpm": (Kind.STIR_SPEED, 1.0),
}

_QUANTITY = re.compile(
    r"^\s*(?P<number>[+\-\u2212]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+\-]?\d+)?)\s*(?P<unit>\S+)\s*$"
)


class UnitError(LabctlError, ValueError):
    """A value that is not a quantity of the expected kind; the message says what was expected.

    ``code`` names the mistake for reports: UNIT-MISSING (a bare number), UNIT-KIND (a quantity of another
    kind), UNIT-UNKNOWN, QUANTITY-FORMAT (not ``<number> <unit>``) or QUANTITY-RANGE.
    """

    def __init__(self, message: str, code: str = "QUANTITY-FORMAT") -> None:
        super().__init__(message)
        self.code = code

    def pydantic_error(self, message: str | None = None) -> PydanticCustomError:
        """The same mistake as a pydantic error whose type carries the code."""
        return PydanticCustomError(
            self.code.lower().replace("-", "_"), "{reason}", {"reason": message or str(self)}
        )


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity in the canonical unit of its kind."""

    value: float
    kind: Kind

    def __str__(self) -> str:
        return format_quantity(self.value, self.kind)


def units_of(kind: Kind) -> list[str]:
    """Every spelling accepted for ``kind``."""
    return [unit for unit, (k, _) in _UNITS.items() if k is kind]


def expectation(kind: Kind) -> str:
    """The phrase an error message uses for what a field wants."""
    units = ", ".join(units_of(kind))
    return f"a {kind.value} with a unit ({units}), e.g. '{EXAMPLES[kind]}'"


def parse_quantity(text: object, kind: Kind) -> Quantity:
    """Parse ``<number> <unit>`` of the given kind, or raise :class:`UnitError` saying what was expected."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise UnitError(f"expected {expectation(kind)}, got {_describe(text)}")
    if isinstance(text, (int, float)):
        raise UnitError(
            f"expected {expectation(kind)}, got the bare number {text!r} (units are required)", "UNIT-MISSING"
        )
    match = _QUANTITY.match(text)
    if match is None:
        raise UnitError(f"expected {expectation(kind)}, got {text!r}")
    unit = match["unit"]
    if unit not in _UNITS:
        hint = _unit_hint(unit, kind)
        raise UnitError(
            f"unknown unit {unit!r} in {text!r}; expected {expectation(kind)}{hint}", "UNIT-UNKNOWN"
        )
    found_kind, factor = _UNITS[unit]
    if found_kind is not kind:
        hint = _unit_hint(unit, kind)
        raise UnitError(f"{text!r} is a {found_kind.value}; expected {expectation(kind)}{hint}", "UNIT-KIND")
    number = float(match["number"].replace("\u2212", "-"))
    value = number * factor
    if not math.isfinite(value):
        raise UnitError(f"{text!r} is not a finite number", "QUANTITY-RANGE")
    if kind is Kind.TEMPERATURE and value < -273.15:
        raise UnitError(f"{text!r} is below absolute zero", "QUANTITY-RANGE")
    return Quantity(value, kind)


def kind_of(text: object) -> Kind | None:
    """The kind of a ``<number> <unit>`` text; None for a bare number or anything else."""
    match = _QUANTITY.match(text) if isinstance(text, str) else None
    found = _UNITS.get(match["unit"]) if match is not None else None
    return found[0] if found is not None else None


def format_quantity(value: float, kind: Kind) -> str:
    """Render a canonical value for messages, e.g. ``4.75 g``; a duration in the unit a person would say
    (``4 h``, not ``1.44e+04 s``)."""
    if kind is Kind.DURATION:
        return format_duration(value)
    shown = f"{value:.0f}" if 1e4 <= abs(value) < 1e9 else f"{value:.4g}"  # 10000 mL, not 1e+04 mL
    return f"{shown} {CANONICAL[kind]}"


_DURATION_UNITS = (("d", 86400.0), ("h", 3600.0), ("min", 60.0))


def format_duration(seconds: float) -> str:
    for unit, size in _DURATION_UNITS:
        if abs(seconds) >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def _unit_hint(unit: str, kind: Kind) -> str:
    if kind is Kind.TEMPERATURE and unit == "K":
        return " (K is for temperature differences; write temperatures in °C)"
    if kind is Kind.TEMPERATURE_DIFFERENCE and unit in ("°C", "degC", "℃"):
        return " (a difference of temperatures is written in K)"
    return ""


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
