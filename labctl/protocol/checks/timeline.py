"""Which materials are in the vessel at each step: added by charges, doses and pumps, removed by ``consumes``."""

from __future__ import annotations

from labctl.protocol.model import Protocol
from labctl.protocol.steps import Hold, Ramp, SetTemperature, Step, Stir, Wait, WaitUntil


def presence(protocol: Protocol) -> list[set[str]]:
    """For each step, the ids of the materials in the vessel while the step runs."""
    known = {m.id for m in protocol.materials}
    present = {m.id for m in protocol.materials if m.initially_present}
    during: list[set[str]] = []
    for step in protocol.steps:
        present |= {m for m in step.adds() if m in known}
        during.append(set(present))
        present -= set(step.consumes)
    return during


def ever_together(protocol: Protocol, first: set[str], second: set[str]) -> tuple[int, str, str] | None:
    """The first step where a material of ``first`` and one of ``second`` share the vessel."""
    for index, here in enumerate(presence(protocol)):
        for a in sorted(here & first):
            for b in sorted(here & second):
                if a != b:
                    return index, a, b
    return None


def step_duration(step: Step) -> float:
    """The least time a step is sure to take (a wait_until its settle, a prompt nothing)."""
    if isinstance(step, Hold | Stir | Wait | Ramp):
        return step.duration
    if isinstance(step, WaitUntil):
        return step.settle
    return 0.0


def cold_wait_problem(protocol: Protocol, index: int, limit: float) -> str | None:
    """Why the steps before ``index`` do not prove Tr at or below ``limit`` (None when they do): the last
    ``wait_until`` on Tr, with no setpoint changed since (what it saw no longer holds), must accept no more."""
    for k in range(index - 1, -1, -1):
        step = protocol.steps[k]
        if isinstance(step, WaitUntil) and step.signal == "Tr":
            top = step.target + step.tolerance
            if top > limit:
                return f"the last wait accepts Tr up to {top:g} °C"
            return _setpoint_problem(protocol, k, step)
        if isinstance(step, SetTemperature | Ramp):
            break
    return "no wait_until on Tr"


def _setpoint_problem(protocol: Protocol, index: int, wait: WaitUntil) -> str | None:
    """The wait is only as good as the setpoint that gets Tr there: without one, the run cools (or not) on
    whatever the chiller was last set to."""
    for step in reversed(protocol.steps[:index]):
        if isinstance(step, SetTemperature | Ramp):
            if abs(step.target - wait.target) <= wait.tolerance:
                return None
            return f"the setpoint before the wait ({step.target:g} °C) does not bring Tr to its {wait.target:g} °C"
    return "no setpoint brings Tr to the wait's target (the chiller would run on whatever it was last set to)"
