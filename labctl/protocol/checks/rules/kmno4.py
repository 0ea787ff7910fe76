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
from labctl.protocol.checks.ledger import pessimistic
from labctl.protocol.checks.timeline import ever_together
from labctl.protocol.model import Material, MaterialClass
from labctl.yamlfile.source_map import DataPath


def check_stoichiometry(ctx: CheckContext) -> list[Finding]:
    """Equivalents of what enters the batch (the ledger), not of what is declared: a dose written twice doubles them."""
    oxidants = with_class(ctx.protocol, MaterialClass.PERMANGANATE)
    if not oxidants or not ctx.ledger.with_class(MaterialClass.PERMANGANATE):
        return []
    path = ("materials", oxidants[0][0])
    if not with_class(ctx.protocol, MaterialClass.ALKENE):
        return [
            error(
                "KMNO4-STOICH",
                "KMnO4 is used but no material is tagged 'alkene' to count equivalents against",
                path,
            )
        ]
    n_ox = pessimistic(max, total_moles(oxidants), ctx.ledger.moles(MaterialClass.PERMANGANATE))
    n_alk = pessimistic(
        min,
        total_moles(with_class(ctx.protocol, MaterialClass.ALKENE)),
        ctx.ledger.moles(MaterialClass.ALKENE),
    )
    if n_ox is None or n_alk is None:
        return [
            error(
                "MATERIAL-AMOUNT",
                "the amounts of KMnO4 and of the alkene must be known (give amount, or "
                "mass with molar_mass) to check the stoichiometry",
                path,
            )
        ]
    return _judge_ratio(ctx, n_ox / n_alk, _ratio_at(ctx, oxidants, n_ox))


def _ratio_at(ctx: CheckContext, oxidants: list[tuple[int, Material]], added: float) -> DataPath:
    """The declared amount, or the last addition when more enters than is declared."""
    declared = total_moles(oxidants)
    if declared is not None and added > declared * 1.0001:
        return ctx.ledger.with_class(MaterialClass.PERMANGANATE)[-1].path
    return ("materials", oxidants[0][0], _amount_key(ctx, oxidants[0][0]))


def _judge_ratio(ctx: CheckContext, ratio: float, where: DataPath) -> list[Finding]:
    cfg = ctx.config
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
