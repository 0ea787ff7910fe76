"""Masses as a person reads them: to the finest step the instruments report, never a binary float's tail.

The Quantos reports a dose's content in mg with one decimal (`QRD 2 4 12`: `<Content Unit="mg">4750.3</Content>`,
see specs/mettler-sics-quantos.md) and labctl journals targets to the same 0.1 mg: so a mass shown to a person
has four decimals in grams, `4.6201 g`, not `4.620100000000001 g`.
"""

from __future__ import annotations

import math

RESOLUTION_G = 0.0001
"""0.1 mg: the step of the doser's reported result (and of the targets labctl sets and records)."""

_DECIMALS = max(0, -math.floor(math.log10(RESOLUTION_G) + 1e-9))


def grams(value: float | None, *, unit: bool = True) -> str:
    """`4.6201 g`; `—` for a mass nobody knows."""
    if value is None:
        return "—"
    text = f"{round(value / RESOLUTION_G) * RESOLUTION_G:.{_DECIMALS}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return f"{text} g" if unit else text
