"""What a person is told agrees with what the checker judged: the operator weighs what the instruction says, not
what the material block says, and transfers MgBr at the temperature the instruction names."""

from __future__ import annotations

import re

from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.model import Material, MaterialClass
from labctl.protocol.steps import Charge

_QUANTITY = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(mg|g|kg|mL|ml|L|mmol|mol)(?![\w/])")
_TEMPERATURE = re.compile(r"([-−–]?\s?\d+(?:[.,]\d+)?)\s*(?:°\s?C|℃|degC)")
_TO_CANONICAL = {"mg": 0.001, "g": 1.0, "kg": 1000.0, "ml": 1.0, "l": 1000.0, "mmol": 0.001, "mol": 1.0}
_MATCH = 0.02


def _number(text: str) -> float:
    return float(text.replace(",", ".").replace("−", "-").replace("–", "-").replace(" ", ""))


def _figures(m: Material) -> list[float]:
    return [v for v in (m.mass, m.volume, m.amount) if v is not None]


def check_charge_figures(ctx: CheckContext) -> list[Finding]:
    """Every amount an instruction names is one its materials declare: 'Charge 45.0 g 1t' beside 54.0 g is
    what gets weighed."""
    findings = []
    for index, step in ctx.steps():
        if not isinstance(step, Charge) or not step.instruction:
            continue
        materials = [m for ref in step.materials if (m := ctx.protocol.material(ref)) is not None]
        declared = [f for m in materials for f in _figures(m)]
        for match in _QUANTITY.finditer(step.instruction):
            value = _number(match[1]) * _TO_CANONICAL[match[2].lower()]
            if declared and not any(abs(value - f) <= _MATCH * f for f in declared):
                findings.append(
                    error(
                        "INSTRUCTION-FIGURES",
                        f"the instruction says '{match[0]}', which none of this step's materials declares: the "
                        "operator adds what the instruction says, so make the two agree",
                        ("steps", index, "instruction"),
                    )
                )
    return findings


def check_mgbr_temperatures(ctx: CheckContext) -> list[Finding]:
    """A temperature an instruction gives for handling MgBr is below its loss limit, with the margin."""
    limit = ctx.config.mgbr_max - ctx.config.mgbr_alarm_margin
    findings = []
    for index, step in ctx.steps():
        if not isinstance(step, Charge) or not step.instruction:
            continue  # only a charge, which a person carries out, adds MgBr by an instruction
        adds_mgbr = any(
            (m := ctx.protocol.material(ref)) is not None and MaterialClass.MG_I_HALIDE in classes_of(m)
            for ref in step.materials
        )
        if not adds_mgbr:
            continue
        for match in _TEMPERATURE.finditer(step.instruction):
            if _number(match[1]) > limit:
                findings.append(
                    error(
                        "INSTRUCTION-FIGURES",
                        f"the instruction names {match[0].strip()} for MgBr, warmer than {limit:g} °C: above "
                        "-40 °C it is lost, and the operator follows the instruction",
                        ("steps", index, "instruction"),
                    )
                )
    return findings


RULES = [check_charge_figures, check_mgbr_temperatures]
