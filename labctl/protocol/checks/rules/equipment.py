"""Steps only use declared roles, and setpoints fit the protocol's and the rig's chiller."""

from __future__ import annotations

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.steps import (
    ControlMode,
    DoseSolid,
    Hold,
    Pump,
    Quench,
    Ramp,
    SetTemperature,
    Step,
    Stir,
    WaitUntil,
)
from labctl.quantities.units import Kind, format_quantity


def roles_needed(step: Step) -> list[str]:
    if isinstance(step, SetTemperature | Ramp | WaitUntil | Hold):
        return ["chiller"]
    if isinstance(step, DoseSolid):
        return ["doser", "balance"]
    if isinstance(step, Pump | Quench):
        return ["quench_pump"]
    if isinstance(step, Stir):
        return ["stirrer"]
    return []


def _uses_process_control(step: Step) -> bool:
    return isinstance(step, SetTemperature | Ramp) and step.control is ControlMode.PROCESS


def check_roles(ctx: CheckContext) -> list[Finding]:
    declared = ctx.protocol.equipment.declared()
    findings = []
    reported: set[str] = set()
    for index, step in ctx.steps():
        for role in roles_needed(step):
            if role not in declared and role not in reported:
                reported.add(role)
                findings.append(
                    error(
                        "EQUIPMENT-MISSING",
                        f"this {step.step} step needs a '{role}', which is not declared under equipment",
                        ("steps", index, "step"),
                    )
                )
    chiller = ctx.protocol.equipment.chiller
    if chiller is not None and not chiller.process_control:
        first = next((i for i, s in ctx.steps() if _uses_process_control(s)), None)
        if first is not None:
            findings.append(
                error(
                    "EQUIPMENT-MISSING",
                    "this step regulates the process temperature but "
                    "equipment.chiller does not ask for process_control",
                    ("steps", first, "control"),
                )
            )
    return findings


def check_declared_range(ctx: CheckContext) -> list[Finding]:
    chiller = ctx.protocol.equipment.chiller
    if chiller is None or chiller.temperature_range is None:
        return []
    low, high = chiller.temperature_range
    return [
        error(
            "EQUIPMENT-RANGE",
            f"setpoint {format_quantity(t, Kind.TEMPERATURE)} is outside the declared "
            f"chiller range [{format_quantity(low, Kind.TEMPERATURE)}, {format_quantity(high, Kind.TEMPERATURE)}]",
            ("steps", index, "target"),
        )
        for index, t in ctx.setpoints()
        if not low <= t <= high
    ]


def check_rig(ctx: CheckContext) -> list[Finding]:
    if ctx.rig is None:
        return []
    findings = [
        error(
            "RIG-ROLE-MISSING",
            f"rig '{ctx.rig.name}' has no instrument for role '{role}'",
            ("equipment", role),
        )
        for role in sorted(ctx.protocol.equipment.declared() - ctx.rig.roles())
    ]
    caps = ctx.rig.chiller()
    if caps is None:
        return findings
    low, high = caps.temperature_range
    floor = low + ctx.config.chiller_low_margin
    for index, t in ctx.setpoints():
        if t < floor or t > high:
            findings.append(
                error(
                    "CHILLER-RANGE",
                    f"setpoint {format_quantity(t, Kind.TEMPERATURE)} is outside what rig '{ctx.rig.name}' can hold: its "
                    f"chiller reaches {format_quantity(low, Kind.TEMPERATURE)}…{format_quantity(high, Kind.TEMPERATURE)}"
                    f" and setpoints need {ctx.config.chiller_low_margin:g} K margin above the lowest "
                    f"(so ≥ {format_quantity(floor, Kind.TEMPERATURE)})",
                    ("steps", index, "target"),
                )
            )
    needs = ctx.protocol.equipment.chiller
    if needs is not None and needs.process_control and not caps.process_control:
        findings.append(
            error(
                "CHILLER-PROCESS-CONTROL",
                f"the protocol needs process control but rig '{ctx.rig.name}' says its chiller has none",
                ("equipment", "chiller", "process_control"),
            )
        )
    return findings


RULES = [check_roles, check_declared_range, check_rig]
