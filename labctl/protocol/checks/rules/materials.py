"""Materials are referenced correctly and their amounts agree with each other."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error, warning
from labctl.protocol.source import DataPath
from labctl.protocol.steps import Charge, DoseSolid, Pump, Quench, Step
from labctl.protocol.units import Kind, format_quantity


def material_refs(step: Step, index: int) -> Iterator[tuple[str, DataPath]]:
    """Every material id a step names, with the path of the name."""
    base: DataPath = ("steps", index)
    if isinstance(step, DoseSolid | Pump | Quench):
        yield step.material, (*base, "material")
    if isinstance(step, Charge):
        for j, material in enumerate(step.materials):
            yield material, (*base, "materials", j)
    for j, material in enumerate(step.consumes):
        yield material, (*base, "consumes", j)


def check_references(ctx: CheckContext) -> list[Finding]:
    known = {m.id for m in ctx.protocol.materials}
    findings = [
        error("MATERIAL-REF", f"no material '{ref}' is declared (known: {', '.join(sorted(known))})", path)
        for index, step in ctx.steps()
        for ref, path in material_refs(step, index)
        if ref not in known
    ]
    added = {m for _, step in ctx.steps() for m in step.adds()}
    findings += [
        warning(
            "MATERIAL-UNUSED",
            f"material '{m.id}' is declared but no step adds it and it is not initially_present",
            ("materials", i, "id"),
        )
        for i, m in enumerate(ctx.protocol.materials)
        if m.role != "product" and not m.initially_present and m.id not in added
    ]
    return findings


def check_step_ids(ctx: CheckContext) -> list[Finding]:
    seen: set[str] = set()
    findings = []
    for index, step in ctx.steps():
        if step.id is not None:
            if step.id in seen:
                findings.append(
                    error("STEP-ID-DUPLICATE", f"step id '{step.id}' is used twice", ("steps", index, "id"))
                )
            seen.add(step.id)
    return findings


def check_amounts(ctx: CheckContext) -> list[Finding]:
    findings = []
    tolerance = ctx.config.amount_tolerance / 100.0
    for i, m in enumerate(ctx.protocol.materials):
        if m.amount is not None and m.mass is not None and m.molar_mass is not None:
            from_mass = m.mass / m.molar_mass
            if abs(from_mass - m.amount) > tolerance * m.amount:
                findings.append(
                    error(
                        "MATERIAL-AMOUNT",
                        f"amount {format_quantity(m.amount, Kind.AMOUNT)} disagrees with mass/molar_mass = "
                        f"{format_quantity(from_mass, Kind.AMOUNT)} (tolerance {ctx.config.amount_tolerance:g} %)",
                        ("materials", i, "amount"),
                    )
                )
    return findings


def check_dose_amounts(ctx: CheckContext) -> list[Finding]:
    findings = []
    for index, dose in ctx.doses():
        material = ctx.protocol.material(dose.material)
        if material is not None and material.mass is not None and dose.total > material.mass * 1.0001:
            findings.append(
                error(
                    "DOSE-AMOUNT",
                    f"doses {format_quantity(dose.total, Kind.MASS)} of '{material.id}' but only "
                    f"{format_quantity(material.mass, Kind.MASS)} is declared",
                    ("steps", index, "total"),
                )
            )
    return findings


RULES = [check_references, check_step_ids, check_amounts, check_dose_amounts]
