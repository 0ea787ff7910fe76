"""What a material is, as far as labctl can tell, and whether it can tell at all.

Beside MgBr or a strong oxidant, a material labctl cannot identify is treated as the dangerous case, so
identity must fail closed: a name is folded (case, spacing, hyphens, locants, Unicode sub/superscripts) and
matched whole, by its parts ("MgBr solution in THF" is MgBr *and* THF), close misspellings and telling word
fragments ("polyether") included; a `smiles:` is read with RDKit substructures; declared classes count only when
they say what a thing is (`solvent` or `catalyst` say what it is for).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from labctl.protocol.checks.names import (
    BOILING_POINTS,
    FRAGMENTS,
    LIQUIDS,
    MOLAR_MASSES,
    NAMES,
    NOT_FRAGMENTS,
    SOLUBILITY_G_L,
)
from labctl.protocol.checks.smiles import SmilesError, smiles_classes
from labctl.protocol.model import Material, MaterialClass

C = MaterialClass
# Classes that say what a material is; the others say what it is for, or how it behaves.
NOT_IDENTITY = frozenset({C.SOLVENT, C.CATALYST, C.PHASE_TRANSFER, C.PYROPHORIC})
SOLVENT_FAMILIES = frozenset(
    {C.ETHER, C.ALCOHOL, C.GLYCOL, C.WATER, C.DMF, C.DMSO, C.HYDROCARBON, C.AROMATIC, C.KETONE, C.ESTER}
    | {C.HALOGENATED, C.NITRILE, C.AMIDE, C.ACID, C.CONC_SULFURIC_ACID}
)
_FUZZY_CUTOFF = 0.9
_FUZZY_MIN = 7
_LONGEST = 4  # words in the longest name of the table


@dataclass(frozen=True)
class Identity:
    classes: frozenset[MaterialClass]
    unknown: str | None = None  # what labctl cannot tell, said for a person; None when it can tell


_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"))


# Letters of other scripts that look like Latin ones: 'ТНF' typed on a Cyrillic layout is THF.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТХУаеорсухкΑΒΕΗΙΚΜΝΟΡΤΧΥΖο", "ABEKMHOPCTXYaeopcyxkABEHIKMNOPTXYZo")


def _fold(text: str) -> str:
    """Full-width and compatibility forms folded ('／' is '/'), look-alike Cyrillic and Greek letters as Latin
    ('ТНF' typed on a Cyrillic layout is THF)."""
    return unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)


def dashes(text: str) -> str:
    """One spelling of what a person sees, every dash as '-' too: 'toluene–THF' is toluene-THF."""
    return _fold(text).translate(_DASHES)


def normalise(text: str) -> str:
    """One key per spelling: 'Et₂O', 'et2o' and 'ET-2-O' are the same name."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _bare(key: str) -> str:
    return key.lstrip("0123456789") or key  # '1,4-dioxane' → 'dioxane', '2-MeTHF' → 'methf'


def _index() -> dict[str, frozenset[MaterialClass]]:
    index: dict[str, frozenset[MaterialClass]] = {}
    for name, classes in NAMES.items():
        for key in (normalise(name), _bare(normalise(name))):
            index[key] = index.get(key, frozenset()) | classes
    return index


_INDEX = _index()
_KEYS = sorted(_INDEX)
_WORDS = re.compile(r"[^\s,;/+()\[\]{}:&|·•∙]+")  # '·' joins an adduct: KCp*·OEt2
_SOLVENT_PHRASE = re.compile(r"\b(?:in|dissolved in|solution in)\s+([^(),;]+)", re.IGNORECASE)


def _lookup(key: str) -> frozenset[MaterialClass] | None:
    found = _INDEX.get(key)
    if found is None:
        found = _INDEX.get(_bare(key))
    if found is None and len(key) >= _FUZZY_MIN:
        close = difflib.get_close_matches(key, _KEYS, n=1, cutoff=_FUZZY_CUTOFF)
        found = _INDEX[close[0]] if close else None
    return found


def _fragments(key: str) -> frozenset[MaterialClass]:
    if any(no in key for no in NOT_FRAGMENTS):
        return frozenset()
    return frozenset(c for part, classes in FRAGMENTS.items() if part in key for c in classes)


@lru_cache(maxsize=4096)
def name_classes(name: str) -> frozenset[MaterialClass]:
    """Classes the name implies: the longest run of words that is a known name wins; a word no run matches is
    tried by its hyphenated parts ('toluene-THF'), then by its telling fragments ('polyether')."""
    return frozenset(_runs([w for w in _WORDS.findall(dashes(name)) if normalise(w)], split=True))


def _runs(words: list[str], *, split: bool) -> set[MaterialClass]:
    found: set[MaterialClass] = set()
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST, len(words) - i), 0, -1):
            classes = _lookup(normalise("".join(words[i : i + n])))
            if classes is not None:
                found |= classes
                i += n
                break
        else:
            parts = [p for p in words[i].split("-") if normalise(p)]
            if split and len(parts) > 1:
                found |= _runs(parts, split=False)
            found |= _fragments(normalise(words[i]))
            i += 1
    return found


def _solvent_unknown(material: Material) -> str | None:
    """A solution's solvent must be known too: 'MgBr solution in Cyrene' is MgBr in something unknown."""
    phrase = _SOLVENT_PHRASE.search(material.name)
    if phrase is None or SOLVENT_FAMILIES & set(material.classes):
        return None
    solvent = phrase.group(1).strip()
    return None if name_classes(solvent) & SOLVENT_FAMILIES else f"the solvent '{solvent}'"


_MIXTURE = re.compile(r"\s*(?:/|\+|&|\band\b|[\u2013\u2014])\s*", re.IGNORECASE)  # an en or em dash joins two
_ASIDE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def _component_unknown(material: Material) -> str | None:
    """Each part of a named mixture must be known: 'toluene/Isopar G' is toluene and something else. Declared
    classes clear it only when they name a solvent family the known parts' names do not (they then speak for
    the rest); classes that describe the known parts ('amine' for the NEt3 in an MgBr solution) do not."""
    parts = [
        p for p in _MIXTURE.split(_ASIDE.sub(" ", _fold(material.name))) if re.search(r"[^\W\d_]|\d-\d", p)
    ]
    if len(parts) < 2:
        return None
    named = frozenset().union(*(name_classes(p) for p in parts))
    if (frozenset(material.classes) - named) & SOLVENT_FAMILIES:
        return None
    unknown = [p.strip() for p in parts if not name_classes(p) - NOT_IDENTITY]
    return f"'{unknown[0]}' in the mixture '{material.name}'" if unknown else None


def identify(material: Material) -> Identity:
    """The classes declared, implied by the name and read from the SMILES; and what stays unknown. A SMILES RDKit
    cannot read adds nothing (a rule says so): the name and the declared classes must then tell."""
    classes = _held_to_permanganate(frozenset(material.classes) | name_classes(material.name))
    structure = _structure(material.smiles)
    if structure is not None:
        return Identity(_held_to_permanganate(classes | structure))
    if not (classes - NOT_IDENTITY):
        return Identity(classes, f"the name '{material.name}'")
    return Identity(classes, _solvent_unknown(material) or _component_unknown(material))


def _held_to_permanganate(classes: frozenset[MaterialClass]) -> frozenset[MaterialClass]:
    """An oxidant whose chemistry labctl does not know is held to the rules of the one it does (KMnO4's heat,
    gates, trips and quench), never to none."""
    return classes | {C.PERMANGANATE} if C.OXIDANT in classes else classes


def _structure(smiles: str | None) -> frozenset[MaterialClass] | None:
    if smiles is None:
        return None
    try:
        return smiles_classes(smiles)
    except SmilesError:
        return None


def _by_name(table: dict[str, float]) -> dict[str, float]:
    return {key: value for name, value in table.items() for key in (normalise(name), _bare(normalise(name)))}


_BOILING = _by_name(BOILING_POINTS)
_MOLAR_MASS = _by_name(MOLAR_MASSES)
_SOLUTE_MOLAR_MASS = _by_name({n: v for n, v in MOLAR_MASSES.items() if n not in LIQUIDS})
_SOLUBILITY = _by_name(SOLUBILITY_G_L)
_CP = _by_name({name: cp for name, (cp, _) in LIQUIDS.items()})
_DENSITY = _by_name({name: rho for name, (_, rho) in LIQUIDS.items()})


def _named(material: Material, table: dict[str, float]) -> list[float]:
    """The values of every known name within the material's name ('ethanol (absolute)', 'toluene/THF'), a
    hyphenated word's parts too when the whole is not known ('acetone–methanol')."""
    words = [w for w in _WORDS.findall(dashes(material.name)) if normalise(w)]
    found = _values(words, table)
    for word in words:
        parts = [p for p in word.split("-") if normalise(p)]
        if len(parts) > 1 and not _values([word], table):
            found += _values(parts, table)
    return found


def _values(words: list[str], table: dict[str, float]) -> list[float]:
    runs = (
        normalise("".join(words[i : i + n]))
        for i in range(len(words))
        for n in range(1, min(_LONGEST, len(words) - i) + 1)
    )
    return [v for key in runs if (v := table.get(key, table.get(_bare(key)))) is not None]


def boiling_point(material: Material) -> float | None:
    """Declared, or the lowest of the known solvents its name names."""
    if material.boiling_point is not None:
        return material.boiling_point
    found = _named(material, _BOILING)
    return min(found) if found else None


def liquid(material: Material) -> tuple[float, float] | None:
    """(specific heat J/(g·K), density g/mL) of a liquid the table knows by the name; None for a mixture of
    several or anything else."""
    cps, densities = _named(material, _CP), _named(material, _DENSITY)
    if len(set(cps)) != 1 or len(set(densities)) != 1:
        return None
    return cps[0], densities[0]


def molar_masses(material: Material) -> list[float]:
    """The molar masses of the known compounds its name names; of a solution ('NaHSO3 in water') its solutes'
    only, since its molar mass is the solute's."""
    return _named(material, _SOLUTE_MOLAR_MASS) or _named(material, _MOLAR_MASS)


def solubility(material: Material) -> float | None:
    """The least solubility (g/L of aqueous solution) of the solutes its name names; None when none is known."""
    found = _named(material, _SOLUBILITY)
    return min(found) if found else None
