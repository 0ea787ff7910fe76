"""Materials are referenced correctly and their amounts agree with each other."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.protocol.checks.chemistry import declared_mass
from labctl.protocol.checks.context import CheckContext, repeats
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.rules.labels import stated_purity
from labctl.protocol.model import Material
from labctl.protocol.steps import Charge, DoseSolid, Pump, Quench, Step
from labctl.quantities.units import Kind, format_quantity
from labctl.yamlfile.source_map import DataPath


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
        error(
            "MATERIAL-UNUSED",
            f"material '{m.id}' is declared but no step adds it and it is not initially_present",
            ("materials", i, "id"),
        )
        for i, m in enumerate(ctx.protocol.materials)
        if m.role != "product" and not m.initially_present and m.id not in added
    ]
    return findings


def check_products_added(ctx: CheckContext) -> list[Finding]:
    """A product is made in the flask, never added: a material block copied from the product and charged keeps
    `role: product`, and a product's identity is not checked beside MgBr or the oxidant."""
    return [
        error(
            "MATERIAL-ROLE",
            f"'{a.material.id}' has role 'product' but is added by {a.how}: a material that goes into the vessel "
            "needs its real role (solvent, reagent, substrate, catalyst, quench), so that its identity is checked",
            a.path,
        )
        for a in ctx.ledger.additions
        if a.material.role == "product"
    ]


def check_step_ids(ctx: CheckContext) -> list[Finding]:
    steps = ctx.protocol.steps
    return [
        error("STEP-ID-DUPLICATE", f"step id '{steps[i].id}' is used twice", ("steps", i, "id"))
        for i, _ in repeats(s.id for s in steps)
    ]


def check_amounts(ctx: CheckContext) -> list[Finding]:
    findings = []
    tolerance = ctx.config.amount_tolerance / 100.0
    for i, m in enumerate(ctx.protocol.materials):
        if m.amount is not None and m.mass is not None and m.molar_mass is not None:
            purity = stated_purity(m)  # '(crude, 85 % purity)': the amount is what the mass holds of it
            from_mass = m.mass * (purity or 1.0) / m.molar_mass
            if abs(from_mass - m.amount) > tolerance * m.amount:
                by = f"mass × {purity:.0%} purity/molar_mass" if purity is not None else "mass/molar_mass"
                findings.append(
                    error(
                        "MATERIAL-AMOUNT",
                        f"amount {format_quantity(m.amount, Kind.AMOUNT)} disagrees with {by} = "
                        f"{format_quantity(from_mass, Kind.AMOUNT)} (tolerance {ctx.config.amount_tolerance:g} %)",
                        ("materials", i, "amount"),
                    )
                )
        findings += _concentration_disagrees(ctx, i, m, tolerance)
        if (
            m.role in ("substrate", "reagent")
            and m.mass is not None
            and m.amount is not None
            and m.molar_mass is None
        ):
            findings.append(
                error(
                    "MATERIAL-AMOUNT",
                    f"'{m.id}' gives a mass and an amount but no molar_mass, so the two cannot be checked against "
                    "each other (54.0 g typed as 45.0 g would pass): give its molar_mass",
                    ("materials", i, "amount"),
                )
            )
    return findings


def _concentration_disagrees(ctx: CheckContext, i: int, m: Material, tolerance: float) -> list[Finding]:
    """A solution given by its solute's figures and by a concentration: the two must be the same solution, or
    whoever makes it up from one of them makes another batch (a 1 M label on 25 g in 50 mL is a quarter)."""
    if m.volume is None or m.concentration is None:
        return []
    by_concentration = m.volume / 1000.0 * m.concentration
    other = m.amount if m.amount is not None else m.moles() if m.mass is not None else None
    if other is None or abs(by_concentration - other) <= tolerance * other:
        return []
    return [
        error(
            "MATERIAL-AMOUNT",
            f"concentration × volume gives {format_quantity(by_concentration, Kind.AMOUNT)}, but its "
            f"{'amount' if m.amount is not None else 'mass/molar_mass'} gives {format_quantity(other, Kind.AMOUNT)} "
            f"(tolerance {ctx.config.amount_tolerance:g} %): one of them is not this solution",
            ("materials", i, "concentration"),
        )
    ]


def check_dose_amounts(ctx: CheckContext) -> list[Finding]:
    findings = []
    for index, dose in ctx.doses():
        material = ctx.protocol.material(dose.material)
        mass = declared_mass(material) if material is not None else None
        if material is not None and mass is not None and dose.total > mass * 1.0001:
            findings.append(
                error(
                    "DOSE-AMOUNT",
                    f"doses {format_quantity(dose.total, Kind.MASS)} of '{material.id}' but only "
                    f"{format_quantity(mass, Kind.MASS)} is declared",
                    ("steps", index, "total"),
                )
            )
    return findings


def check_short(ctx: CheckContext) -> list[Finding]:
    """A reagent or substrate the steps add only part of: the batch is not what its materials say."""
    findings = []
    tolerance = ctx.config.amount_tolerance / 100.0
    for i, m in enumerate(ctx.protocol.materials):
        additions = ctx.ledger.of(m.id)
        fraction = ctx.ledger.fraction(m.id)
        if m.role not in _REACTANTS or not additions or fraction is None or fraction >= 1.0 - tolerance:
            continue
        findings.append(
            error(
                "MATERIAL-SHORT",
                f"'{m.id}' declares {_declared(m)} but its steps add {fraction:.0%} of it: equivalents, heat and "
                "quench are judged on the larger figure, so make the two agree",
                ("materials", i, _amount_key(m)),
            )
        )
    return findings


_REACTANTS = ("reagent", "substrate")


def _amount_key(m: Material) -> str:
    return "amount" if m.amount is not None else "mass" if m.mass is not None else "id"


def check_excess(ctx: CheckContext) -> list[Finding]:
    """More of a material added than declared, summed over every way it enters (one step alone: DOSE-AMOUNT)."""
    findings = []
    for material in {m.id: m for m in ctx.protocol.materials}.values():
        added = 0.0
        for addition in ctx.ledger.of(material.id):
            if addition.fraction is None:
                break  # how much this adds cannot be told; MATERIAL-AMOUNT rules say so where it matters
            added += addition.fraction
            if added > 1.0001 and addition.fraction <= 1.0001:
                findings.append(error("MATERIAL-EXCESS", _excess(ctx, material, added), addition.path))
                break
    return findings


def _excess(ctx: CheckContext, material: Material, fraction: float) -> str:
    ways = ", ".join(
        f"{a.how} ({'at the start' if a.step < 0 else f'step {a.step + 1}'})"
        for a in ctx.ledger.of(material.id)
    )
    declared = _declared(material)
    return (
        f"'{material.id}' enters the vessel again here: {fraction:.2g} times the {declared} declared in all "
        f"({ways}); each step adds its own share, so the batch would hold more than the materials say"
    )


def _declared(material: Material) -> str:
    if material.amount is not None:
        return format_quantity(material.amount, Kind.AMOUNT)
    if material.mass is not None:
        return format_quantity(material.mass, Kind.MASS)
    if material.volume is not None:
        return format_quantity(material.volume, Kind.VOLUME)
    return "amount"


RULES = [
    check_products_added,
    check_references,
    check_step_ids,
    check_amounts,
    check_dose_amounts,
    check_excess,
    check_short,
]
