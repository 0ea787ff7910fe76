"""Protection a protocol cannot do without: a quench that pauses, a stirred vessel for solids, settings that
bound what they guard, a chiller range that can cool, a pump that can deliver what the step asks."""

from __future__ import annotations

from dataclasses import dataclass

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.checks.rules.interlocks import oxidant_steps
from labctl.protocol.steps import ONE_PORTION, Hold, Pump, Quench, Stir, WaitUntil
from labctl.quantities.units import Kind, format_quantity
from labctl.yamlfile.source_map import DataPath


def check_quench_pause(ctx: CheckContext) -> list[Finding]:
    """The quench warms the mass on purpose, so it must stop itself: pause at <= 15 °C, resume at <= 5 °C."""
    cfg = ctx.config
    findings = []
    for index, step in ctx.steps():
        if not isinstance(step, Quench):
            continue
        limits = (
            ("pause_above", step.pause_above, cfg.quench_pause_max, "pause"),
            ("resume_below", step.resume_below, cfg.quench_max_start, "resume"),
        )
        for key, value, limit, what in limits:
            if value is None or value > limit:
                said = "has none" if value is None else f"is {format_quantity(value, Kind.TEMPERATURE)}"
                findings.append(
                    error(
                        "QUENCH-PAUSE",
                        f"the quench must {what} at Tr <= {format_quantity(limit, Kind.TEMPERATURE)}; its "
                        f"{key} {said} (the quench is exothermic, and this is what stops it running away)",
                        ("steps", index, key) if value is not None else ("steps", index),
                    )
                )
    return findings


def check_stirred(ctx: CheckContext) -> list[Finding]:
    """A solid dosed into an unstirred flask piles up unreacted: the stirrer is part of the dosing permit."""
    if "stirrer" in ctx.protocol.equipment.declared():
        return []
    return [
        error(
            "DOSE-STIRRER",
            "solids are dosed only into a stirred vessel: declare 'stirrer:' under equipment, so that stirring "
            "is verified before each portion and its loss stops the dosing",
            ("steps", index),
        )
        for index, _ in ctx.doses()
    ]


@dataclass(frozen=True)
class _Bound:
    path: DataPath
    what: str
    value: float
    limit: float
    kind: Kind | None
    least: bool = False
    why: str | None = None  # what goes wrong beyond the bound, when the general words do not say it

    def broken(self) -> bool:
        return self.value < self.limit if self.least else self.value > self.limit

    def message(self) -> str:
        shown, limit = _shown(self.value, self.kind), _shown(self.limit, self.kind)
        if self.least:
            return f"{self.what} {shown} is below the least of {limit}: {self.why or 'this small, it does not do its job'}"
        return f"{self.what} {shown} is beyond the bound of {limit}: {self.why or 'this wide, it no longer guards anything'}"


def check_bounds(ctx: CheckContext) -> list[Finding]:
    """Settings wide enough to switch their protection off (a 30 K hysteresis, a 2000 K tolerance, a 300 d
    timeout) are refused against the configured bounds."""
    found = [*_dose_bounds(ctx), *_hold_and_wait_bounds(ctx), *_confirmation_bounds(ctx)]
    found += [
        _Bound(
            ("interlocks", k, "hysteresis"),
            "interlock hysteresis",
            i.hysteresis,
            ctx.config.max_hysteresis,
            _DT,
        )
        for k, i in enumerate(ctx.protocol.interlocks)
        if i.hysteresis is not None
    ]
    return [error("SETTING-BOUND", b.message(), b.path) for b in found if b.broken()]


_DT = Kind.TEMPERATURE_DIFFERENCE


def _dose_bounds(ctx: CheckContext) -> list[_Bound]:
    cfg, found = ctx.config, []
    for index, step in ctx.doses():
        at: DataPath = ("steps", index)
        found.append(
            _Bound((*at, "tolerance"), "dose tolerance", step.tolerance, cfg.max_dose_tolerance, None)
        )
        found += [
            _Bound((*at, "gate", j, "hysteresis"), "gate hysteresis", g.hysteresis, cfg.max_hysteresis, _DT)
            for j, g in enumerate(step.gate)
            if g.hysteresis is not None
        ]
    return found


def _hold_and_wait_bounds(ctx: CheckContext) -> list[_Bound]:
    cfg, found = ctx.config, []
    for index, step in ctx.steps():
        at: DataPath = ("steps", index)
        if isinstance(step, Hold):
            width = step.band[1] - step.band[0]
            found.append(_Bound((*at, "band"), "band width", width, cfg.max_band_width, _DT))
            found.append(_Bound((*at, "grace"), "excursion grace", step.grace, cfg.max_grace, Kind.DURATION))
        if isinstance(step, Stir) and step.speed is not None:
            speed, least = step.speed, cfg.min_stir_speed
            found.append(_Bound((*at, "speed"), "stirring speed", speed, least, Kind.STIR_SPEED, least=True))
            fast = "this fast, it throws the mass onto the walls and strains the glass"
            found.append(
                _Bound((*at, "speed"), "stirring speed", speed, cfg.max_stir_speed, Kind.STIR_SPEED, why=fast)
            )
        if isinstance(step, WaitUntil):
            found.append(
                _Bound((*at, "tolerance"), "wait tolerance", step.tolerance, cfg.max_wait_tolerance, _DT)
            )
            found.append(_Bound((*at, "timeout"), "timeout", step.timeout, cfg.max_timeout, Kind.DURATION))
    return found


def _confirmation_bounds(ctx: CheckContext) -> list[_Bound]:
    """A quench confirmed by a rise within sensor noise counts an empty reservoir as delivered; one allowed
    hours to show its rise leaves the unquenched oxidant unreported that long."""
    cfg, found = ctx.config, []
    for index, step in ctx.steps():
        if not isinstance(step, Quench) or step.confirm is None:
            continue
        at: DataPath = ("steps", index, "confirm")
        rise, within = step.confirm.rise, step.confirm.within
        found.append(
            _Bound((*at, "rise"), "quench confirmation rise", rise, cfg.min_confirm_rise, _DT, least=True)
        )
        found.append(
            _Bound(
                (*at, "within"), "quench confirmation window", within, cfg.max_confirm_within, Kind.DURATION
            )
        )
    return found


def _shown(value: float, kind: Kind | None) -> str:
    return f"{value:g} %" if kind is None else format_quantity(value, kind)


def check_full_cooling(ctx: CheckContext) -> list[Finding]:
    """A trip's full cooling is the declared range's lowest point: it must lie well below the reaction's
    coldest setpoint, or the trip cools no harder than the plan already does."""
    chiller = ctx.protocol.equipment.chiller
    steps = set(oxidant_steps(ctx))
    setpoints = [t for i, t in ctx.setpoints() if i in steps or _next_is_oxidant(ctx, i, steps)]
    if not setpoints or chiller is None or chiller.temperature_range is None:
        return []
    low, margin = chiller.temperature_range[0], ctx.config.full_cooling_margin
    coldest = min(setpoints)
    if low <= coldest - margin:
        return []
    return [
        error(
            "CHILLER-FULL-COOLING",
            f"the declared range starts at {format_quantity(low, Kind.TEMPERATURE)}, so a trip's full cooling "
            f"is only that: it must reach at least {margin:g} K below the reaction's coldest setpoint "
            f"({format_quantity(coldest, Kind.TEMPERATURE)})",
            ("equipment", "chiller", "temperature_range"),
        )
    ]


def _next_is_oxidant(ctx: CheckContext, index: int, steps: set[int]) -> bool:
    """A setpoint made just before the oxidant goes in is the reaction's setpoint too."""
    return any(j in steps for j in range(index + 1, len(ctx.protocol.steps)))


def check_pumping(ctx: CheckContext) -> list[Finding]:
    findings = []
    rig_most = ctx.rig.max_pump_rate() if ctx.rig is not None else None
    most = rig_most if rig_most is not None else ctx.config.max_pump_rate
    whose = (
        "the rig's pump"
        if rig_most is not None
        else "a lab peristaltic pump (max_pump_rate; --rig knows better)"
    )
    for index, step in ctx.steps():
        if not isinstance(step, Pump | Quench):
            continue
        material = ctx.protocol.material(step.material)
        if material is not None and material.volume is None and material.concentration is None:
            findings.append(
                error(
                    "PUMP-SOLID",
                    f"a pump moves liquids: '{material.id}' has no volume or concentration, so it is a solid "
                    "or its amount in the pumped volume cannot be told",
                    ("steps", index, "material"),
                )
            )
        if step.rate != ONE_PORTION and float(step.rate) > most:
            findings.append(
                error(
                    "PUMP-RATE",
                    f"{format_quantity(float(step.rate), Kind.FLOW_RATE)} is beyond {whose} "
                    f"({format_quantity(most, Kind.FLOW_RATE)})",
                    ("steps", index, "rate"),
                )
            )
    return findings


RULES = [check_quench_pause, check_stirred, check_bounds, check_full_cooling, check_pumping]
