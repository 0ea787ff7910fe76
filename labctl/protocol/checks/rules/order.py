"""Order and time: the model walks the steps. The oxidant goes in only once the vessel is cold, reacts in the
procedure's window, has had time to react before the quench lands; a setpoint agrees with the hold it feeds;
a ramp is one the chiller can follow; a material is marked consumed only by a step that can consume it."""

from __future__ import annotations

import math

from labctl.protocol.checks.chemistry import classes_of, with_class
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.ledger import BEFORE_THE_FIRST_STEP, Addition
from labctl.protocol.checks.rules.dosing import exothermic_doses, gate_tr
from labctl.protocol.checks.rules.interlocks import oxidant_steps
from labctl.protocol.checks.timeline import cold_wait_problem, step_duration
from labctl.protocol.model import MaterialClass
from labctl.protocol.steps import Hold, Quench, Ramp, SetTemperature, Step, Stir, Wait
from labctl.quantities.units import Kind, format_quantity


def check_cold_first(ctx: CheckContext) -> list[Finding]:
    """Each oxidant dose follows a wait until Tr is inside the gate's limit, with no warmer setpoint since."""
    findings = []
    for d in exothermic_doses(ctx)[0]:
        limit = gate_tr(ctx, d)  # a gate at 0 °C is a limit of 0 °C, not "no gate"
        said = cold_wait_problem(ctx.protocol, d.index, limit)
        if said is not None:
            findings.append(
                error(
                    "ORDER-COLD-FIRST",
                    f"KMnO4 is dosed before the vessel is known cold: {said}; wait until Tr is at or below "
                    f"{format_quantity(limit, Kind.TEMPERATURE)} (after the setpoint that gets it there) first",
                    ("steps", d.index),
                )
            )
    return findings


def check_substrate_first(ctx: CheckContext) -> list[Finding]:
    """Oxidant dosed with no alkene in the flask accumulates whole: the alkene added later meets all of it."""
    alkenes = {m.id for _, m in with_class(ctx.protocol, MaterialClass.ALKENE)}
    return [
        error(
            "ORDER-SUBSTRATE-FIRST",
            "KMnO4 is dosed with no alkene in the flask: nothing consumes it, so it accumulates whole, and the "
            "alkene charged later meets all of it at once; charge the substrate first",
            ("steps", d.index),
        )
        for d in exothermic_doses(ctx)[0]
        if alkenes and not ctx.present[d.index] & alkenes
    ]


def check_substrate_late(ctx: CheckContext) -> list[Finding]:
    """Alkene added onto oxidant already in the flask meets the oxidant that had nothing to react with: its
    heat comes at once, by hand, with no gate. All the substrate goes in before the first oxidant."""
    first = ctx.ledger.first_step(MaterialClass.PERMANGANATE)
    if first is None:
        return []
    since = "from the start" if first == BEFORE_THE_FIRST_STEP else f"from step {first + 1}"
    return [
        error(
            "ORDER-SUBSTRATE-FIRST",
            f"'{a.material.id}' ({what}) is added by {a.how} with KMnO4 in the flask {since}: the oxidant that "
            "waited for it reacts at once, ungated; charge the substrate and the catalyst before the first KMnO4",
            a.path,
        )
        for a, what in _reaction_partners(ctx)
        if a.step > first
    ]


def _reaction_partners(ctx: CheckContext) -> list[tuple[Addition, str]]:
    """The alkene and the phase-transfer catalyst: without either, the dosed oxidant accumulates."""
    alkene = [(a, "alkene") for a in ctx.ledger.with_class(MaterialClass.ALKENE)]
    return alkene + [(a, "catalyst") for a in ctx.ledger.additions if a.material.role == "catalyst"]


def check_window(ctx: CheckContext) -> list[Finding]:
    """While the oxidant is in the flask, every setpoint in force and every hold band lies in the procedure's
    window (0–5 °C: 92 % yield; at 25–30 °C under 40 % and side reactions)."""
    low, high = ctx.config.oxidation_window
    steps = set(oxidant_steps(ctx))
    findings = []
    judged: set[int] = set()
    standing: int | None = None  # the step whose setpoint is in force
    for index, step in ctx.steps():
        if isinstance(step, SetTemperature | Ramp):
            standing = index
        if index not in steps:
            continue
        setpoint = ctx.protocol.steps[standing] if standing is not None else None
        if standing is not None and isinstance(setpoint, SetTemperature | Ramp) and standing not in judged:
            judged.add(standing)
            if not low <= setpoint.target <= high:
                shown = format_quantity(setpoint.target, Kind.TEMPERATURE)
                findings.append(_outside(ctx, f"setpoint {shown}", ("steps", standing, "target")))
        if isinstance(step, Hold) and not (low <= step.band[0] and step.band[1] <= high):
            findings.append(_outside(ctx, "hold band", ("steps", index, "band")))
    return findings


def _outside(ctx: CheckContext, what: str, path: tuple[str | int, ...]) -> Finding:
    low, high = ctx.config.oxidation_window
    return error(
        "REACTION-WINDOW",
        f"{what} with KMnO4 in the flask lies outside the procedure's {low:g}–{high:g} °C "
        "(92 % yield there; at 25–30 °C under 40 % and side reactions)",
        path,
    )


def check_quench_timing(ctx: CheckContext) -> list[Finding]:
    """The time between the last oxidant dose and the quench, by the consumption model, leaves at most the
    configured fraction unreacted: a quench on live oxidant is the batch's hottest moment."""
    doses = exothermic_doses(ctx)[0]
    quenches = [i for i, s in ctx.steps() if isinstance(s, Quench)]
    if not doses:
        return []
    last, quench = (
        doses[-1].index,
        min(q for q in quenches if q > doses[-1].index)
        if any(q > doses[-1].index for q in quenches)
        else None,
    )
    if quench is None:
        return []
    between = ctx.protocol.steps[last + 1 : quench]
    tau = ctx.config.slow_consumption_tau  # the quench must not land on live oxidant even if it reacts slowly
    waited = sum(step_duration(s) for s in between)
    left = math.exp(-waited / tau)
    allowed = ctx.config.quench_max_unreacted / 100.0
    if left <= allowed:
        return []
    needed = -math.log(allowed) * tau
    holds = [last + 1 + k for k, s in enumerate(between) if isinstance(s, Hold)]
    return [
        error(
            "QUENCH-EARLY",
            f"{format_quantity(waited, Kind.DURATION)} between the last portion and the quench leaves about "
            f"{left:.0%} of the oxidant unreacted if it reacts at the slow end of the model (τ {format_quantity(tau, Kind.DURATION)}): "
            f"the quench would land on it; hold at least {format_quantity(needed, Kind.DURATION)}",
            ("steps", holds[-1], "duration") if holds else ("steps", quench),
        )
    ]


def check_setpoint_band(ctx: CheckContext) -> list[Finding]:
    """A hold regulated to a setpoint outside its own band fights the chiller for its whole duration."""
    findings = []
    standing: tuple[float, int] | None = None
    for index, step in ctx.steps():
        if isinstance(step, SetTemperature | Ramp):
            standing = (step.target, index)
        if (
            isinstance(step, Hold)
            and standing is not None
            and not step.band[0] <= standing[0] <= step.band[1]
        ):
            findings.append(
                error(
                    "SETPOINT-BAND",
                    f"setpoint {format_quantity(standing[0], Kind.TEMPERATURE)} is in force when the hold at step "
                    f"{index + 1} asks for {step.band[0]:g}–{step.band[1]:g} °C: the chiller would drive Tr out of it",
                    ("steps", standing[1], "target"),
                )
            )
    return findings


def check_ramps(ctx: CheckContext) -> list[Finding]:
    """A ramp faster than the chiller follows is a step change in disguise: Tr lags the plan, and the
    protocol's timing (a warm-up 'overnight') no longer describes the batch."""
    most, whose = _ramp_limit(ctx)
    findings = []
    previous: float | None = None
    for index, step in ctx.steps():
        if isinstance(step, Ramp) and previous is not None:
            rate = abs(step.target - previous) / (step.duration / 60.0)
            if rate > most:
                findings.append(
                    error(
                        "RAMP-RATE",
                        f"{abs(step.target - previous):g} K in {format_quantity(step.duration, Kind.DURATION)} is "
                        f"{rate:.3g} K/min; {whose} follows at most {most:g} K/min",
                        ("steps", index, "duration"),
                    )
                )
        jump = (
            abs(step.target - previous) if isinstance(step, SetTemperature) and previous is not None else 0.0
        )
        if jump > ctx.config.max_setpoint_step:
            findings.append(
                error(
                    "RAMP-RATE",
                    f"a setpoint jump of {jump:g} K runs the chiller at full power with nothing controlling the "
                    f"rate: a change of more than {ctx.config.max_setpoint_step:g} K is written as a ramp",
                    ("steps", index, "target"),
                )
            )
        if isinstance(step, SetTemperature | Ramp):
            previous = step.target
    return findings


def _ramp_limit(ctx: CheckContext) -> tuple[float, str]:
    rig = ctx.rig
    caps = rig.chiller() if rig is not None else None
    if rig is not None and caps is not None and caps.max_ramp_rate is not None:
        return caps.max_ramp_rate, f"the chiller of rig '{rig.name}'"
    return ctx.config.max_ramp_rate, "a chiller of this class"


def check_consumes(ctx: CheckContext) -> list[Finding]:
    """Marking a material consumed licenses what follows (a warm-up for MgBr): only a quench, or a hold long
    enough with something else to react with, may do it; never the step that adds it."""
    reactive = {
        m.id for m in ctx.protocol.materials if m.role in ("reagent", "substrate", "quench", "catalyst")
    }
    findings = []
    for index, step in ctx.steps():
        for j, material in enumerate(step.consumes):
            why = _unearned(ctx, index, step, material, reactive)
            if why is not None:
                findings.append(
                    error(
                        "CONSUMES-UNEARNED",
                        f"'{material}' cannot be consumed here: {why}",
                        ("steps", index, "consumes", j),
                    )
                )
    return findings


def _unearned(ctx: CheckContext, index: int, step: Step, material: str, reactive: set[str]) -> str | None:
    if material in step.adds():
        return "this step adds it"
    if isinstance(step, Quench):
        later = [i for i, s in ctx.steps() if i > index and isinstance(s, Quench)]
        if later:
            return f"more quench follows (step {later[0] + 1}): the oxidant is consumed when the last of it is in"
        return None
    oxidant = ctx.protocol.material(material)
    if oxidant is not None and MaterialClass.PERMANGANATE in classes_of(oxidant):
        return "an oxidant is consumed only by its quench: it is charged in excess, and what the alkene leaves stays live"
    if not isinstance(step, Hold | Stir | Wait):
        return "only a quench or a hold (stir, wait) long enough consumes a material"
    if step.duration < ctx.config.min_consume_hold:
        return f"{format_quantity(step.duration, Kind.DURATION)} is shorter than {format_quantity(ctx.config.min_consume_hold, Kind.DURATION)}"
    partners = (ctx.present[index] & reactive) - {material}
    return None if partners else "nothing else in the flask reacts with it"


RULES = [
    check_cold_first,
    check_substrate_first,
    check_substrate_late,
    check_window,
    check_quench_timing,
    check_setpoint_band,
    check_ramps,
    check_consumes,
]
