"""Exothermic dosing carries the trips of process-model §4, no looser than configured."""

from __future__ import annotations

from dataclasses import dataclass

from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.context import CheckContext, repeats
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.rules.dosing import exothermic_doses
from labctl.protocol.conditions import Comparison, Condition, Signal, State, StateCondition, Subject
from labctl.protocol.model import Action, Interlock, MaterialClass
from labctl.protocol.steps import DoseSolid, Quench
from labctl.quantities.units import format_quantity


@dataclass(frozen=True)
class Required:
    """An interlock the run must have: ``signal > limit`` (or a state) with one of ``actions``."""

    describe: str
    actions: frozenset[Action]
    signal: Signal | None = None
    limit: float | None = None
    state: StateCondition | None = None

    def matches(self, condition: Condition) -> bool:
        if self.state is not None:
            return condition == self.state
        return (
            isinstance(condition, Comparison)
            and condition.signal is self.signal
            and not condition.op.is_upper_bound
        )


_STOP = frozenset({Action.TRIP, Action.EMERGENCY})


def required(ctx: CheckContext) -> list[Required]:
    cfg = ctx.config
    return [
        Required(f"trip on 'Tr > {cfg.trip_tr:g} °C'", _STOP, Signal.TR, cfg.trip_tr),
        Required(f"trip on 'dTr/dt > {cfg.trip_rate:g} K/min'", _STOP, Signal.TR_RATE, cfg.trip_rate),
        Required(
            f"emergency on 'Tr > {cfg.emergency_tr:g} °C'",
            frozenset({Action.EMERGENCY}),
            Signal.TR,
            cfg.emergency_tr,
        ),
        Required("trip on 'chiller fault'", _STOP, state=StateCondition(Subject.CHILLER, State.FAULT)),
        Required("trip on 'chiller offline'", _STOP, state=StateCondition(Subject.CHILLER, State.OFFLINE)),
        Required("trip on 'Tr missing'", _STOP, state=StateCondition(Subject.TR, State.MISSING)),
    ]


def check_scope(ctx: CheckContext) -> list[Finding]:
    ids = {s.id for _, s in ctx.steps() if s.id is not None}
    return [
        error(
            "INTERLOCK-SCOPE",
            f"no step has id '{step_id}' (known: {', '.join(sorted(ids)) or 'none'})",
            ("interlocks", k, "during", j),
        )
        for k, interlock in enumerate(ctx.protocol.interlocks)
        for j, step_id in enumerate(interlock.during or [])
        if step_id not in ids
    ]


def check_ids(ctx: CheckContext) -> list[Finding]:
    """The run tracks an interlock by its id: a copied interlock that keeps its id clears the other's state
    every cycle, and the emergency under a trip's id never fires."""
    interlocks = ctx.protocol.interlocks
    return [
        error(
            "INTERLOCK-ID-DUPLICATE",
            f"interlock id '{interlocks[k].id}' is used twice: each interlock needs its own, or one clears the other",
            ("interlocks", k, "id"),
        )
        for k, _ in repeats(i.id for i in interlocks)
    ]


def check_interlocks(ctx: CheckContext) -> list[Finding]:
    """Every step with unreacted oxidant in the vessel carries the trips, from its first addition until the
    quench that consumes it (which warms the mass on purpose: QUENCH-PAUSE guards it)."""
    doses, _ = exothermic_doses(ctx)
    guarded = {d.index for d in doses} | set(oxidant_steps(ctx))
    return [finding for index in sorted(guarded) for finding in _check_step(ctx, index)]


def oxidant_steps(ctx: CheckContext) -> list[int]:
    """Steps with KMnO4 in the vessel, the quench steps left out (they warm the mass on purpose, and their
    own pause guards them: QUENCH-PAUSE)."""
    oxidants = {m.id for m in ctx.protocol.materials if MaterialClass.PERMANGANATE in classes_of(m)}
    return [
        index for index, step in ctx.steps() if ctx.present[index] & oxidants and not isinstance(step, Quench)
    ]


def _check_step(ctx: CheckContext, index: int) -> list[Finding]:
    step_id = ctx.protocol.steps[index].id
    doing = "dosing KMnO4" if isinstance(ctx.protocol.steps[index], DoseSolid) else "with KMnO4 in the vessel"
    findings = []
    for need in required(ctx):
        candidates = [
            (k, i)
            for k, i in enumerate(ctx.protocol.interlocks)
            if i.action in need.actions and need.matches(i.when) and i.guards(step_id)
        ]
        if not candidates:
            findings.append(
                error(
                    "INTERLOCK-MISSING",
                    f"{doing} this step needs an interlock guarding it: {need.describe}",
                    ("steps", index),
                )
            )
        elif need.limit is not None and all(_threshold(i) > need.limit for _, i in candidates):
            k, interlock = candidates[0]
            assert need.signal is not None
            findings.append(
                error(
                    "INTERLOCK-LOOSE",
                    f"'{interlock.when}' is looser than the limit "
                    f"{format_quantity(need.limit, need.signal.kind)} ({need.describe})",
                    ("interlocks", k, "when"),
                )
            )
    return findings


def _threshold(interlock: Interlock) -> float:
    assert isinstance(interlock.when, Comparison)
    return interlock.when.threshold


RULES = [check_scope, check_ids, check_interlocks]
