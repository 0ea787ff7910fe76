"""What the checker knows about materials beyond their declared class tags.

A chemist who writes ``name: THF`` and forgets ``classes: [ether]`` must still be protected, so well-known names
imply classes. Implied classes only ever add protection; they never remove a declared class.
"""

from __future__ import annotations

import re

from labctl.protocol.model import Material, MaterialClass, Protocol

C = MaterialClass
_KNOWN: dict[str, set[MaterialClass]] = {
    "THF": {C.ETHER, C.SOLVENT},
    "tetrahydrofuran": {C.ETHER, C.SOLVENT},
    "2-MeTHF": {C.ETHER, C.SOLVENT},
    "2-methyltetrahydrofuran": {C.ETHER, C.SOLVENT},
    "Et2O": {C.ETHER, C.SOLVENT},
    "diethyl ether": {C.ETHER, C.SOLVENT},
    "DME": {C.ETHER, C.SOLVENT},
    "dimethoxyethane": {C.ETHER, C.SOLVENT},
    "glyme": {C.ETHER, C.SOLVENT},
    "diglyme": {C.ETHER, C.SOLVENT},
    "triglyme": {C.ETHER, C.SOLVENT},
    "dioxane": {C.ETHER, C.SOLVENT},
    "MTBE": {C.ETHER, C.SOLVENT},
    "tert-butyl methyl ether": {C.ETHER, C.SOLVENT},
    "methyl tert-butyl ether": {C.ETHER, C.SOLVENT},
    "CPME": {C.ETHER, C.SOLVENT},
    "cyclopentyl methyl ether": {C.ETHER, C.SOLVENT},
    "methanol": {C.ALCOHOL},
    "MeOH": {C.ALCOHOL},
    "ethanol": {C.ALCOHOL},
    "EtOH": {C.ALCOHOL},
    "isopropanol": {C.ALCOHOL},
    "2-propanol": {C.ALCOHOL},
    "IPA": {C.ALCOHOL},
    "butanol": {C.ALCOHOL},
    "tert-butanol": {C.ALCOHOL},
    "ethylene glycol": {C.GLYCOL, C.ALCOHOL},
    "propylene glycol": {C.GLYCOL, C.ALCOHOL},
    "water": {C.WATER},
    "H2O": {C.WATER},
    "aqueous": {C.WATER},
    "aq": {C.WATER},
    "DMF": {C.DMF},
    "dimethylformamide": {C.DMF},
    "DMSO": {C.DMSO},
    "dimethyl sulfoxide": {C.DMSO},
    "H2SO4": {C.CONC_SULFURIC_ACID},
    "sulfuric acid": {C.CONC_SULFURIC_ACID},
    "KMnO4": {C.PERMANGANATE, C.OXIDANT},
    "permanganate": {C.PERMANGANATE, C.OXIDANT},
    "NaHSO3": {C.BISULFITE, C.REDUCTANT},
    "bisulfite": {C.BISULFITE, C.REDUCTANT},
    "MgBr": {C.MG_I_HALIDE},
    "magnesium(I) bromide": {C.MG_I_HALIDE},
}
_PATTERNS = [
    (re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.IGNORECASE), classes)
    for name, classes in _KNOWN.items()
]

INCOMPATIBLE_WITH_PERMANGANATE = {C.ALCOHOL, C.GLYCOL, C.DMF, C.DMSO, C.CONC_SULFURIC_ACID}
PROTIC = {C.WATER, C.ALCOHOL, C.GLYCOL}


def classes_of(material: Material) -> set[MaterialClass]:
    """Declared classes plus those implied by a well-known name."""
    found = set(material.classes)
    for pattern, classes in _PATTERNS:
        if pattern.search(material.name):
            found |= classes
    return found


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


def total_moles(materials: list[tuple[int, Material]]) -> float | None:
    """Sum of amounts; None when any of them is unknown."""
    amounts = [m.moles() for _, m in materials]
    if not amounts or any(a is None for a in amounts):
        return None
    return sum(a for a in amounts if a is not None)
