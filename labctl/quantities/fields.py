"""Pydantic field types for quantities: the type name says the canonical unit the value is held in."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from labctl.quantities.units import EXAMPLES, Kind, UnitError, parse_quantity, units_of

PARAMETER_REFERENCE = r"\$\{\s*([A-Za-z][A-Za-z0-9_\-]*)\s*\}"
"""A whole value written ``${name}``: replaced by the protocol parameter's value when the file is loaded."""


def _json_schema(kind: Kind) -> dict[str, Any]:
    """A quantity as editors see it: ``<number> <unit>``, or a ``${name}`` reference the loader substitutes."""
    units = sorted(units_of(kind), key=len, reverse=True)
    alternatives = "|".join(re.escape(u) for u in units)
    number = r"[+\-\u2212]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+\-]?\d+)?"
    return {
        "type": "string",
        "pattern": rf"^(?:\s*{number}\s*(?:{alternatives})\s*|{PARAMETER_REFERENCE})$",
        "description": f"{kind.value}, e.g. '{EXAMPLES[kind]}', or a parameter as '${{name}}'",
        "examples": [EXAMPLES[kind]],
    }


def _validator(kind: Kind) -> BeforeValidator:
    def parse(value: object) -> float:
        try:
            return parse_quantity(value, kind).value
        except UnitError as exc:
            raise exc.pydantic_error() from None

    return BeforeValidator(parse)


Celsius = Annotated[float, _validator(Kind.TEMPERATURE), WithJsonSchema(_json_schema(Kind.TEMPERATURE))]
Kelvin = Annotated[
    float,
    _validator(Kind.TEMPERATURE_DIFFERENCE),
    WithJsonSchema(_json_schema(Kind.TEMPERATURE_DIFFERENCE)),
]
KelvinPerMinute = Annotated[
    float, _validator(Kind.TEMPERATURE_RATE), WithJsonSchema(_json_schema(Kind.TEMPERATURE_RATE))
]
Grams = Annotated[float, _validator(Kind.MASS), WithJsonSchema(_json_schema(Kind.MASS))]
Millilitres = Annotated[float, _validator(Kind.VOLUME), WithJsonSchema(_json_schema(Kind.VOLUME))]
Seconds = Annotated[float, _validator(Kind.DURATION), WithJsonSchema(_json_schema(Kind.DURATION))]
Moles = Annotated[float, _validator(Kind.AMOUNT), WithJsonSchema(_json_schema(Kind.AMOUNT))]
GramsPerMole = Annotated[float, _validator(Kind.MOLAR_MASS), WithJsonSchema(_json_schema(Kind.MOLAR_MASS))]
MolesPerLitre = Annotated[
    float, _validator(Kind.CONCENTRATION), WithJsonSchema(_json_schema(Kind.CONCENTRATION))
]
MillilitresPerMinute = Annotated[
    float, _validator(Kind.FLOW_RATE), WithJsonSchema(_json_schema(Kind.FLOW_RATE))
]
KilojoulesPerKelvin = Annotated[
    float, _validator(Kind.HEAT_CAPACITY), WithJsonSchema(_json_schema(Kind.HEAT_CAPACITY))
]
WattsPerKelvin = Annotated[
    float, _validator(Kind.HEAT_TRANSFER), WithJsonSchema(_json_schema(Kind.HEAT_TRANSFER))
]
KilojoulesPerMole = Annotated[
    float, _validator(Kind.MOLAR_ENTHALPY), WithJsonSchema(_json_schema(Kind.MOLAR_ENTHALPY))
]
Percent = Annotated[float, _validator(Kind.FRACTION), WithJsonSchema(_json_schema(Kind.FRACTION))]
Rpm = Annotated[float, _validator(Kind.STIR_SPEED), WithJsonSchema(_json_schema(Kind.STIR_SPEED))]

__all__ = [
    "Celsius",
    "Grams",
    "GramsPerMole",
    "Kelvin",
    "KelvinPerMinute",
    "KilojoulesPerKelvin",
    "KilojoulesPerMole",
    "Millilitres",
    "MillilitresPerMinute",
    "Moles",
    "MolesPerLitre",
    "Percent",
    "Rpm",
    "Seconds",
    "WattsPerKelvin",
]
