"""`heat_release` is what the heat balance measures while an oxidant is dosed: it is known only there, so only
the gate of a dose of an oxidant into a vessel of declared heat capacity may wait for it, and only as a floor
(a portion waits until enough of the earlier ones has reacted). Anywhere else it would never be known: a gate
there would never open, an interlock never fire."""

from __future__ import annotations

from collections.abc import Iterator

from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.conditions import Comparison, Condition, Signal
from labctl.protocol.model import MaterialClass
from labctl.protocol.steps import DoseSolid, Quench, TimedStep
from labctl.yamlfile.source_map import DataPath

RULE = "HEAT-RELEASE-GATE"
_OXIDANTS = {MaterialClass.OXIDANT, MaterialClass.PERMANGANATE}


def check_heat_release(ctx: CheckContext) -> list[Finding]:
    findings = []
    for path, condition, dose in _conditions(ctx):
        if not isinstance(condition, Comparison) or condition.signal is not Signal.HEAT_RELEASE:
            continue
        problem = _misplaced(ctx, dose) or _misshapen(condition)
        if problem is not None:
            findings.append(error(RULE, f"'{condition}': {problem}", path))
    findings += _hysteresis(ctx)
    return findings


def _misplaced(ctx: CheckContext, dose: DoseSolid | None) -> str | None:
    if dose is None:
        return (
            "heat_release is measured only while an oxidant is dosed; only a dose_solid gate may wait for it"
        )
    material = ctx.protocol.material(dose.material)
    if material is None or not classes_of(material) & _OXIDANTS:
        return f"the heat balance measures the oxidant's heat; '{dose.material}' is not an oxidant"
    reactor = ctx.protocol.reactor
    if reactor is None or reactor.heat_capacity is None:
        return "the heat balance needs reactor.heat_capacity (the charge's, e.g. '1.01 kJ/K')"
    return None


def _misshapen(condition: Comparison) -> str | None:
    if condition.op.is_upper_bound:
        return (
            "a floor is expected (heat_release >= 80 %): the next portion waits until the earlier ones react"
        )
    if not 0 < condition.threshold <= 100:
        return "a share above 0 % and at most 100 % is expected"
    return None


def _hysteresis(ctx: CheckContext) -> list[Finding]:
    return [
        error(RULE, "hysteresis is in kelvin; a heat_release gate takes none", ("steps", i, "gate", j))
        for i, dose in ctx.doses()
        for j, gate in enumerate(dose.gate)
        if _is_heat_release(gate.when) and gate.hysteresis is not None
    ]


def _is_heat_release(condition: Condition) -> bool:
    return isinstance(condition, Comparison) and condition.signal is Signal.HEAT_RELEASE


def _conditions(ctx: CheckContext) -> Iterator[tuple[DataPath, Condition, DoseSolid | None]]:
    """Every condition the protocol writes, where it stands, and the dose whose gate it is (None elsewhere)."""
    for i, step in ctx.steps():
        if isinstance(step, DoseSolid):
            for j, gate in enumerate(step.gate):
                yield ("steps", i, "gate", j), gate.when, step
        if isinstance(step, Quench):
            for j, condition in enumerate(step.permissive):
                yield ("steps", i, "permissive", j), condition, None
        if isinstance(step, TimedStep) and step.supervision is not None:
            for j, condition in enumerate(step.supervision.only_while):
                yield ("steps", i, "supervision", "only_while", j), condition, None
    for j, lock in enumerate(ctx.protocol.interlocks):
        yield ("interlocks", j, "when"), lock.when, None


RULES = [check_heat_release]
