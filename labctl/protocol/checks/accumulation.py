"""Unreacted oxidant during portion-wise dosing, from first-order consumption (process-model §1–2).

Taken at the consumption time constant at 0 °C: colder is slower, so this errs towards more accumulation.
"""

from __future__ import annotations

import math


def peak_unreacted(portion_mol: float, count: int, interval_s: float, tau_s: float) -> float:
    """Largest unreacted amount, reached just after the last portion of an evenly spaced schedule."""
    decay = math.exp(-interval_s / tau_s)
    return portion_mol * sum(decay**k for k in range(count))


def gated_release_times(
    portion_mol: float, count: int, interval_s: float, tau_s: float, cap_mol: float
) -> list[float] | None:
    """Release times when each portion waits until unreacted + portion ≤ cap; None if no steady schedule fits under the cap."""
    if portion_mol >= cap_mol:
        return None
    times = [0.0]
    unreacted = portion_mol
    for _ in range(count - 1):
        wait = interval_s
        if unreacted + portion_mol > cap_mol:
            wait = max(wait, tau_s * math.log(unreacted / (cap_mol - portion_mol)))
        unreacted = unreacted * math.exp(-wait / tau_s) + portion_mol
        times.append(times[-1] + wait)
    return times
