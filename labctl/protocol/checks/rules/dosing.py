"""Portion-wise dosing of an exothermic solid: portion size, interval, gates and accumulation (MTSR)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from labctl.protocol.checks.accumulation import gated_release_times, peak_unreacted
from labctl.protocol.checks.charge import safe_heat_capacity
from labctl.protocol.checks.chemistry import classes_of, molar_mass
from labctl.protocol.checks.config import CheckerConfig
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error, info
from labctl.protocol.checks.identity import boiling_point
from labctl.protocol.checks.ledger import Addition
from labctl.protocol.checks.timeline import step_duration
from labctl.protocol.conditions import Comparison, Signal
from labctl.protocol.model import Material, MaterialClass
from labctl.protocol.steps import DoseSolid
from labctl.quantities.units import Kind, format_quantity
from labctl.yamlfile.source_map import DataPath


@dataclass(frozen=True)
class ExothermicDose:
    """A dose of permanganate with what the thermal rules need to know about it."""

    index: int
    dose: DoseSolid
    portion_mol: float
    heat_capacity: float

    @property
    def path(self) -> DataPath:
        return ("steps", self.index)

    def rise(self, mol: float, enthalpy: float) -> float:
        return mol * abs(enthalpy) / self.heat_capacity


def exothermic_doses(ctx: CheckContext) -> tuple[list[ExothermicDose], list[Finding]]:
    doses, findings = [], []
    for index, dose in ctx.doses():
        material = ctx.protocol.material(dose.material)
        if material is None or MaterialClass.PERMANGANATE not in classes_of(material):
            continue
        reactor = ctx.protocol.reactor
        if reactor is None or reactor.heat_capacity is None:
            findings.append(
                error(
                    "HEAT-CAPACITY-MISSING",
                    "dosing KMnO4 needs reactor.heat_capacity (the charge's "
                    "heat capacity, e.g. '1.01 kJ/K') to bound the temperature rise",
                    ("steps", index),
                )
            )
            continue
        mm = molar_mass(material)
        if mm is None:
            findings.append(
                error(
                    "MATERIAL-AMOUNT",
                    f"material '{material.id}' needs molar_mass (or mass and amount)"
                    " to turn portions into moles",
                    ("steps", index, "material"),
                )
            )
            continue
        safer = safe_heat_capacity(
            ctx.protocol, ctx.ledger, index
        )  # a typo that makes a portion look harmless
        assert safer is not None
        doses.append(ExothermicDose(index, dose, dose.portion_mass() / mm, safer))
    return doses, findings


def _portion_key(dose: DoseSolid) -> str:
    return "portions" if dose.portions is not None else "portion"


def check_portions(ctx: CheckContext) -> list[Finding]:
    doses, findings = exothermic_doses(ctx)
    cfg = ctx.config
    for d in doses:
        rise = d.rise(d.portion_mol, cfg.dosing_enthalpy)
        if rise > cfg.max_adiabatic_rise:
            largest = d.dose.portion_mass() * cfg.max_adiabatic_rise / rise
            findings.append(
                error(
                    "PORTION-ADIABATIC",
                    f"each portion of {format_quantity(d.dose.portion_mass(), Kind.MASS)} could raise the reactor "
                    f"{rise:.1f} K adiabatically (limit {cfg.max_adiabatic_rise:g} K); use portions of at most "
                    f"{format_quantity(largest, Kind.MASS)}",
                    (*d.path, _portion_key(d.dose)),
                )
            )
    return findings


def check_intervals(ctx: CheckContext) -> list[Finding]:
    findings = []
    for index, dose in ctx.doses():
        if dose.portion_count() > 1 and dose.min_interval < ctx.config.min_portion_interval:
            findings.append(
                error(
                    "PORTION-INTERVAL",
                    f"min_interval {format_quantity(dose.min_interval, Kind.DURATION)} is shorter than "
                    f"{format_quantity(ctx.config.min_portion_interval, Kind.DURATION)} between portions",
                    ("steps", index, "min_interval"),
                )
            )
        needed = (dose.portion_count() - 1) * dose.min_interval
        if dose.window is not None and dose.window < needed:
            findings.append(
                error(
                    "DOSE-WINDOW",
                    f"{dose.portion_count()} portions at least {format_quantity(dose.min_interval, Kind.DURATION)} "
                    f"apart need {format_quantity(needed, Kind.DURATION)}, longer than the window of "
                    f"{format_quantity(dose.window, Kind.DURATION)}",
                    ("steps", index, "window"),
                )
            )
    return findings


def check_gates(ctx: CheckContext) -> list[Finding]:
    doses, _ = exothermic_doses(ctx)  # check_portions reports why a dose could not be judged
    findings: list[Finding] = []
    cfg = ctx.config
    limits = (
        (Signal.TR, cfg.gate_max_tr, Kind.TEMPERATURE),
        (Signal.TR_RATE, cfg.gate_max_rate, Kind.TEMPERATURE_RATE),
    )
    for d in doses:
        for signal, limit, kind in limits:
            found = d.dose.gate_limit(signal)
            if found is None:
                findings.append(
                    error(
                        "DOSE-GATE",
                        f"each KMnO4 portion must wait for '{signal.value} <= "
                        f"{format_quantity(limit, kind)}' (or tighter) in its gate",
                        (*d.path, "gate"),
                    )
                )
            elif found > limit:
                findings.append(
                    error(
                        "DOSE-GATE",
                        f"the gate allows {signal.value} up to "
                        f"{format_quantity(found, kind)}; the limit is {format_quantity(limit, kind)}",
                        _gate_entry(d, signal),
                    )
                )
    return findings


def _gate_entry(d: ExothermicDose, signal: Signal) -> DataPath:
    """The gate entry that sets the dose's limit on ``signal`` (the line to edit), or the gate itself."""
    limit = d.dose.gate_limit(signal)
    for j, entry in enumerate(d.dose.gate):
        when = entry.when
        if (
            isinstance(when, Comparison)
            and when.signal is signal
            and when.op.is_upper_bound
            and when.threshold == limit
        ):
            return (*d.path, "gate", j)
    return (*d.path, "gate")


def check_accumulation(ctx: CheckContext) -> list[Finding]:
    doses, _ = exothermic_doses(ctx)
    findings = []
    cfg = ctx.config
    for d, carried in zip(doses, carried_in(ctx, doses), strict=True):
        start = gate_tr(ctx, d)
        count = d.dose.portion_count()
        gate_mtsr = d.dose.gate_limit(Signal.MTSR)
        if gate_mtsr is not None:
            findings += _gated(ctx, d, start, gate_mtsr)
            continue
        mtsr, peak = ungated_mtsr(ctx, d, carried)
        if mtsr > cfg.max_mtsr:
            earlier = (
                f" ({carried * 1000:.0f} mmol of it left from the earlier dosing)" if carried > 1e-6 else ""
            )
            findings.append(
                error(
                    "ACCUMULATION-MTSR",
                    f"dosing {count} portions {format_quantity(d.dose.min_interval, Kind.DURATION)} apart leaves up to "
                    f"{peak * 1000:.0f} mmol unreacted{earlier}; if it all reacted at once Tr would reach {mtsr:.0f} °C "
                    f"(limit {format_quantity(cfg.max_mtsr, Kind.TEMPERATURE)}). Dose more slowly or add "
                    f"'MTSR <= {cfg.max_mtsr:g} °C' to the gate",
                    (*d.path, "min_interval"),
                )
            )
    return findings


def ungated_mtsr(ctx: CheckContext, d: ExothermicDose, carried: float) -> tuple[float, float]:
    """(MTSR, peak unreacted mol) of a dose with no MTSR gate, starting on ``carried`` from earlier doses."""
    cfg = ctx.config
    peak = peak_unreacted(d.portion_mol, d.dose.portion_count(), d.dose.min_interval, cfg.consumption_tau)
    peak += carried
    return gate_tr(ctx, d) + d.rise(peak, cfg.dosing_enthalpy), peak


def gate_tr(ctx: CheckContext, d: ExothermicDose) -> float:
    """The Tr a portion may go in at: its gate's limit, or the configured one; where an MTSR starts from."""
    limit = d.dose.gate_limit(Signal.TR)
    return ctx.config.gate_max_tr if limit is None else limit


def carried_in(ctx: CheckContext, doses: list[ExothermicDose]) -> list[float]:
    """The oxidant earlier doses leave unreacted when each dose begins, by the consumption model: a second dose
    step starts on the first one's accumulation (counted at its peak, decayed over the steps between)."""
    tau = ctx.config.consumption_tau
    carried: list[float] = []
    left = 0.0
    previous: ExothermicDose | None = None
    for d in doses:
        if previous is not None:
            waited = sum(step_duration(s) for s in ctx.protocol.steps[previous.index + 1 : d.index])
            left *= math.exp(-waited / tau)
        carried.append(left)
        cap = d.dose.gate_limit(Signal.MTSR)
        if cap is not None:
            left = max(0.0, (cap - gate_tr(ctx, d)) * d.heat_capacity / abs(ctx.config.dosing_enthalpy))
        else:
            left += peak_unreacted(d.portion_mol, d.dose.portion_count(), d.dose.min_interval, tau)
        previous = d
    return carried


def _gated(ctx: CheckContext, d: ExothermicDose, start: float, cap: float) -> list[Finding]:
    cfg = ctx.config
    if cap > cfg.max_mtsr:
        return [
            error(
                "ACCUMULATION-MTSR",
                f"the gate allows an MTSR of {format_quantity(cap, Kind.TEMPERATURE)}; "
                f"the limit is {format_quantity(cfg.max_mtsr, Kind.TEMPERATURE)}",
                _gate_entry(d, Signal.MTSR),
            )
        ]
    cap_mol = (cap - start) * d.heat_capacity / abs(cfg.dosing_enthalpy)
    times = gated_release_times(
        d.portion_mol, d.dose.portion_count(), d.dose.min_interval, cfg.consumption_tau, cap_mol
    )
    if times is None:
        return [
            error(
                "ACCUMULATION-MTSR",
                f"a single portion already takes the MTSR above "
                f"{format_quantity(cap, Kind.TEMPERATURE)} from {format_quantity(start, Kind.TEMPERATURE)}; "
                "use smaller portions",
                (*d.path, _portion_key(d.dose)),
            )
        ]
    window = d.dose.window
    if window is not None and times[-1] > window:
        return [
            info(
                "DOSE-WINDOW",
                f"the MTSR gate will stretch dosing to about {times[-1] / 60:.0f} min "
                f"(window {window / 60:g} min) at the modelled consumption rate",
                (*d.path, "window"),
            )
        ]
    return []


def check_boiling(ctx: CheckContext) -> list[Finding]:
    """The worst case the dosing allows (the gate's MTSR cap, or the modelled MTSR without one) must stay well
    under the boiling point of every solvent in the flask: past it a runaway boils the solvent, which no
    approval can make acceptable."""
    doses, _ = exothermic_doses(ctx)
    findings = []
    for d, carried in zip(doses, carried_in(ctx, doses), strict=True):
        solvents = _solvents(ctx, d.index)
        unknown = [m for m in solvents if boiling_point(m) is None]
        if unknown:
            findings.append(
                error(
                    "MTSR-BOILING",
                    f"the boiling point of '{unknown[0].id}' ('{unknown[0].name}') is not known: give its "
                    "boiling_point, against which a runaway of this dosing is judged",
                    ("materials", ctx.protocol.materials.index(unknown[0]), "name"),
                )
            )
            continue
        if solvents:
            findings += _judge_boiling(ctx, d, carried, min(solvents, key=lambda m: boiling_point(m) or 0.0))
    return findings


def _solvents(ctx: CheckContext, index: int) -> list[Material]:
    here = ctx.present[index]
    return [
        m
        for m in ctx.protocol.materials
        if m.id in here and (m.role == "solvent" or MaterialClass.SOLVENT in classes_of(m))
    ]


def _judge_boiling(ctx: CheckContext, d: ExothermicDose, carried: float, solvent: Material) -> list[Finding]:
    cfg = ctx.config
    bp = boiling_point(solvent)
    assert bp is not None
    worst, path = _worst_mtsr(ctx, d, carried)
    if worst < bp - cfg.boiling_margin:
        return []
    return [
        error(
            "MTSR-BOILING",
            f"if the unreacted oxidant reacted at once Tr could reach {worst:.0f} °C, within "
            f"{cfg.boiling_margin:g} K of the boiling point of '{solvent.id}' ({bp:g} °C): a runaway would boil "
            "the batch. No override accepts this; gate on MTSR or dose more slowly",
            path,
        )
    ]


def _worst_mtsr(ctx: CheckContext, d: ExothermicDose, carried: float) -> tuple[float, DataPath]:
    cap = d.dose.gate_limit(Signal.MTSR)
    if cap is not None:
        return cap, _gate_entry(d, Signal.MTSR)
    return ungated_mtsr(ctx, d, carried)[0], (*d.path, "min_interval")


def check_all_at_once(ctx: CheckContext) -> list[Finding]:
    """The oxidant charged by hand, pumped or there from the start enters ungated: no gate waits for the
    reactor, so its whole heat counts at once (a metered pump runs on at its rate whatever Tr does; a
    single-portion dose_solid is judged by check_portions)."""
    findings = []
    cfg = ctx.config
    reactor = ctx.protocol.reactor
    for a in ctx.ledger.with_class(MaterialClass.PERMANGANATE):
        if a.how == "dose_solid" or not (a.all_at_once or a.how == "pump"):
            continue
        if reactor is None or reactor.heat_capacity is None:
            findings.append(
                error("HEAT-CAPACITY-MISSING", f"adding KMnO4 by {a.how} needs reactor.heat_capacity", a.path)
            )
        elif a.moles is None:
            findings.append(
                error(
                    "MATERIAL-AMOUNT",
                    f"the amount of '{a.material.id}' must be known to judge its heat",
                    a.path,
                )
            )
        else:
            held = safe_heat_capacity(ctx.protocol, ctx.ledger, max(a.step, 0)) or reactor.heat_capacity
            rise = a.moles * abs(cfg.dosing_enthalpy) / held
            if rise > cfg.max_adiabatic_rise:
                findings.append(error("PORTION-ADIABATIC", _at_once(a, rise, cfg), a.path))
    return findings


def _at_once(a: Addition, rise: float, cfg: CheckerConfig) -> str:
    how, moles = a.how, a.moles or 0.0
    way = "is in the vessel from the start" if how == "initially present" else f"enters by {how}, all at once"
    if not a.all_at_once:
        way = f"enters by {how} with no gate (a metered rate runs on whatever Tr does)"
    return (
        f"{moles * 1000:.0f} mmol KMnO4 {way}: it could raise the reactor {rise:.0f} K adiabatically (limit "
        f"{cfg.max_adiabatic_rise:g} K). Add it with dose_solid, in gated portions"
    )


RULES = [check_portions, check_intervals, check_gates, check_accumulation, check_boiling, check_all_at_once]
