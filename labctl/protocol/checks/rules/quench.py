"""The bisulfite quench: present, enough, only after the hold, only into a cold reactor (process-model §3)."""

from __future__ import annotations

from labctl.protocol.checks.chemistry import classes_of, total_moles, with_class
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.ledger import pessimistic
from labctl.protocol.model import Material, MaterialClass
from labctl.protocol.steps import Hold, Quench
from labctl.quantities.units import Kind, format_quantity


def _oxidant_doses(ctx: CheckContext) -> list[int]:
    oxidants = {m.id for _, m in with_class(ctx.protocol, MaterialClass.PERMANGANATE)}
    return [i for i, s in ctx.steps() if s.adds() and set(s.adds()) & oxidants and not isinstance(s, Quench)]


def _quenches(ctx: CheckContext) -> list[tuple[int, Quench]]:
    return [(i, s) for i, s in ctx.steps() if isinstance(s, Quench)]


def check_presence_and_order(ctx: CheckContext) -> list[Finding]:
    doses = _oxidant_doses(ctx)
    if not doses:
        return []
    quenches = _quenches(ctx)
    if not quenches:
        return [error("QUENCH-MISSING", "KMnO4 is added but no quench step follows", ("steps",))]
    findings = []
    last_dose = max(doses)
    for index, _ in quenches:
        held = any(isinstance(s, Hold) for i, s in ctx.steps() if last_dose < i < index)
        if not held:
            findings.append(
                error(
                    "QUENCH-ORDER",
                    "the quench must come after the hold that follows the last KMnO4 addition",
                    ("steps", index),
                )
            )
    return findings


def check_amount(ctx: CheckContext) -> list[Finding]:
    """All the bisulfite the quench steps pump, against all the oxidant in the batch by the last of them."""
    quenches = _quenches(ctx)
    if not quenches:
        return []
    last = quenches[-1][0]
    n_ox = pessimistic(
        max,
        total_moles(with_class(ctx.protocol, MaterialClass.PERMANGANATE)),
        ctx.ledger.moles_until(MaterialClass.PERMANGANATE, last),
    )
    n_alk = pessimistic(
        min,
        total_moles(with_class(ctx.protocol, MaterialClass.ALKENE)),
        ctx.ledger.moles_until(MaterialClass.ALKENE, last),
    )
    if n_ox is None:
        return []
    findings, have, partial = _bisulfite(ctx, quenches)
    if have is None:
        return findings
    needed = ctx.config.quench_factor * max(0.0, 3 * n_ox - 2 * (n_alk or 0.0)) / 2
    if have < needed:
        steps = f" in the {len(quenches)} quench steps" if len(quenches) > 1 else ""
        pumped = f" in the {format_quantity(quenches[-1][1].volume, Kind.VOLUME)} pumped" if partial else ""
        findings.append(
            error(
                "QUENCH-AMOUNT",
                f"{have * 1000:.0f} mmol bisulfite{steps or pumped} is less than the "
                f"{needed * 1000:.0f} mmol needed ({ctx.config.quench_factor:g} × (3·n KMnO4 − 2·n alkene)/2)",
                ("steps", last, "volume") if partial else ("steps", last, "material"),
            )
        )
    return findings


def _bisulfite(
    ctx: CheckContext, quenches: list[tuple[int, Quench]]
) -> tuple[list[Finding], float | None, bool]:
    """Findings about the quench materials, the bisulfite they bring (None: cannot be told), and whether a step
    pumps only part of its material."""
    findings: list[Finding] = []
    have, partial = 0.0, False
    for index, step in quenches:
        material = ctx.protocol.material(step.material)
        if material is None:
            continue
        path = ("steps", index, "material")
        if MaterialClass.BISULFITE not in classes_of(material):
            findings.append(
                error("QUENCH-AMOUNT", f"quench material '{material.id}' is not tagged 'bisulfite'", path)
            )
            continue
        moles, part = _delivered_moles(material, step.volume)
        if moles is None:
            findings.append(
                error(
                    "MATERIAL-AMOUNT",
                    f"the amount of '{material.id}' must be known to check the quench",
                    path,
                )
            )
            return findings, None, partial
        have += moles
        partial |= part
    return findings, (have if not findings else None), partial


def _delivered_moles(material: Material, volume: float) -> tuple[float | None, bool]:
    """Moles the quench step actually pumps, and whether that is less than all of the material."""
    total = material.moles()
    if material.volume:
        if volume < material.volume and total is not None:
            return total * volume / material.volume, True
        return total, False
    if material.concentration is not None:
        return volume / 1000.0 * material.concentration, True
    return total, False


def check_permissive(ctx: CheckContext) -> list[Finding]:
    limit = ctx.config.quench_max_start
    findings = []
    for index, step in _quenches(ctx):
        found = step.permissive_limit()
        if found is None or found > limit:
            allowed = (
                "no limit on Tr" if found is None else f"Tr up to {format_quantity(found, Kind.TEMPERATURE)}"
            )
            findings.append(
                error(
                    "QUENCH-PERMISSIVE",
                    f"the permissive allows {allowed}; the quench is exothermic "
                    f"and must start only at 'Tr <= {format_quantity(limit, Kind.TEMPERATURE)}'",
                    ("steps", index, "permissive"),
                )
            )
    return findings


RULES = [check_presence_and_order, check_amount, check_permissive]
