"""Stoessel's criticality classes: what a cooling failure at the worst moment leads to, from the order of four
temperatures — the process temperature, the MTSR (all that is unreacted reacting at once), the MTT (the highest
the technical system tolerates: here the solvent's boiling point at ambient pressure) and TD24 (where a secondary
decomposition takes 24 h to reach its maximum rate).

Class 1: MTSR < MTT < TD24 · 2: MTSR < TD24 < MTT · 3: MTT <= MTSR < TD24 · 4: MTT < TD24 <= MTSR ·
5: TD24 <= MTSR with TD24 < MTT (a decomposition is triggered before the boiling point can stop it).
Without a TD24 the class cannot be pinned down; fail closed: the worst class the known temperatures allow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criticality:
    level: int
    """1 (no runaway can reach the boiling point or a decomposition) to 5 (a decomposition is triggered)."""
    possible: tuple[int, ...]
    """The classes consistent with what is known; more than one when TD24 is not."""
    reason: str


def classify(mtsr_c: float, mtt_c: float, td24_c: float | None) -> Criticality:
    if td24_c is None:
        return _unknown_decomposition(mtsr_c, mtt_c)
    level = _level(mtsr_c, mtt_c, td24_c)
    return Criticality(level, (level,), _REASONS[level].format(mtsr=mtsr_c, mtt=mtt_c, td24=td24_c))


def _level(mtsr: float, mtt: float, td24: float) -> int:
    if mtsr >= td24:
        return 4 if mtt < td24 else 5
    if mtsr >= mtt:
        return 3
    return 1 if mtt < td24 else 2


def _unknown_decomposition(mtsr: float, mtt: float) -> Criticality:
    possible = (1, 2, 5) if mtsr < mtt else (3, 4, 5)
    return Criticality(
        max(possible),
        possible,
        f"MTSR {mtsr:.1f} °C is {'below' if mtsr < mtt else 'at or above'} the boiling point {mtt:.1f} °C; no "
        f"decomposition temperature (TD24) is known, so class {'/'.join(map(str, possible))}: taken as {max(possible)}",
    )


_REASONS = {
    1: "MTSR {mtsr:.1f} °C < MTT {mtt:.1f} °C < TD24 {td24:.1f} °C: a cooling failure reaches neither",
    2: "MTSR {mtsr:.1f} °C < TD24 {td24:.1f} °C < MTT {mtt:.1f} °C: safe unless the mass is held hot for long",
    3: "MTT {mtt:.1f} °C <= MTSR {mtsr:.1f} °C < TD24 {td24:.1f} °C: the boiling point is reached; evaporative "
    "cooling must hold it",
    4: "MTT {mtt:.1f} °C < TD24 {td24:.1f} °C <= MTSR {mtsr:.1f} °C: the boiling point must stop the runaway "
    "before the decomposition",
    5: "TD24 {td24:.1f} °C <= MTSR {mtsr:.1f} °C with TD24 below MTT {mtt:.1f} °C: a decomposition is triggered "
    "before the boiling point can stop it",
}
