"""KMnO4 stoichiometry and incompatibilities (process-model §3)."""

from __future__ import annotations

from labctl.protocol.checks.chemistry import (
    INCOMPATIBLE_WITH_PERMANGANATE,
    classes_of,
    total_moles,
    with_class,
)
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error, warning
from labctl.protocol.checks.timeline import ever_together
from labctl.protocol.model import MaterialClass


def check_stoichiometry(ctx: CheckContext) -> list[Finding]:
    oxidants = with_class(ctx.protocol, MaterialClass.PERMANGANATE)
    if not oxidants:
        return []
    path = ("materials", oxidants[0][0])
    alkenes = with_class(ctx.protocol, MaterialClass.ALKENE)
    if not alkenes:
        return [
            error(
                "KMNO4-STOICH",
                "KMnO4 is used but no material is tagged 'alkene' to count equivalents against",
                path,
            )
        ]
    n_ox, n_alk = total_moles(oxidants), total_moles(alkenes)
    if n_ox is None or n_alk is None:
        return [
            error(
                "MATERIAL-AMOUNT",
                "the amounts of KMnO4 and of the alkene must be known (give amount, or "
                "mass with molar_mass) to check the stoichiometry",
                path,
            )
        ]
    ratio = n_ox / n_alk
    cfg = ctx.config
    where = ("materials", oxidants[0][0], _amount_key(ctx, oxidants[0][0]))
    if ratio > cfg.stoich_fail:
        return [
            error(
                "KMNO4-STOICH",
                f"{ratio:.2f} equiv KMnO4 per alkene is above the limit of "
                f"{cfg.stoich_fail:g} equiv (over-oxidation, more heat, more quench)",
                where,
            )
        ]
    if not cfg.stoich_low <= ratio <= cfg.stoich_high:
        return [
            warning(
                "KMNO4-STOICH",
                f"{ratio:.2f} equiv KMnO4 per alkene is outside the usual "
                f"{cfg.stoich_low:g}–{cfg.stoich_high:g} equiv",
                where,
            )
        ]
    return []


def _amount_key(ctx: CheckContext, index: int) -> str:
    material = ctx.protocol.materials[index]
    return "amount" if material.amount is not None else "mass" if material.mass is not None else "id"


def check_incompatible(ctx: CheckContext) -> list[Finding]:
    oxidants = {m.id for _, m in with_class(ctx.protocol, MaterialClass.PERMANGANATE)}
    bad = {
        m.id
        for m in ctx.protocol.materials
        if m.role != "product" and classes_of(m) & INCOMPATIBLE_WITH_PERMANGANATE
    }
    met = ever_together(ctx.protocol, oxidants, bad)
    if met is None:
        return []
    index, oxidant, other = met
    kinds = ", ".join(
        sorted(
            {
                str(c)
                for m in ctx.protocol.materials
                if m.id == other
                for c in classes_of(m) & INCOMPATIBLE_WITH_PERMANGANATE
            }
        )
    )
    return [
        error(
            "KMNO4-INCOMPATIBLE",
            f"'{other}' ({kinds}) shares the vessel with KMnO4 '{oxidant}' from "
            "this step on: permanganate oxidises it violently",
            ("steps", index),
        )
    ]


RULES = [check_stoichiometry, check_incompatible]
