"""What the charge physically is, estimated from the ledger: its heat capacity and the volume it fills.

A declared heat capacity ten times too big makes a 47.5 g portion look harmless, and nothing else in a protocol
says so. The estimate counts what has entered before a step: each material's mass (declared, or volume ×
density, or amount × molar mass) times its specific heat (the table's for known liquids, a generic figure for
the rest), and gives a range: a central figure without the glass, and an upper one with generous figures for
the unknowns plus the vessel's glass, scaled from the 0.36 kJ/K of a 1 L jacketed flask by its surface.
"""

from __future__ import annotations

from dataclasses import dataclass

from labctl.protocol.checks.identity import liquid
from labctl.protocol.checks.ledger import Addition, Ledger, build_ledger
from labctl.protocol.model import MaterialClass, Protocol

GENERIC_CP = 1.5  # J/(g·K): organic solids and liquids the table does not know, central
GENERIC_CP_HIGH = 2.5  # J/(g·K): the same, generous
GENERIC_DENSITY = 0.8  # g/mL, central for an unknown liquid
GENERIC_DENSITY_HIGH = 1.5  # g/mL, generous
SOLID_DENSITY = 1.5  # g/mL, for the volume a solid takes up
GLASS_1L_KJ_K = 0.36


@dataclass(frozen=True)
class ChargeHeat:
    central_kj_k: float
    upper_kj_k: float
    glass_kj_k: float


def heat_capacity(protocol: Protocol, ledger: Ledger, before_step: int) -> ChargeHeat:
    """The heat capacity of what is in the vessel when ``before_step`` begins."""
    central = upper = 0.0
    for a in ledger.additions:
        if a.step >= before_step:
            continue
        mass, mass_high = _mass(a)
        known = liquid(a.material)
        cp, cp_high = (known[0], known[0]) if known else (GENERIC_CP, GENERIC_CP_HIGH)
        central += mass * cp / 1000.0
        upper += mass_high * cp_high / 1000.0
    reactor = protocol.reactor
    glass = GLASS_1L_KJ_K * (reactor.volume / 1000.0) ** (2 / 3) if reactor and reactor.volume else 0.0
    return ChargeHeat(central, upper + glass, glass)


def safe_heat_capacity(protocol: Protocol, ledger: Ledger, before_step: int) -> float | None:
    """The smaller of the declared heat capacity and the charge's estimate with the glass: a typo that makes a
    portion look harmless is not believed, by the checker or by the dosing permit. None when none is declared."""
    reactor = protocol.reactor
    if reactor is None or reactor.heat_capacity is None:
        return None
    heat = heat_capacity(protocol, ledger, before_step)
    estimate = heat.central_kj_k + heat.glass_kj_k
    return min(reactor.heat_capacity, estimate) if heat.central_kj_k > 0 else reactor.heat_capacity


def dosing_heat_capacity(protocol: Protocol) -> float | None:
    """The safe heat capacity at the first oxidant addition: the figure the run's MTSR estimate uses."""
    ledger = build_ledger(protocol)
    first = ledger.first_step(MaterialClass.PERMANGANATE)
    return safe_heat_capacity(protocol, ledger, max(first, 0) if first is not None else len(protocol.steps))


def addition_heat_capacity(a: Addition) -> float:
    """kJ/K an addition brings (central figure): what it takes to warm or cool it."""
    known = liquid(a.material)
    return _mass(a)[0] * (known[0] if known else GENERIC_CP) / 1000.0


def _mass(a: Addition) -> tuple[float, float]:
    """Grams this addition brings: central and generous; (0, 0) when it cannot be told at all."""
    m, share = a.material, a.fraction if a.fraction is not None else 1.0
    if m.mass is not None:
        return m.mass * share, m.mass * share
    if m.volume is not None:
        known = liquid(m)
        if known:
            return m.volume * share * known[1], m.volume * share * known[1]
        return m.volume * share * GENERIC_DENSITY, m.volume * share * GENERIC_DENSITY_HIGH
    if m.amount is not None and m.molar_mass is not None:
        return m.amount * m.molar_mass * share, m.amount * m.molar_mass * share
    return 0.0, 0.0


def filled_ml(ledger: Ledger) -> float:
    """The volume everything added over the batch takes up (liquids by volume, solids by mass)."""
    total = 0.0
    for a in ledger.additions:
        share = a.fraction if a.fraction is not None else 1.0
        if a.pumped_ml is not None:
            total += a.pumped_ml
        elif a.material.volume is not None:
            total += a.material.volume * share
        else:
            total += _mass(a)[0] / SOLID_DENSITY
    return total
