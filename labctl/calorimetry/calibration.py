"""The jacket's heat transfer, fitted on a stretch where nothing reacts (the cool-down before the first portion).

With no reaction, C·dTr/dt = UA·(Tj − Tr) + UA_loss·(T_amb − Tr). Per unit heat capacity that is linear in three
unknowns: dTr/dt = a·(Tj − Tr) + c1·Tr + c0, with a = UA/C, c1 = −UA_loss/C, c0 = UA_loss·T_amb/C. Without a known
heat input C cannot be told apart from UA, so UA is quoted against the heat capacity given; the balance itself
needs only a, c1, c0 (it yields heat per unit C, in K/s, which is what an MTSR is made of).

The probe lags the mass (sheath, filter: 5–20 s), so Tj is taken a lag earlier than Tr; the lag is the one that
fits best. Tj is the thermostat's own reading (its bath or outflow): the fitted UA is the transfer as seen from it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from labctl.calorimetry.errors import CalibrationRejected
from labctl.calorimetry.least_squares import Fit, SingularFit, fit
from labctl.calorimetry.samples import ThermalSample, interpolate, window_slope

SLOPE_WINDOW_S = 30.0
LAG_STEP_S = 2.0


@dataclass(frozen=True)
class CalibrationLimits:
    """What a calibration must show before a heat balance may stand on it."""

    min_span_s: float = 600.0
    min_driving_force_k: float = 2.0
    ua_range_w_k: tuple[float, float] = (1.0, 30.0)
    max_relative_error: float = 0.10
    max_lag_s: float = 40.0
    max_rms_k_s: float = 0.004
    """What the fit may leave unexplained at any moment (the probe's noise, differentiated)."""
    max_unexplained_k: float = 0.5
    """What the fit may leave unexplained over any `unexplained_window_s`, in adiabatic kelvins: noise averages
    out over minutes, a portion reacting (≈ 5 K) does not."""
    unexplained_window_s: float = 300.0


@dataclass(frozen=True)
class Calibration:
    transfer_s: float
    """a = UA/C, 1/s."""
    tr_s: float
    """c1 = −UA_loss/C, 1/s."""
    offset_k_s: float
    """c0 = UA_loss·T_amb/C, K/s."""
    lag_s: float
    heat_capacity_j_k: float
    transfer_error_s: float
    rms_k_s: float
    """Residual of the fit: what the balance cannot explain with nothing reacting."""
    unexplained_k: float
    """The largest heat the fit left unexplained over a few minutes, per unit C (signed)."""
    samples: int
    span_s: float
    driving_force_k: float
    """The largest |Tj − Tr| seen: a fit over a small one says little about UA."""

    @property
    def ua_w_k(self) -> float:
        return self.transfer_s * self.heat_capacity_j_k

    @property
    def ua_relative_error(self) -> float:
        return self.transfer_error_s / abs(self.transfer_s) if self.transfer_s else float("inf")

    @property
    def loss_w_k(self) -> float:
        return -self.tr_s * self.heat_capacity_j_k

    @property
    def ambient_c(self) -> float | None:
        """The surroundings' temperature the losses point at; None when the fit found no loss to speak of."""
        return -self.offset_k_s / self.tr_s if self.tr_s < 0 else None

    def unexplained_k_s(self, rate_k_s: float, tr_c: float, tj_c: float) -> float:
        """dTr/dt minus what the jacket and the losses account for: the reaction's heat per unit C."""
        return rate_k_s - (self.transfer_s * (tj_c - tr_c) + self.tr_s * tr_c + self.offset_k_s)

    def facts(self) -> dict[str, float | int | None]:
        return {
            "UA_W_K": round(self.ua_w_k, 3),
            "UA_rel_error": round(self.ua_relative_error, 4),
            "loss_W_K": round(self.loss_w_k, 3),
            "ambient_C": None if self.ambient_c is None else round(self.ambient_c, 1),
            "lag_s": self.lag_s,
            "heat_capacity_J_K": round(self.heat_capacity_j_k, 1),
            "rms_K_s": self.rms_k_s,
            "unexplained_K": round(self.unexplained_k, 3),
            "samples": self.samples,
            "span_s": round(self.span_s, 1),
            "driving_force_K": round(self.driving_force_k, 2),
        }


def calibrate(
    samples: Sequence[ThermalSample], heat_capacity_j_k: float, limits: CalibrationLimits | None = None
) -> Calibration:
    """Fit the transfer on `samples` (in time order, nothing reacting); CalibrationRejected when the readings
    cannot support it or what they say is implausible."""
    lim = limits or CalibrationLimits()
    ts = [s.t_s for s in samples]
    span = ts[-1] - ts[0] if ts else 0.0
    driving = max((abs(s.tj_c - s.tr_c) for s in samples), default=0.0)
    basics = {"samples": len(samples), "span_s": round(span, 1), "driving_force_K": round(driving, 2)}
    if span < lim.min_span_s:
        raise CalibrationRejected(
            f"{span / 60:.1f} min of readings; at least {lim.min_span_s / 60:g} min", basics
        )
    if driving < lim.min_driving_force_k:
        raise CalibrationRejected(
            f"Tj and Tr were never more than {driving:.1f} K apart; at least {lim.min_driving_force_k:g} K",
            basics,
        )
    best, lag, residuals = _best_lag(samples, lim.max_lag_s)
    calibration = Calibration(
        transfer_s=best.coefficients[0],
        tr_s=best.coefficients[1],
        offset_k_s=best.coefficients[2],
        lag_s=lag,
        heat_capacity_j_k=heat_capacity_j_k,
        transfer_error_s=best.standard_errors[0],
        rms_k_s=best.rms,
        unexplained_k=_largest_drift(residuals, lim.unexplained_window_s),
        samples=len(samples),
        span_s=span,
        driving_force_k=driving,
    )
    _judge(calibration, lim)
    return calibration


def _judge(cal: Calibration, lim: CalibrationLimits) -> None:
    low, high = lim.ua_range_w_k
    if not low <= cal.ua_w_k <= high:
        raise CalibrationRejected(
            f"UA {cal.ua_w_k:.2f} W/K at C {cal.heat_capacity_j_k / 1000:.2f} kJ/K is outside {low:g}–{high:g} W/K",
            cal.facts(),
        )
    if cal.rms_k_s > lim.max_rms_k_s:
        raise CalibrationRejected(
            f"the jacket and the losses leave {1000 * cal.rms_k_s:.1f} mK/s of Tr's changes unexplained (at most "
            f"{1000 * lim.max_rms_k_s:g}): something else was heating or cooling the mass",
            cal.facts(),
        )
    if abs(cal.unexplained_k) > lim.max_unexplained_k:
        raise CalibrationRejected(
            f"{cal.unexplained_k:+.2f} K of heat (adiabatic) unexplained within {lim.unexplained_window_s / 60:g} "
            f"min (at most {lim.max_unexplained_k:g} K): something reacted or was added during the cool-down",
            cal.facts(),
        )
    if cal.ua_relative_error > lim.max_relative_error:
        raise CalibrationRejected(
            f"UA is uncertain by {100 * cal.ua_relative_error:.0f} % (at most {100 * lim.max_relative_error:g} %)",
            cal.facts(),
        )


def _best_lag(
    samples: Sequence[ThermalSample], max_lag_s: float
) -> tuple[Fit, float, list[tuple[float, float]]]:
    """The fit over the probe lag that explains Tr best, and its residuals over time."""
    ts = [s.t_s for s in samples]
    trs = [s.tr_c for s in samples]
    tjs = [s.tj_c for s in samples]
    half = SLOPE_WINDOW_S / 2
    rates = [(i, window_slope(ts, trs, t - half, t + half)) for i, t in enumerate(ts)]
    best: tuple[Fit, float, list[float], list[tuple[float, ...]], list[float]] | None = None
    lag = 0.0
    while lag <= max_lag_s:
        times: list[float] = []
        rows: list[tuple[float, ...]] = []
        ys: list[float] = []
        for i, rate in rates:
            tj = interpolate(ts, tjs, ts[i] - lag)
            if rate is not None and tj is not None:
                times.append(ts[i])
                rows.append((tj - trs[i], trs[i], 1.0))
                ys.append(rate)
        try:
            candidate = fit(rows, ys)
        except SingularFit:
            candidate = None
        if candidate is not None and (best is None or candidate.rms < best[0].rms):
            best = (candidate, lag, times, rows, ys)
        lag += LAG_STEP_S
    if best is None:
        raise CalibrationRejected("the readings do not tell the jacket's transfer from the losses", {})
    found, lag, times, rows, ys = best
    residuals = [
        (t, y - sum(c * x for c, x in zip(found.coefficients, row, strict=True)))
        for t, row, y in zip(times, rows, ys, strict=True)
    ]
    return found, lag, residuals


def _largest_drift(residuals: Sequence[tuple[float, float]], window_s: float) -> float:
    """The largest integral of the residual over any `window_s` (signed): heat the fit did not explain."""
    cumulative, total = [0.0], 0.0
    for (t0, r0), (t1, r1) in itertools.pairwise(residuals):
        total += 0.5 * (r0 + r1) * (t1 - t0)
        cumulative.append(total)
    times = [t for t, _ in residuals]
    largest, start = 0.0, 0
    for end, t in enumerate(times):
        while t - times[start] > window_s:
            start += 1
        drift = cumulative[end] - cumulative[start]
        if abs(drift) > abs(largest):
            largest = drift
    return largest
