"""What a material's name says it is made of agrees with its figures.

A solution is made up from its label: 'aqueous NaHSO3 (1 % w/v)' beside a mass of 1.0 g in 10 mL is a tenth of
the reductant the figures promise, and the quench the checker approved is not the one in the bottle."""

from __future__ import annotations

import re
from collections.abc import Iterator

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.model import Material

_NUMBER = r"(\d+(?:[.,]\d+)?)"
# w/v, and for a dilute aqueous solution w/w or wt % too (its density is close to 1 g/mL)
_PERCENT_WV = re.compile(_NUMBER + r"\s*(?:%\s*\(?\s*w\s*/\s*[vw]|wt\s*%|%\s*wt)", re.IGNORECASE)
_PER_VOLUME = re.compile(_NUMBER + r"\s*(mg|g)\s*/\s*(mL|L)\b", re.IGNORECASE)
_MASS_IN_VOLUME = re.compile(_NUMBER + r"\s*(mg|g|kg)\s+in\s+" + _NUMBER + r"\s*(mL|L)\b", re.IGNORECASE)
_MOLAR = re.compile(_NUMBER + r"\s*(M|mol/L|mmol/mL|mol L-1)(?![A-Za-z])")
_GRAMS = {"mg": 0.001, "g": 1.0, "kg": 1000.0}
_MILLILITRES = {"ml": 1.0, "l": 1000.0}
MATCH = 0.1  # a label within 10 % of the figures is the same solution, rounded (w/w beside w/v)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _claims(m: Material) -> Iterator[tuple[str, float, float | None]]:
    """(what the label says, its value, the figures' value or None when they do not tell)."""
    per_100_ml = m.mass / m.volume * 100.0 if m.mass is not None and m.volume else None
    for match in _PERCENT_WV.finditer(m.name):
        yield match[0].strip(), _number(match[1]), per_100_ml
    for match in _PER_VOLUME.finditer(m.name):
        grams = _number(match[1]) * _GRAMS[match[2].lower()]
        yield f"{match[0]}", grams / _MILLILITRES[match[3].lower()] * 100.0, per_100_ml
    for match in _MASS_IN_VOLUME.finditer(m.name):
        grams = _number(match[1]) * _GRAMS[match[2].lower()]
        millilitres = _number(match[3]) * _MILLILITRES[match[4].lower()]
        yield f"{match[0]}", grams / millilitres * 100.0, per_100_ml
    molar = m.concentration
    if molar is None and m.volume:
        moles = m.moles()
        molar = moles / (m.volume / 1000.0) if moles is not None else None
    for match in _MOLAR.finditer(m.name):
        yield f"{match[1]} {match[2]}", _number(match[1]), molar


_PURITY = re.compile(
    _NUMBER + r"\s*%\s*(?:purity|pure|assay|purum)|(?:purity|assay)\s*:?\s*" + _NUMBER + r"\s*%",
    re.IGNORECASE,
)


def stated_purity(m: Material) -> float | None:
    """The purity a material's name states, as a fraction; None when it states none."""
    match = _PURITY.search(m.name)
    return _number(match[1] or match[2]) / 100.0 if match is not None else None


def check_labels(ctx: CheckContext) -> list[Finding]:
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        for said, value, figures in _claims(m):
            if figures is not None and abs(value - figures) > MATCH * max(value, figures):
                findings.append(
                    error(
                        "MATERIAL-LABEL",
                        f"'{m.id}' is labelled '{said}', but its figures make {_shown(said, figures)}: the "
                        "solution made up from the label is not the one the checker judged",
                        ("materials", i, "name"),
                    )
                )
    return findings


def _shown(said: str, figures: float) -> str:
    if said.endswith(("M", "mol/L", "mmol/mL", "mol L-1")):
        return f"{figures:.3g} mol/L"
    return f"{figures:.3g} g per 100 mL"


RULES = [check_labels]
