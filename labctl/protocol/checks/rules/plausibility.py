"""Numbers checked against each other: the declared heat capacity against what is charged, the vessel's fill,
a mass against an amount."""

from __future__ import annotations

import re

from labctl.protocol.checks.charge import filled_ml, heat_capacity
from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.identity import molar_masses, solubility
from labctl.protocol.model import MaterialClass
from labctl.quantities.units import Kind, format_quantity

MOLAR_MASS_RANGE = (10.0, 5000.0)  # g/mol: from the lightest reagent a protocol doses to a large catalyst
MOLAR_MASS_MATCH = 0.02  # a declared molar mass this close to a named compound's is that compound's


def check_heat_capacity(ctx: CheckContext) -> list[Finding]:
    """At the first dosing, the declared heat capacity must lie within the configured fraction of the estimate
    (below: the central figure; above: generous figures and the glass)."""
    reactor = ctx.protocol.reactor
    doses = ctx.doses()
    if reactor is None or reactor.heat_capacity is None or not doses:
        return []
    heat = heat_capacity(ctx.protocol, ctx.ledger, doses[0][0])
    if heat.central_kj_k <= 0:
        return []
    tolerance = ctx.config.heat_capacity_tolerance / 100.0
    low, high = heat.central_kj_k * (1 - tolerance), heat.upper_kj_k * (1 + tolerance)
    declared = reactor.heat_capacity
    if low <= declared <= high:
        return []
    return [
        error(
            "HEAT-CAPACITY-PLAUSIBLE",
            f"{declared:g} kJ/K is not what the charge holds: about {heat.central_kj_k:.3g} kJ/K from the "
            f"materials, up to {heat.upper_kj_k:.3g} kJ/K with the glass ({heat.glass_kj_k:.2g} kJ/K), so "
            f"{low:.3g}–{high:.3g} kJ/K within {ctx.config.heat_capacity_tolerance:g} %; the thermal rules use "
            "the smaller figure",
            ("reactor", "heat_capacity"),
        )
    ]


def check_fill(ctx: CheckContext) -> list[Finding]:
    """The whole batch fits the vessel; and a batch of a few millilitres in a large reactor leaves the probe
    and the stirrer in the gas space, where every gate and trip reads the wrong temperature."""
    reactor = ctx.protocol.reactor
    if reactor is None or reactor.volume is None:
        return []
    filled = filled_ml(ctx.ledger)
    most, least = ctx.config.max_fill / 100.0 * reactor.volume, ctx.config.min_fill / 100.0 * reactor.volume
    vessel = format_quantity(reactor.volume, Kind.VOLUME)
    if filled > most:
        said = f"more than {ctx.config.max_fill:g} % of the {vessel} vessel"
    elif 0 < filled < least:
        said = f"less than {ctx.config.min_fill:g} % of the {vessel} vessel: the probe and stirrer may not reach it"
    else:
        return []
    return [
        error(
            "VESSEL-FILL",
            f"everything added takes up about {format_quantity(filled, Kind.VOLUME)}, {said}",
            ("reactor", "volume"),
        )
    ]


_VESSEL_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(mL|ml|L|l)\b")


def check_vessel_volume(ctx: CheckContext) -> list[Finding]:
    """The vessel named '500 mL flask' beside `volume: 1000 mL`: the fill and the glass are judged on a flask
    that is not the one on the bench."""
    reactor = ctx.protocol.reactor
    if reactor is None or reactor.vessel is None or reactor.volume is None:
        return []
    sizes = [
        float(n.replace(",", ".")) * (1000.0 if u.lower() == "l" else 1.0)
        for n, u in _VESSEL_SIZE.findall(reactor.vessel)
    ]
    if not sizes or any(abs(size - reactor.volume) <= 0.01 * reactor.volume for size in sizes):
        return []
    return [
        error(
            "VESSEL-VOLUME",
            f"the vessel is described as '{reactor.vessel}' but its volume is "
            f"{format_quantity(reactor.volume, Kind.VOLUME)}: the fill and the glass are judged on the volume",
            ("reactor", "volume"),
        )
    ]


def check_molar_mass(ctx: CheckContext) -> list[Finding]:
    """A mass in mg beside an amount in mol implies a molar mass no substance has."""
    low, high = MOLAR_MASS_RANGE
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        for implied, key in _implied(m.mass, m.amount, m.molar_mass):
            if not low <= implied <= high:
                findings.append(
                    error(
                        "MATERIAL-AMOUNT",
                        f"'{m.id}': {key} implies {implied:.3g} g/mol, outside {low:g}–{high:g} g/mol: a unit slip?",
                        ("materials", i, key),
                    )
                )
    return findings


def _implied(mass: float | None, amount: float | None, molar_mass: float | None) -> list[tuple[float, str]]:
    if molar_mass is not None:
        return [(molar_mass, "molar_mass")]
    if mass is not None and amount is not None:
        return [(mass / amount, "mass")]
    return []


def check_known_molar_mass(ctx: CheckContext) -> list[Finding]:
    """KMnO4 typed as 1580 g/mol makes a tenth of the oxidant, its heat and its quench demand: a molar mass
    (declared, or a pure substance's mass over its amount) must be that of a compound its name names."""
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        known = molar_masses(m)
        for value, key in _implied(m.mass, None if m.volume else m.amount, m.molar_mass):
            plausible = MOLAR_MASS_RANGE[0] <= value <= MOLAR_MASS_RANGE[1]  # else MATERIAL-AMOUNT says it
            if known and plausible and not any(abs(value - k) <= MOLAR_MASS_MATCH * k for k in known):
                named = " or ".join(f"{k:g}" for k in sorted(set(known)))
                findings.append(
                    error(
                        "MATERIAL-MOLAR-MASS",
                        f"'{m.id}': {key} gives {value:.5g} g/mol, but '{m.name}' names a compound of {named} g/mol",
                        ("materials", i, key),
                    )
                )
    return findings


def check_solubility(ctx: CheckContext) -> list[Finding]:
    """A solution that holds more of its solute than water can dissolve cannot be made up: the quench it is
    meant to carry would be short of reductant, whatever the figures say."""
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        most = solubility(m)
        if most is None or m.mass is None or not m.volume or MaterialClass.WATER not in classes_of(m):
            continue
        held = m.mass / (m.volume / 1000.0)
        if held > most:
            findings.append(
                error(
                    "MATERIAL-SOLUBILITY",
                    f"'{m.id}' holds {held:.0f} g/L, more than its solute dissolves (about {most:.0f} g/L in water "
                    "at 20 °C): the solution cannot be made up as written",
                    ("materials", i, "mass"),
                )
            )
    return findings


RULES = [
    check_heat_capacity,
    check_fill,
    check_vessel_volume,
    check_molar_mass,
    check_known_molar_mass,
    check_solubility,
]
