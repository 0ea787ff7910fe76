"""Ordinary least squares for a handful of regressors, in plain Python: the fits here have two or three unknowns
and a few thousand rows, and the engine's cycle should not pay numpy's per-call overhead."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


class SingularFit(ArithmeticError):
    """The regressors do not tell the unknowns apart (a constant column, two proportional ones)."""


@dataclass(frozen=True)
class Fit:
    coefficients: tuple[float, ...]
    standard_errors: tuple[float, ...]
    rms: float
    """Root mean square of the residuals."""
    rows: int


def fit(rows: Sequence[Sequence[float]], ys: Sequence[float]) -> Fit:
    n, p = len(rows), len(rows[0]) if rows else 0
    if n <= p:
        raise SingularFit(f"{n} rows for {p} unknowns")
    xtx = [[sum(r[i] * r[j] for r in rows) for j in range(p)] for i in range(p)]
    xty = [sum(r[i] * y for r, y in zip(rows, ys, strict=True)) for i in range(p)]
    inverse = _invert(xtx)
    coef = [sum(inverse[i][j] * xty[j] for j in range(p)) for i in range(p)]
    sse = sum(
        (y - sum(c * x for c, x in zip(coef, r, strict=True))) ** 2 for r, y in zip(rows, ys, strict=True)
    )
    variance = sse / (n - p)
    errors = tuple(math.sqrt(max(variance * inverse[i][i], 0.0)) for i in range(p))
    return Fit(tuple(coef), errors, math.sqrt(sse / n), n)


def _invert(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan with partial pivoting; relative pivot tolerance so that scale does not matter."""
    p = len(matrix)
    a = [[*row, *(1.0 if i == j else 0.0 for j in range(p))] for i, row in enumerate(matrix)]
    scale = max(abs(v) for row in matrix for v in row) or 1.0
    for col in range(p):
        pivot = max(range(col, p), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= 1e-12 * scale:
            raise SingularFit("the regressors are linearly dependent")
        a[col], a[pivot] = a[pivot], a[col]
        head = a[col][col]
        a[col] = [v / head for v in a[col]]
        for r in range(p):
            if r != col and a[r][col] != 0.0:
                factor = a[r][col]
                a[r] = [v - factor * w for v, w in zip(a[r], a[col], strict=True)]
    return [row[p:] for row in a]


def slope(ts: Sequence[float], ys: Sequence[float]) -> float:
    """The least-squares slope of ys over ts (at least two distinct times). List comprehensions rather than
    generators: the supervisor's dTr/dt calls this every cycle."""
    n = len(ts)
    mt, my = sum(ts) / n, sum(ys) / n
    dts = [t - mt for t in ts]
    sxx = sum([d**2 for d in dts])
    if sxx <= 0.0:
        raise SingularFit("no time span")
    return sum([d * (y - my) for d, y in zip(dts, ys, strict=True)]) / sxx
