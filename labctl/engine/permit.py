"""The dosing permit (process-model §4): a portion is released only when every gate condition holds on fresh
readings, the chiller runs without fault, the stirrer is seen to turn at its setpoint, the minimum interval has
passed and nothing holds additions.

Gate hysteresis: once a gate condition has failed it must hold `hysteresis` inside its limit before it passes
again (after `Tr <= 5 °C` failed, only below 4 °C), so a reading hovering at the limit cannot release portions.

An MTSR gate is judged with the portion about to be released counted in (unreacted + portion ≤ cap), as the
checker plans it: judged without it, every release took the MTSR one portion's rise past its own cap. The MTSR is
the larger of the model's and the heat balance's (the supervisor's snapshot), so either can hold a portion.
"""

from __future__ import annotations

import dataclasses

from labctl.engine.conditions import holds
from labctl.engine.snapshot import Snapshot
from labctl.protocol.conditions import Comparison, Signal
from labctl.protocol.steps import GateCondition


class DosingPermit:
    def __init__(self, gate: list[GateCondition], min_interval_s: float) -> None:
        self._gate = gate
        self._min_interval_s = min_interval_s
        self._latched = [False] * len(gate)

    def blockers(self, snap: Snapshot, last_start: float | None, portion_rise_k: float = 0.0) -> list[str]:
        """Why a portion may not start now; an empty list is the permit. `portion_rise_k`: the adiabatic rise
        of the portion to be released, which an MTSR gate counts in."""
        reasons: list[str] = []
        if snap.tr_stale():
            reasons.append("Tr reading not fresh")
        elif snap.tr_missing():
            reasons.append("Tr probe missing")
        if not snap.chiller.online:
            reasons.append("chiller offline")
        elif snap.chiller_fault():
            reasons.append("chiller fault")
        elif snap.status is None or snap.chiller_stopped():
            reasons.append("chiller not running")
        reasons += stirring_blockers(snap)
        if not snap.doser.online:
            reasons.append("doser offline")
        if snap.doser_fault is not None:
            reasons.append(f"doser: {snap.doser_fault}")
        if last_start is not None and snap.at - last_start < self._min_interval_s:
            reasons.append("minimum interval")
        after = _with_portion(snap, portion_rise_k)
        for i, g in enumerate(self._gate):
            margin = (g.hysteresis or 0.0) if self._latched[i] else 0.0
            ok = holds(g.when, after if _is_mtsr(g) else snap, margin)
            if ok:
                self._latched[i] = False
            else:
                if ok is False and g.hysteresis:
                    self._latched[i] = True
                reasons.append(f"gate {g.when}" + _why(g, snap, ok))
        return reasons


def stirring_blockers(snap: Snapshot) -> list[str]:
    """A portion goes only into a mass the stirrer is seen to stir; a rig without a stirrer instrument has the
    dose step ask a person instead (the permit cannot see a manual stirrer)."""
    if not snap.has_stirrer:
        return []
    if not snap.stirrer.online:
        return ["stirrer offline"]
    if snap.stirring():
        return []
    speed, setpoint = snap.stir_speed_value(), snap.stir_setpoint
    if speed is None or setpoint is None:
        return ["stirring not verified (no fresh stirrer speed)"]
    return [f"stirring not verified ({speed:.0f} of {setpoint:.0f} rpm)"]


def _is_mtsr(gate: GateCondition) -> bool:
    return isinstance(gate.when, Comparison) and gate.when.signal is Signal.MTSR


def _why(gate: GateCondition, snap: Snapshot, ok: bool | None) -> str:
    """What a failed gate went by, where it is not plain: unknown, or an MTSR the heat balance measured higher
    than the model puts it."""
    if ok is None:
        return " (unknown)"
    measured, model = snap.mtsr_measured_c, snap.mtsr_model_c
    if _is_mtsr(gate) and measured is not None and (model is None or measured > model):
        return " (measured by the heat balance)"
    return ""


def _with_portion(snap: Snapshot, rise_k: float) -> Snapshot:
    if snap.mtsr_c is None:
        return snap
    return dataclasses.replace(snap, mtsr_c=snap.mtsr_c + rise_k)
