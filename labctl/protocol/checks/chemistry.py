"""What the checker knows about materials beyond their declared class tags.

A chemist who writes ``name: THF`` and forgets ``classes: [ether]`` must still be protected, so well-known names
(and a SMILES) imply classes. Implied classes only ever add protection; they never remove a declared class.
"""

from __future__ import annotations

from labctl.protocol.checks.identity import identify
from labctl.protocol.model import Material, MaterialClass, Protocol

C = MaterialClass

INCOMPATIBLE_WITH_PERMANGANATE = {C.ALCOHOL, C.GLYCOL, C.DMF, C.DMSO, C.CONC_SULFURIC_ACID}
PROTIC = {C.WATER, C.ALCOHOL, C.GLYCOL, C.ACID}
VIOLENT_WITH_MGBR = {C.HALOGENATED, C.OXIDANT, C.PERMANGANATE}  # a strong reductant meets them violently


def classes_of(material: Material) -> set[MaterialClass]:
    """Declared classes plus those implied by the name and the SMILES (see identity)."""
    return set(identify(material).classes)


def with_class(protocol: Protocol, cls: MaterialClass) -> list[tuple[int, Material]]:
    """Materials (with their index) that are of ``cls``; products never count, they are not charged."""
    return [(i, m) for i, m in enumerate(protocol.materials) if m.role != "product" and cls in classes_of(m)]


def molar_mass(material: Material) -> float | None:
    """Molar mass given, or implied by mass and amount."""
    if material.molar_mass is not None:
        return material.molar_mass
    if material.mass is not None and material.amount:
        return material.mass / material.amount
    return None


def declared_mass(material: Material) -> float | None:
    """The mass declared, or implied by amount and molar mass."""
    if material.mass is not None:
        return material.mass
    if material.amount is not None and material.molar_mass is not None:
        return material.amount * material.molar_mass
    return None


def total_moles(materials: list[tuple[int, Material]]) -> float | None:
    """Sum of amounts; None when any of them is unknown."""
    amounts = [m.moles() for _, m in materials]
    if not amounts or any(a is None for a in amounts):
        return None
    return sum(a for a in amounts if a is not None)
