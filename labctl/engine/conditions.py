"""Evaluate the protocol's conditions against a Snapshot: True, False, or None when it cannot be known.

What an unknown means is the caller's decision: a gate treats it as closed; an interlock relies on the
protocol's own `Tr missing` / `Tr stale` / `chiller offline` interlocks instead of guessing a value.
"""

from __future__ import annotations

from labctl.engine.snapshot import Snapshot
from labctl.protocol.conditions import Comparison, Condition, Signal, State, StateCondition, Subject


def signal_value(snap: Snapshot, signal: Signal) -> float | None:
    match signal:
        case Signal.TR:
            return snap.tr_value()
        case Signal.TJ:
            return snap.tj_value()
        case Signal.TSET:
            return snap.setpoint
        case Signal.TR_RATE:
            return snap.tr_rate_k_min
        case Signal.MTSR:
            return snap.mtsr_c
        case Signal.HEAT_RELEASE:
            return snap.heat_release_pct


def holds(cond: Condition, snap: Snapshot, margin: float = 0.0) -> bool | None:
    """`margin` > 0 makes a comparison harder to satisfy (the threshold moves `margin` towards the safe side of
    the condition), < 0 easier: gate hysteresis asks for `Tr <= 5 − 1`, a tripped `Tr > 10` clears below 10 − h."""
    if isinstance(cond, Comparison):
        value = signal_value(snap, cond.signal)
        if value is None:
            return None
        shift = -margin if cond.op.is_upper_bound else margin
        return cond.op.holds(value, cond.threshold + shift)
    return _state(cond, snap)


def _state(cond: StateCondition, snap: Snapshot) -> bool | None:
    subject, state = cond.subject, cond.state
    if subject is Subject.CHILLER:
        if state is State.OFFLINE:
            return not snap.chiller.online
        if not snap.chiller.online:
            return None
        if state is State.FAULT:
            return snap.chiller_fault()
        return None if snap.status is None else snap.chiller_stopped()
    if subject is Subject.TR:
        return snap.tr_missing() if state is State.MISSING else snap.tr_stale()
    if subject is Subject.TJ:
        return snap.tj_missing() if state is State.MISSING else snap.tj_stale()
    if subject in (Subject.DOSER, Subject.BALANCE):
        return not snap.doser.online if state is State.OFFLINE else snap.doser_fault is not None
    if subject is Subject.STIRRER:
        return _stirrer(state, snap)
    return None  # the quench pump is watched by its steps, not polled


def _stirrer(state: State, snap: Snapshot) -> bool | None:
    """`stopped`: measured not turning at its setpoint; `offline`: its link is down; `fault`: stirring not
    verified for any reason (either of those, or no fresh speed). A manual stirrer is unknown to all three."""
    if not snap.has_stirrer:
        return None
    if state is State.OFFLINE:
        return not snap.stirrer.online
    stirring = snap.stirring()
    if state is State.STOPPED:
        return None if stirring is None else not stirring
    return stirring is not True
