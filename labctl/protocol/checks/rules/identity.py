"""Every material is one thing with one id, and beside MgBr or a strong oxidant labctl can tell what it is."""

from __future__ import annotations

from labctl.protocol.checks.chemistry import (
    INCOMPATIBLE_WITH_PERMANGANATE,
    PROTIC,
    VIOLENT_WITH_MGBR,
    classes_of,
)
from labctl.protocol.checks.context import CheckContext, repeats
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.identity import identify
from labctl.protocol.checks.smiles import SmilesError, smiles_classes
from labctl.protocol.model import Material, MaterialClass

C = MaterialClass
_SENSITIVE = {
    C.MG_I_HALIDE: "MgBr",
    C.PERMANGANATE: "the oxidant",
    C.OXIDANT: "the oxidant",
}
# A sensitive material that is itself, in part, what it must never meet (e.g. "MgBr solution in THF").
_WITHIN = (
    ("MGBR-ETHER", C.MG_I_HALIDE, {C.ETHER}, "an ether-class solvent: it precipitates Mg metal at once"),
    ("MGBR-PROTIC", C.MG_I_HALIDE, PROTIC, "water, an alcohol or an acid: it destroys MgBr"),
    (
        "MGBR-VIOLENT",
        C.MG_I_HALIDE,
        VIOLENT_WITH_MGBR,
        "a halocarbon or an oxidant: with a strong reductant it reacts violently",
    ),
    (
        "KMNO4-INCOMPATIBLE",
        C.PERMANGANATE,
        INCOMPATIBLE_WITH_PERMANGANATE,
        "oxidised violently by permanganate",
    ),
)


def check_duplicate_ids(ctx: CheckContext) -> list[Finding]:
    materials = ctx.protocol.materials
    return [
        error(
            "MATERIAL-ID-DUPLICATE",
            f"material id '{materials[i].id}' is already used by materials[{first}] "
            f"('{materials[first].name}'): every step naming it would mean both",
            ("materials", i, "id"),
        )
        for i, first in repeats(m.id for m in materials)
    ]


def check_smiles(ctx: CheckContext) -> list[Finding]:
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        if m.smiles is not None:
            try:
                smiles_classes(m.smiles)
            except SmilesError as exc:
                findings.append(error("MATERIAL-SMILES", f"{exc}: '{m.id}' stays unidentified", _at(i, m)))
    return findings


def _sensitive(m: Material) -> str | None:
    classes = classes_of(m)
    return next((what for cls, what in _SENSITIVE.items() if cls in classes), None)


def _meets(ctx: CheckContext) -> dict[str, tuple[int, str]]:
    """Each material that ever shares the vessel with (or is) a sensitive one: the first step and what it meets."""
    sensitive = {
        m.id: what for m in ctx.protocol.materials if m.role != "product" and (what := _sensitive(m))
    }
    met: dict[str, tuple[int, str]] = {}
    for index, here in enumerate(ctx.present):
        for reagent in sorted(here & sensitive.keys()):
            for other in sorted(here):
                met.setdefault(other, (index, f"{sensitive[reagent]} '{reagent}'"))
    return met


def check_identified(ctx: CheckContext) -> list[Finding]:
    met = _meets(ctx)
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        unknown = identify(m).unknown
        if m.role == "product" or m.id not in met or unknown is None:
            continue
        index, what = met[m.id]
        itself = _sensitive(m)
        beside = f"is {itself}" if itself else f"meets {what} from step {index + 1} on"
        findings.append(
            error(
                "MATERIAL-UNKNOWN",
                f"'{m.id}' {beside}, and labctl cannot tell what {unknown} is: declare what it is with "
                "`classes:` (e.g. [hydrocarbon, aromatic]; `solvent` says only what it is for) or give its "
                "`smiles:`; an unidentified material is treated as the dangerous case",
                _at(i, m),
            )
        )
    return findings


def check_within(ctx: CheckContext) -> list[Finding]:
    findings = []
    for i, m in enumerate(ctx.protocol.materials):
        classes = classes_of(m)
        for rule, reagent, bad, why in _WITHIN:
            if m.role != "product" and reagent in classes and classes & bad:
                kinds = ", ".join(sorted(str(c) for c in classes & bad))
                findings.append(
                    error(rule, f"'{m.id}' ('{m.name}') is itself in part {kinds}: {why}", _at(i, m))
                )
    return findings


def _at(i: int, m: Material) -> tuple[str | int, ...]:
    return ("materials", i, "smiles" if m.smiles is not None else "name")


RULES = [check_duplicate_ids, check_smiles, check_identified, check_within]
