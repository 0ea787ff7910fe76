"""Classes read from a material's SMILES with RDKit substructures, for names no table can know.

RDKit is imported on first use: most protocols carry no SMILES, and `labctl validate` should not pay for it.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from labctl.protocol.model import MaterialClass

C = MaterialClass
_NOT_CARBONYL = "[#6;!$([#6]=[O,S,N])]"
# Each class, with the SMARTS that shows it; several patterns mean any of them.
_PATTERNS: dict[MaterialClass, tuple[str, ...]] = {
    C.ETHER: (f"[OX2]({_NOT_CARBONYL}){_NOT_CARBONYL}", "[o]"),  # C–O–C outside esters, and furans
    C.ALCOHOL: (f"[OX2H]{_NOT_CARBONYL}",),  # an O–H on carbon that is no acid: alcohols, phenols
    C.GLYCOL: ("[OX2H][CX4][CX4][OX2H]",),
    C.WATER: ("[OH2]",),
    C.ACID: ("[CX3](=O)[OX2H1]", "[SX4](=O)(=O)[OX2H1]"),
    C.CONC_SULFURIC_ACID: ("[OX2H1][SX4](=O)(=O)[OX2H1]",),
    C.AMINE: ("[NX3;!$(N[#6]=[O,S,N])]", "[nX2]"),
    C.KETONE: ("[#6][CX3](=O)[#6]",),
    C.ESTER: ("[CX3](=O)[OX2][#6]",),  # carbonates and lactones too
    C.ALKENE: ("C=C",),
    C.AROMATIC: ("a",),
    C.HALOGENATED: ("[F,Cl,Br,I;$(*[#6])]",),
    C.NITRILE: ("C#N",),
    C.AMIDE: ("[NX3][CX3]=[OX1]",),
    C.DMF: ("[CH3]N([CH3])[CH1]=O",),
    C.DMSO: ("[CH3][SX3](=O)[CH3]",),
    C.PERMANGANATE: ("[Mn](~[OX1])(~[OX1])(~[OX1])~[OX1]",),
    C.OXIDANT: ("[Mn](~[OX1])(~[OX1])(~[OX1])~[OX1]", "[OX2][OX2]", "[Cr](~[OX1])(~[OX1])"),
    C.BISULFITE: ("[OX2H1,OX1-][SX3](=O)[OX2H1,OX1-]",),
    C.REDUCTANT: ("[OX2H1,OX1-][SX3](=O)[OX2H1,OX1-]", "[SX3](=O)([OX1-])[OX1-]"),
    C.MG_I_HALIDE: ("[Mg]~[Cl,Br,I]",),
    C.ORGANOMETALLIC: ("[#6]~[Li,Na,K,Mg,Zn,Cu,Al,Ti,Pd,Mn]",),
    C.SALT: ("[+,++,+++]",),
}


class SmilesError(ValueError):
    """A SMILES RDKit cannot read: the material stays unidentified, never assumed harmless."""


@cache
def _chem() -> Any:
    from rdkit import Chem, rdBase  # noqa: PLC0415  # imported on first use, see the module's docstring

    rdBase.DisableLog("rdApp.*")  # its parse errors would go to stderr; ours say where in the file
    return Chem


@cache
def _compiled() -> dict[MaterialClass, tuple[Any, ...]]:
    chem = _chem()
    return {cls: tuple(chem.MolFromSmarts(p) for p in patterns) for cls, patterns in _PATTERNS.items()}


@lru_cache(maxsize=1024)
def smiles_classes(smiles: str) -> frozenset[MaterialClass]:
    """Every class a substructure shows, plus `hydrocarbon` when there is nothing but carbon and hydrogen."""
    molecule = _chem().MolFromSmiles(smiles)
    if molecule is None or molecule.GetNumAtoms() == 0:
        raise SmilesError(f"RDKit cannot read the SMILES {smiles!r}")
    found = {
        cls for cls, patterns in _compiled().items() if any(molecule.HasSubstructMatch(p) for p in patterns)
    }
    if {atom.GetSymbol() for atom in molecule.GetAtoms()} <= {"C", "H"}:
        found.add(C.HYDROCARBON)
    return frozenset(found)
