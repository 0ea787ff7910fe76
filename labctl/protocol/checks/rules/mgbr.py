"""Metastable MgBr: never above -40 °C, never with ethers or protic solvents, always watched (process-model §3–4)."""

from __future__ import annotations

from labctl.protocol.checks.charge import addition_heat_capacity, heat_capacity
from labctl.protocol.checks.chemistry import PROTIC, VIOLENT_WITH_MGBR, classes_of, with_class
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error, warning
from labctl.protocol.checks.timeline import cold_wait_problem, ever_together
from labctl.protocol.conditions import Comparison, Signal, State, StateCondition, Subject
from labctl.protocol.model import Action, Interlock, MaterialClass
from labctl.protocol.steps import Hold, Ramp, SetTemperature, Step, Stir, Wait, WaitUntil
from labctl.quantities.units import Kind, format_quantity
from labctl.yamlfile.source_map import DataPath

_ALARMING = {Action.ALARM, Action.TRIP, Action.EMERGENCY, Action.COMPROMISE}


def _mgbr(ctx: CheckContext) -> set[str]:
    return {m.id for _, m in with_class(ctx.protocol, MaterialClass.MG_I_HALIDE)}


def _with_class_ids(ctx: CheckContext, classes: set[MaterialClass]) -> set[str]:
    return {m.id for m in ctx.protocol.materials if m.role != "product" and classes_of(m) & classes}


# Besides ethers, protic materials and VIOLENT_WITH_MGBR (errors no signature lifts), what a strong Mg(I) reductant
# spoils itself on: a warning two approvers may accept.
_REACTIVE = {
    MaterialClass.KETONE, MaterialClass.ESTER, MaterialClass.AMIDE, MaterialClass.DMF, MaterialClass.DMSO,
    MaterialClass.NITRILE,
}  # fmt: skip


def check_solvents(ctx: CheckContext) -> list[Finding]:
    mgbr = _mgbr(ctx)
    findings = []
    rules = (
        ("MGBR-ETHER", {MaterialClass.ETHER}, "an ether-class solvent: it precipitates Mg metal at once"),
        ("MGBR-PROTIC", PROTIC, "water or an alcohol: it destroys MgBr"),
        (
            "MGBR-VIOLENT",
            VIOLENT_WITH_MGBR,
            "an oxidant or a halocarbon: with a strong reductant it reacts violently",
        ),
    )
    for rule, classes, why in rules:
        met = ever_together(ctx.protocol, mgbr, _with_class_ids(ctx, classes))
        if met is not None:
            index, reagent, other = met
            findings.append(
                error(rule, f"'{other}' meets MgBr '{reagent}' in this step; it is {why}", ("steps", index))
            )
    return findings


def check_reactive(ctx: CheckContext) -> list[Finding]:
    """A warning, overridable by two approvers: the procedure knows MgBr only in toluene with NEt3."""
    met = ever_together(ctx.protocol, _mgbr(ctx), _with_class_ids(ctx, _REACTIVE))
    if met is None:
        return []
    index, reagent, other = met
    kinds = ", ".join(
        sorted({str(c) for m in ctx.protocol.materials if m.id == other for c in classes_of(m) & _REACTIVE})
    )
    return [
        warning(
            "MGBR-REACTIVE",
            f"'{other}' ({kinds}) meets MgBr '{reagent}' in this step: a strong Mg(I) reductant reacts with it; "
            "the procedure knows MgBr only in toluene with NEt3",
            ("steps", index),
        )
    ]


def _temperatures(step: Step) -> list[tuple[float, str]]:
    """Highest temperature a step allows, with the key that sets it."""
    if isinstance(step, SetTemperature | Ramp):
        return [(step.target, "target")]
    if isinstance(step, Hold):
        return [(step.band[1], "band")]
    if isinstance(step, WaitUntil):
        return [(step.target + step.tolerance, "target")]
    return []


def check_temperatures(ctx: CheckContext) -> list[Finding]:
    mgbr = _mgbr(ctx)
    findings = []
    standing: int | None = None  # the set_temperature/ramp step whose setpoint is in force
    judged: set[int] = set()  # setpoint steps already judged with MgBr present
    for index, step in ctx.steps():
        here = ctx.present[index] & mgbr
        if isinstance(step, SetTemperature | Ramp):
            standing = index
            if here:
                judged.add(index)
        elif here and standing is not None and standing not in judged:
            # MgBr enters (or stays) while an earlier setpoint is still in force: the chiller keeps
            # regulating to it, so it must obey the same limits as a setpoint made with MgBr present.
            judged.add(standing)
            setpoint = ctx.protocol.steps[standing]
            assert isinstance(setpoint, SetTemperature | Ramp)
            where = f"'{step.id}'" if step.id else f"{index + 1}"
            findings += _judge(
                ctx,
                setpoint,
                ("steps", standing, "target"),
                setpoint.target,
                f" (still in force at step {where}, with MgBr in the vessel)",
            )
        if here:
            for temperature, key in _temperatures(step):
                findings += _judge(ctx, step, ("steps", index, key), temperature, "")
    return findings


def _judge(ctx: CheckContext, step: Step, path: DataPath, temperature: float, context: str) -> list[Finding]:
    """MGBR-ABOVE-40 above the limit; MGBR-HOLD-MARGIN for setpoints that leave too little margin."""
    cfg = ctx.config
    shown = format_quantity(temperature, Kind.TEMPERATURE)
    if temperature > cfg.mgbr_max:
        return [
            error(
                "MGBR-ABOVE-40",
                f"this step lets MgBr reach {shown}{context}; above "
                f"{format_quantity(cfg.mgbr_max, Kind.TEMPERATURE)} it disproportionates and "
                "is lost (mark it consumed first if it has reacted)",
                path,
            )
        ]
    if isinstance(step, SetTemperature | Ramp) and temperature > cfg.mgbr_setpoint_warn:
        return [
            warning(
                "MGBR-HOLD-MARGIN",
                f"setpoint {shown}{context} leaves less than "
                f"{cfg.mgbr_max - cfg.mgbr_setpoint_warn + 0:g} K below "
                f"{format_quantity(cfg.mgbr_max, Kind.TEMPERATURE)}: overshoot crosses it",
                path,
            )
        ]
    return []


def check_monitoring(ctx: CheckContext) -> list[Finding]:
    """Every step with MgBr in the vessel is guarded by a warming alarm, a chiller-fault, a chiller-offline and a
    Tr-missing alarm. Storage (MgBr held with nothing to consume it, for days) has the spec's three levels: a
    warning above -55 °C, a person called above -45 °C, the batch marked lost above -40 °C."""
    mgbr = _mgbr(ctx)
    cfg = ctx.config
    findings: list[Finding] = []
    for index, step in ctx.steps():
        if not ctx.present[index] & mgbr:
            continue
        guards = [i for i in ctx.protocol.interlocks if i.guards(step.id) and i.action in _ALARMING]
        calling = [i for i in guards if i.action is not Action.COMPROMISE]
        margin = cfg.mgbr_storage_alarm_margin if _storing(step) else cfg.mgbr_alarm_margin
        below = cfg.mgbr_max - margin
        needs = [
            (
                f"'Tr > T' with T at or below {format_quantity(below, Kind.TEMPERATURE)} that calls a person "
                "(alarm, trip or emergency) before the batch is lost",
                any(_is_warming_alarm(i.when, below) for i in calling),
            ),
            (
                f"'Tr > T' with T at or below {format_quantity(cfg.mgbr_max, Kind.TEMPERATURE)} whose action is "
                "'compromise': above it the batch is lost, and the record must say so",
                any(_is_warming_alarm(i.when, cfg.mgbr_max) for i in guards if i.action is Action.COMPROMISE),
            ),
            (
                "'chiller fault' (minutes to -40 °C without cooling)",
                _guarded(guards, Subject.CHILLER, State.FAULT),
            ),
            (
                "'chiller offline' (a unit that does not answer may not be cooling)",
                _guarded(guards, Subject.CHILLER, State.OFFLINE),
            ),
            (
                "'Tr missing' (no reading is no reason to believe it is cold)",
                _guarded(guards, Subject.TR, State.MISSING),
            ),
        ]
        if _storing(step):
            early = cfg.mgbr_max - cfg.mgbr_storage_warn_margin
            warned = any(
                _is_warming_alarm(i.when, early)
                for i in ctx.protocol.interlocks
                if i.guards(step.id) and i.action in _ALARMING | {Action.WARN}
            )
            needs.append(
                (
                    f"'Tr > T' with T at or below {early:g} °C, a warning at least (storage's early level)",
                    warned,
                )
            )
        findings += [
            error(
                "MGBR-MONITORING",
                f"with MgBr in the vessel this step needs an alarm on {what}",
                ("steps", index),
            )
            for what, present in needs
            if not present
        ]
    return findings


def _guarded(guards: list[Interlock], subject: Subject, state: State) -> bool:
    return any(i.when == StateCondition(subject, state) for i in guards)


def _storing(step: Step) -> bool:
    """A timed step with MgBr that nothing consumes: storage, where the batch sits for days, however it is
    written (a hold, or a wait or stir of the storage time)."""
    return isinstance(step, Hold | Wait | Stir) and not step.consumes


def check_cold_first(ctx: CheckContext) -> list[Finding]:
    """MgBr is charged only after a wait until the vessel is below -40 °C (with its tolerance), no setpoint changed
    since: charged into a warm flask it is lost on contact."""
    mgbr = _mgbr(ctx)
    limit = ctx.config.mgbr_max - ctx.config.mgbr_alarm_margin  # below -40 °C, not at it
    findings = []
    for index, step in ctx.steps():
        if not set(step.adds()) & mgbr:
            continue
        said = cold_wait_problem(ctx.protocol, index, limit)
        if said is not None:
            findings.append(
                error(
                    "MGBR-COLD-FIRST",
                    f"MgBr is charged before the vessel is known cold: {said}; wait until Tr is at or below "
                    f"{format_quantity(limit, Kind.TEMPERATURE)} with its tolerance first",
                    ("steps", index),
                )
            )
    return findings


def check_pumped(ctx: CheckContext) -> list[Finding]:
    """MgBr goes in cold, by cannula from its store, in a charge a person confirms: a pump line at room
    temperature (and the quench pump's, wet with bisulfite) takes it above -40 °C on the way."""
    mgbr = _mgbr(ctx)
    return [
        error(
            "MGBR-PUMPED",
            f"'{a.material.id}' is MgBr: it is transferred cold by cannula (a charge step), never through a pump "
            "line at room temperature",
            a.path,
        )
        for a in ctx.ledger.additions
        if a.material.id in mgbr and a.how in ("pump", "quench")
    ]


def check_warm_additions(ctx: CheckContext) -> list[Finding]:
    """What goes in beside MgBr comes at room temperature unless the vessel cools it first: 20 mL of toluene from
    the bottle into 150 mL at -45 °C mixes to about -37 °C, and the MgBr is lost in the mixing."""
    mgbr, cfg = _mgbr(ctx), ctx.config
    limit = cfg.mgbr_max - cfg.mgbr_alarm_margin
    findings: list[Finding] = []
    setpoint: float | None = None
    for index, step in ctx.steps():
        if isinstance(step, SetTemperature | Ramp):
            setpoint = step.target
        here = [a for a in ctx.ledger.additions if a.step == index]
        others = [a for a in here if a.material.id not in mgbr]
        if not others or not ctx.present[index] & mgbr or setpoint is None:
            continue
        heat = heat_capacity(ctx.protocol, ctx.ledger, index)
        vessel = (
            heat.central_kj_k
            + heat.glass_kj_k
            + sum(addition_heat_capacity(a) for a in here if a not in others)
        )
        added = sum(addition_heat_capacity(a) for a in others)
        mixed = (
            (vessel * setpoint + added * cfg.room_temperature) / (vessel + added) if vessel + added else None
        )
        if mixed is not None and mixed > limit:
            findings.append(
                error(
                    "MGBR-WARM-ADDITION",
                    f"'{others[0].material.id}' goes in at room temperature ({cfg.room_temperature:g} °C) beside MgBr "
                    f"in a vessel at {setpoint:g} °C: the mix comes to about {mixed:.0f} °C, above -40 °C; charge it "
                    "before the MgBr, while the vessel is cooled",
                    others[0].path,
                )
            )
    return findings


def _is_warming_alarm(condition: object, limit: float) -> bool:
    return (
        isinstance(condition, Comparison)
        and condition.signal is Signal.TR
        and not condition.op.is_upper_bound
        and condition.threshold <= limit
    )


RULES = [
    check_solvents,
    check_reactive,
    check_temperatures,
    check_monitoring,
    check_cold_first,
    check_pumped,
    check_warm_additions,
]
