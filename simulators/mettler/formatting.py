"""MT-SICS reply text. Kept apart from the command logic so the byte layout a driver parses is in one place."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

WEIGHT_FIELD = 10
"""Width of the right-aligned weight field: ``S S     100.00 g`` is ``S S`` + space + 10 characters + space + unit."""


def decimals_for(readability_g: float) -> int:
    return max(0, -math.floor(math.log10(readability_g) + 1e-9))


def format_mass(value_g: float, readability_g: float) -> str:
    """Round to the balance's digit and pad to the fixed field; ``-0.00`` is shown as ``0.00`` like a display."""
    digits = decimals_for(readability_g)
    rounded = round(round(value_g / readability_g) * readability_g, digits)
    if rounded == 0:
        rounded = 0.0
    return f"{rounded:.{digits}f}".rjust(WEIGHT_FIELD)


def weight_line(ident: str, status: str, value_g: float, readability_g: float) -> str:
    return f"{ident} {status} {format_mass(value_g, readability_g)} g"


def xml_block(root: str, fields: list[tuple[str, str, str | None]]) -> list[str]:
    """One element per line, as the Quantos streams its XML between the ``B`` and ``A`` lines."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<{root}>"]
    for tag, text, unit in fields:
        attr = f' Unit="{unit}"' if unit else ""
        lines.append(f"<{tag}{attr}>{escape(text)}</{tag}>")
    lines.append(f"</{root}>")
    return lines
