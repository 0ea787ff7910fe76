"""The oxidation's composition against the procedure's: the consumption model behind every MTSR figure assumes
the catalysed rate (10 mol % QAS-2) at the procedure's dilution (0.5 M in acetone). A tenth of the catalyst
dissolves the oxidant far more slowly than the model says, hiding its accumulation; a tenth of the solvent
leaves a paste with a tenth of the heat capacity."""

from __future__ import annotations

from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.ledger import Addition
from labctl.protocol.model import MaterialClass
from labctl.yamlfile.source_map import DataPath


def _before(ctx: CheckContext, step: int) -> list[Addition]:
    return [a for a in ctx.ledger.additions if a.step <= step]  # what is in the vessel as the oxidant goes in


def check_catalyst(ctx: CheckContext) -> list[Finding]:
    first = ctx.ledger.first_step(MaterialClass.PERMANGANATE)
    alkene = ctx.ledger.moles_until(MaterialClass.ALKENE, first) if first is not None else None
    if first is None or not alkene:
        return []
    least = ctx.config.min_catalyst_loading / 100.0
    catalysts = [a for a in _before(ctx, first) if MaterialClass.PHASE_TRANSFER in classes_of(a.material)]
    if not catalysts and any(
        MaterialClass.PHASE_TRANSFER in classes_of(a.material) for a in ctx.ledger.additions
    ):
        return []  # it comes later: ORDER-SUBSTRATE-FIRST says so
    known = [a.moles for a in catalysts if a.moles is not None]
    loading = sum(known) / alkene if known else None
    if loading is not None and loading >= least:
        return []
    said = "no phase-transfer catalyst" if loading is None else f"{loading:.1%} phase-transfer catalyst"
    at = catalysts[0].path if catalysts else ("steps", first)
    return [
        error(
            "CATALYST-LOADING",
            f"the oxidant meets {said} per alkene, less than {ctx.config.min_catalyst_loading:g} mol %: KMnO4 "
            "then dissolves far more slowly than the consumption model assumes, and accumulates unseen",
            at,
        )
    ]


def check_concentration(ctx: CheckContext) -> list[Finding]:
    first = ctx.ledger.first_step(MaterialClass.PERMANGANATE)
    alkene = ctx.ledger.moles_until(MaterialClass.ALKENE, first) if first is not None else None
    if first is None or not alkene:
        return []
    litres = sum(
        a.material.volume * (a.fraction if a.fraction is not None else 1.0) / 1000.0
        for a in _before(ctx, first)
        if a.material.volume is not None and MaterialClass.SOLVENT in classes_of(a.material)
    )
    most = ctx.config.max_substrate_concentration
    if litres > 0 and alkene / litres <= most:
        return []
    said = "no solvent" if litres == 0 else f"{alkene / litres:.2g} mol/L"
    solvents = [
        (m.volume, i)
        for i, m in enumerate(ctx.protocol.materials)
        if m.volume and MaterialClass.SOLVENT in classes_of(m)
    ]
    at: DataPath = ("materials", max(solvents)[1], "volume") if solvents else ("steps", first)
    return [
        error(
            "SUBSTRATE-CONCENTRATION",
            f"the alkene is at {said} when the oxidant goes in, more than {most:g} mol/L (the procedure runs at "
            "0.5 mol/L): too little solvent to stir, and too little heat capacity for the heat",
            at,
        )
    ]


RULES = [check_catalyst, check_concentration]
