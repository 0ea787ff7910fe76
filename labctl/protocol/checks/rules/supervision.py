"""While the batch holds a live hazard (oxidant or MgBr), it stays watched, regulated on the reaction mass and
stirred: a step may not end the run on its own, a setpoint may not regulate the jacket instead, time with
oxidant in the flask is spent in holds with a band, and a reacting hazard is polled every second (the oxidant
more slowly only once what is left could not trip)."""

from __future__ import annotations

from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.conditions import Comparison, Condition, Op, Signal
from labctl.protocol.model import Action, MaterialClass
from labctl.protocol.steps import ControlMode, Hold, Ramp, SetTemperature, Stir, Wait, WaitUntil
from labctl.quantities.units import Kind, format_quantity

_HAZARDS = {MaterialClass.PERMANGANATE: "KMnO4", MaterialClass.MG_I_HALIDE: "MgBr"}


def _hazard_ids(ctx: CheckContext, classes: set[MaterialClass] | None = None) -> set[str]:
    wanted = classes or set(_HAZARDS)
    return {m.id for m in ctx.protocol.materials if classes_of(m) & wanted}


def _reacting(ctx: CheckContext) -> list[int]:
    """Steps where a hazard reacts: oxidant in the flask, or MgBr with something to react with. A stored
    solution on its own (MgBr for days at -60 °C) generates no heat."""
    oxidant, mgbr = (
        _hazard_ids(ctx, {MaterialClass.PERMANGANATE}),
        _hazard_ids(ctx, {MaterialClass.MG_I_HALIDE}),
    )
    partners = {
        m.id for m in ctx.protocol.materials if m.role in ("reagent", "substrate", "catalyst", "quench")
    } - mgbr
    return [
        i
        for i, _ in ctx.steps()
        if ctx.present[i] & oxidant or (ctx.present[i] & mgbr and ctx.present[i] & partners)
    ]


def _named(ctx: CheckContext, index: int) -> str:
    present = ctx.present[index]
    names = sorted({n for c, n in _HAZARDS.items() if present & _hazard_ids(ctx, {c})})
    return " and ".join(names)


def check_abort(ctx: CheckContext) -> list[Finding]:
    """An abort ends the run: no trip, alarm or loss mark watches the batch after it. With live oxidant or
    MgBr in the flask, an excursion or a timeout must call a person (alarm, pause), not walk away."""
    hazard = _hazard_ids(ctx)
    findings = []
    for index, step in ctx.steps():
        if not ctx.present[index] & hazard:
            continue
        if isinstance(step, Hold) and step.on_excursion == "extend":
            findings.append(
                error(
                    "HAZARD-ABORT",
                    f"on_excursion: extend only lengthens the hold with {_named(ctx, index)} in the vessel: nobody "
                    "is called before a trip; use alarm or pause",
                    ("steps", index, "on_excursion"),
                )
            )
        key = (
            "on_excursion"
            if isinstance(step, Hold) and step.on_excursion == "abort"
            else "on_timeout"
            if isinstance(step, WaitUntil) and step.on_timeout == "abort"
            else None
        )
        if key is not None:
            findings.append(
                error(
                    "HAZARD-ABORT",
                    f"{key}: abort would end the run with {_named(ctx, index)} in the vessel, and nothing would "
                    "watch it after: use alarm or pause, which call a person and keep the interlocks on",
                    ("steps", index, key),
                )
            )
    return findings


def check_control(ctx: CheckContext) -> list[Finding]:
    """While a hazard reacts, the setpoint in force regulates Tr itself: on the jacket, the reaction mass
    floats above the setpoint by whatever its heat and the wall make of it."""
    reacting = set(_reacting(ctx))
    findings, reported = [], set()
    standing: int | None = None
    for index, step in ctx.steps():
        if isinstance(step, SetTemperature | Ramp):
            standing = index
        if standing is None or standing in reported or index not in reacting:
            continue
        setpoint = ctx.protocol.steps[standing]
        assert isinstance(setpoint, SetTemperature | Ramp)
        if setpoint.control is not ControlMode.PROCESS:
            reported.add(standing)
            findings.append(
                error(
                    "HAZARD-CONTROL",
                    f"this setpoint regulates the jacket ({setpoint.control.value}) while {_named(ctx, index)} "
                    f"is in the vessel (step {index + 1}): regulate the reaction mass (control: process)",
                    ("steps", standing, "control"),
                )
            )
    return findings


def check_stirrer(ctx: CheckContext) -> list[Finding]:
    """A reaction that is not stirred is not the reaction the model describes: solid settles, heat builds
    where the probe is not. While a hazard reacts, a stirrer must be declared (and so supervised)."""
    if "stirrer" in ctx.protocol.equipment.declared():
        return []
    first = next(iter(_reacting(ctx)), None)
    if first is None or ctx.doses():
        return []  # a dose without a stirrer is DOSE-STIRRER's
    return [
        error(
            "HAZARD-STIRRER",
            f"{_named(ctx, first)} reacts in the vessel from this step on with no stirrer declared: declare "
            "'stirrer:' under equipment, so that stirring is verified and its loss raised",
            ("steps", first),
        )
    ]


def check_unbanded(ctx: CheckContext) -> list[Finding]:
    """Time with oxidant in the flask belongs to a hold with the procedure's band: a long wait or stir has
    none, so a drift out of 0–5 °C goes unnoticed until a trip."""
    oxidant = _hazard_ids(ctx, {MaterialClass.PERMANGANATE})
    longest = ctx.config.max_grace
    return [
        error(
            "OXIDANT-UNBANDED",
            f"{format_quantity(step.duration, Kind.DURATION)} with KMnO4 in the vessel and no band: spend it "
            f"in a hold with band [{ctx.config.oxidation_window[0]:g} °C, {ctx.config.oxidation_window[1]:g} °C], "
            f"or keep such steps to {format_quantity(longest, Kind.DURATION)}",
            ("steps", index, "duration"),
        )
        for index, step in ctx.steps()
        if isinstance(step, Stir | Wait | Ramp) and ctx.present[index] & oxidant and step.duration > longest
    ]


def check_period(ctx: CheckContext) -> list[Finding]:
    """A trip is only as quick as the poll that sees it: while a hazard reacts (oxidant in the flask, MgBr with
    something to react with), dTr/dt > 1 K/min must be seen within seconds, and the rate needs fresh readings
    (process-model §4: no older than 2 poll periods). Stored MgBr on its own makes no heat and may be polled less
    often, up to the step field's bound. With oxidant, a slower poll may apply `only_while` the MTSR is bounded
    below the step's lowest Tr trip: then even all that is left reacting at once could not trip, and the engine
    goes back to the rig's pace the moment the bound does not hold or cannot be known."""
    reacting = set(_reacting(ctx))
    mgbr = _hazard_ids(ctx, {MaterialClass.MG_I_HALIDE})
    longest = ctx.config.max_reacting_period
    findings = []
    for index, step in ctx.steps():
        period = step.supervision_period()
        if index not in reacting or period is None or period <= longest:
            continue
        trip = None if ctx.present[index] & mgbr else _lowest_trip(ctx, step.id)
        if any(_bounds_mtsr_below(c, trip) for c in step.supervision_conditions()):
            continue
        advice = f"poll at most every {format_quantity(longest, Kind.DURATION)} here (drop 'supervision:')"
        if trip is not None:
            bound = format_quantity(trip.threshold, Kind.TEMPERATURE)
            advice += f", or slower only while the oxidant left could not trip: only_while: [MTSR < {bound}]"
        findings.append(
            error(
                "SUPERVISION-PERIOD",
                f"a supervision period of {format_quantity(period, Kind.DURATION)} while {_named(ctx, index)} "
                f"reacts in the vessel: a runaway must be seen within seconds; {advice}",
                ("steps", index, "supervision", "period"),
            )
        )
    return findings


def _lowest_trip(ctx: CheckContext, step_id: str | None) -> Comparison | None:
    """The lowest `Tr >` threshold that trips (or worse) during the step."""
    trips = [
        lock.when
        for lock in ctx.protocol.interlocks
        if lock.action in (Action.TRIP, Action.EMERGENCY)
        and lock.guards(step_id)
        and isinstance(lock.when, Comparison)
        and lock.when.signal is Signal.TR
        and not lock.when.op.is_upper_bound
    ]
    return min(trips, key=lambda c: (c.threshold, c.op is Op.GT), default=None)


def _bounds_mtsr_below(cond: Condition, trip: Comparison | None) -> bool:
    """`cond` keeps the MTSR where the trip cannot fire. With no Tr trip guarding the step (or MgBr reacting,
    which the MTSR does not describe) no condition does."""
    if trip is None or not isinstance(cond, Comparison) or cond.signal is not Signal.MTSR:
        return False
    if not cond.op.is_upper_bound:
        return False
    if cond.threshold != trip.threshold:
        return cond.threshold < trip.threshold
    return trip.op is Op.GT or cond.op is Op.LT


RULES = [check_abort, check_control, check_stirrer, check_unbanded, check_period]
