"""Reglo ICC number formats: Volume Type 1 (replies), Volume Type 2 (settings), Discrete Type 2 (tubing)."""

from __future__ import annotations

import math
import re

_TYPE2 = re.compile(r"^(\d{4})([+-]\d)$")
_DISCRETE2 = re.compile(r"^\d{4}$")


def format_type1(value: float) -> str:
    """``mmmmE±e`` = m.mmm × 10^±e: 20.0 → ``2000E+1``, 0.1386 → ``1386E-1``."""
    if value <= 0:
        return "0000E+0"
    exponent = math.floor(math.log10(value))
    mantissa = round(value / 10**exponent * 1000)
    if mantissa >= 10000:
        mantissa = round(mantissa / 10)
        exponent += 1
    return f"{mantissa:04d}E{exponent:+d}"


def parse_type2(text: str) -> float | None:
    """``2000+1`` → 20.0; anything else → None (the pump answers ``#``)."""
    match = _TYPE2.match(text)
    if match is None:
        return None
    return int(match.group(1)) / 1000 * 10.0 ** int(match.group(2))


def parse_discrete2(text: str) -> int | None:
    return int(text) if _DISCRETE2.match(text) else None
