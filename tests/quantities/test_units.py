"""The quantity parser: strict about units, exact about values, clear about what it expected."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labctl.quantities.units import Kind, UnitError, format_quantity, parse_quantity


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("47.5 g", Kind.MASS, 47.5),
        ("250 mg", Kind.MASS, 0.25),
        ("1.2 kg", Kind.MASS, 1200.0),
        ("10 min", Kind.DURATION, 600.0),
        ("4 h", Kind.DURATION, 14400.0),
        ("3 d", Kind.DURATION, 259200.0),
        ("0 °C", Kind.TEMPERATURE, 0.0),
        ("0 degC", Kind.TEMPERATURE, 0.0),
        ("-40 °C", Kind.TEMPERATURE, -40.0),
        ("\u221240 °C", Kind.TEMPERATURE, -40.0),
        ("-40°C", Kind.TEMPERATURE, -40.0),
        ("20 mL/min", Kind.FLOW_RATE, 20.0),
        ("1.2 L/h", Kind.FLOW_RATE, 20.0),
        ("0.5 L", Kind.VOLUME, 500.0),
        ("25.0 mmol", Kind.AMOUNT, 0.025),
        ("0.5 M", Kind.CONCENTRATION, 0.5),
        ("1 K", Kind.TEMPERATURE_DIFFERENCE, 1.0),
        ("60 K/h", Kind.TEMPERATURE_RATE, 1.0),
        ("1010 J/K", Kind.HEAT_CAPACITY, 1.01),
        ("-225 kJ/mol", Kind.MOLAR_ENTHALPY, -225.0),
        ("2 %", Kind.FRACTION, 2.0),
        ("1e3 g", Kind.MASS, 1000.0),
    ],
)
def test_parses_to_the_canonical_unit(text: str, kind: Kind, value: float) -> None:
    assert parse_quantity(text, kind).value == pytest.approx(value)


@pytest.mark.parametrize("bare", [47.5, 10, 0, -40])
def test_a_bare_number_is_refused(bare: float) -> None:
    with pytest.raises(UnitError, match="bare number"):
        parse_quantity(bare, Kind.MASS)


@pytest.mark.parametrize(
    ("text", "kind", "phrase"),
    [
        ("20 K", Kind.TEMPERATURE, "write temperatures in °C"),
        ("5 °C", Kind.TEMPERATURE_DIFFERENCE, "written in K"),
        ("5 g", Kind.DURATION, "is a mass; expected a duration"),
        ("5 furlongs", Kind.MASS, "unknown unit 'furlongs'"),
        ("five g", Kind.MASS, "expected a mass"),
        ("5", Kind.MASS, "expected a mass"),
        ("", Kind.MASS, "expected a mass"),
        ("-300 °C", Kind.TEMPERATURE, "below absolute zero"),
        ("1e400 g", Kind.MASS, "not a finite number"),
    ],
)
def test_wrong_input_names_what_was_expected(text: str, kind: Kind, phrase: str) -> None:
    with pytest.raises(UnitError, match=phrase):
        parse_quantity(text, kind)


@pytest.mark.parametrize("value", [None, True, [1], {"a": 1}])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(UnitError, match="expected a mass"):
        parse_quantity(value, Kind.MASS)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.sampled_from(["mg", "g", "kg"]))
def test_mass_round_trips_through_text(number: float, unit: str) -> None:
    factor = {"mg": 1e-3, "g": 1.0, "kg": 1e3}[unit]
    parsed = parse_quantity(f"{number!r} {unit}", Kind.MASS)
    assert math.isclose(parsed.value, number * factor, rel_tol=1e-12, abs_tol=1e-12)


def test_format_quantity_names_the_canonical_unit() -> None:
    assert format_quantity(4.75, Kind.MASS) == "4.75 g"
    assert format_quantity(-40, Kind.TEMPERATURE) == "-40 °C"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (90, "1.5 min"),
        (600, "10 min"),
        (7200, "2 h"),
        (14400, "4 h"),
        (3 * 86400, "3 d"),
        (300 * 86400, "300 d"),
    ],
)
def test_durations_are_shown_in_the_unit_a_person_would_say(seconds: float, shown: str) -> None:
    assert format_quantity(seconds, Kind.DURATION) == shown
