"""The online heat balance: each poll's Tr and Tj in, the reaction's heat out, as heat per unit heat capacity
(K/s: what an MTSR is made of, whatever C was typed) and in watts against the calibration's C.

dTr/dt is a least-squares slope over a window, so the estimate belongs to the window's middle: it trails the
newest reading by half a window (15 s), and Tj is taken the calibration's probe lag before that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labctl.calorimetry.calibration import SLOPE_WINDOW_S, Calibration
from labctl.calorimetry.samples import ThermalSample, interpolate, window_slope


@dataclass(frozen=True)
class HeatFlowEstimate:
    t_s: float
    """The time the estimate describes (half a window before the newest reading)."""
    q_k_s: float
    sigma_k_s: float
    released_k: float
    """Heat released since the balance started, per unit heat capacity (adiabatic kelvins)."""
    heat_capacity_j_k: float
    unmeasured_s: float
    """Time within that total the balance could not see (gaps in the readings longer than a window)."""

    @property
    def q_w(self) -> float:
        return self.q_k_s * self.heat_capacity_j_k

    @property
    def sigma_w(self) -> float:
        return self.sigma_k_s * self.heat_capacity_j_k

    @property
    def released_j(self) -> float:
        return self.released_k * self.heat_capacity_j_k


class HeatFlow:
    def __init__(
        self, calibration: Calibration, window_s: float = SLOPE_WINDOW_S, *, released_k: float = 0.0
    ) -> None:
        """`released_k`: heat already seen before this balance started (a resumed run's)."""
        self.calibration = calibration
        self._window = window_s
        self._keep_s = 2 * window_s + calibration.lag_s
        self._ts: list[float] = []
        self._trs: list[float] = []
        self._tjs: list[float] = []
        self._released_k = released_k
        self._unmeasured_s = 0.0
        self.last: HeatFlowEstimate | None = None

    @property
    def released_k(self) -> float:
        """Heat released so far, per unit heat capacity (what the last estimate said, or the starting figure)."""
        return self._released_k

    def add(self, sample: ThermalSample) -> HeatFlowEstimate | None:
        """The estimate this reading completes; None while the window is not yet (or no longer) covered."""
        if self._ts and sample.t_s <= self._ts[-1]:
            return None
        self._ts.append(sample.t_s)
        self._trs.append(sample.tr_c)
        self._tjs.append(sample.tj_c)
        self._trim(sample.t_s)
        middle = sample.t_s - self._window / 2
        rate = window_slope(self._ts, self._trs, middle - self._window / 2, sample.t_s)
        tr = interpolate(self._ts, self._trs, middle)
        tj = interpolate(self._ts, self._tjs, middle - self.calibration.lag_s)
        if rate is None or tr is None or tj is None:
            return None
        q = self.calibration.unexplained_k_s(rate, tr, tj)
        self._integrate(middle, q)
        sigma = math.hypot(self.calibration.rms_k_s, self.calibration.transfer_error_s * abs(tj - tr))
        self.last = HeatFlowEstimate(
            middle, q, sigma, self._released_k, self.calibration.heat_capacity_j_k, self._unmeasured_s
        )
        return self.last

    def _integrate(self, t: float, q: float) -> None:
        last = self.last
        if last is None:
            return
        gap = t - last.t_s
        if gap > self._window:
            self._unmeasured_s += gap
        else:
            self._released_k += 0.5 * (q + last.q_k_s) * gap

    def _trim(self, now: float) -> None:
        if now - self._ts[0] <= 2 * self._keep_s:
            return
        first = next(i for i, t in enumerate(self._ts) if now - t <= self._keep_s)
        del self._ts[:first], self._trs[:first], self._tjs[:first]
