"""Unreacted oxidant measured from the heat curve instead of assumed from a fixed consumption time.

The solid reacts first-order as it dissolves (process-model §2): n(t) = Σ nᵢ·exp(−k₀·(θ(t) − θᵢ)), where θ is a
consumption clock that runs at exp(−Ea/R·(1/T − 1/273.15)) while the mass is stirred and stops while it is not (or
while Tr is unknown: no consumption is ever assumed unseen). The heat it releases, per unit heat capacity, is
q = h·k₀·θ'(t)·n(t) with h = |ΔH|/C. The dosing ledger gives the nᵢ and their times, the balance gives q; a fit
over k₀ (a grid, then a golden-section search) with h solved in closed form gives both. The unreacted moles then
depend on the heat curve's *shape* only (not on ΔH or on the heat capacity typed), and the MTSR on its measured
height: Tr + h·n. The heat is fitted as the probe sees it: shifting it back by the calibration's probe lag made
the estimate worse over `benchmarks/bench_calorimetry.py`'s grid (pessimistic end up to 6 % of dosed below the
truth instead of never).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from labctl.calorimetry.heat_flow import HeatFlowEstimate

GAS_CONSTANT = 8.314
ZERO_C_K = 273.15
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
BAND_POINTS = 32


@dataclass(frozen=True)
class AccumulationEstimate:
    at_s: float
    unreacted_mol: float
    dosed_mol: float
    tau_0c_s: float
    """The fitted consumption time constant at 0 °C (1/k₀)."""
    rise_k_mol: float
    """h: the adiabatic rise one mole releases in this batch, measured."""
    heat_points: int
    unreacted_high_mol: float
    """The most the heat curve cannot rule out (about two standard errors): a short curve fits many rates."""
    rise_high_k: float
    """The largest adiabatic rise of what is left among those fits: the pessimistic MTSR's margin."""
    rise_spread: float = 0.0
    """How far apart the rise per mole lies among those fits, as a share of the best fit's: small once the heat
    curve has told the rise per mole."""

    def mtsr_c(self, tr_c: float) -> float:
        return tr_c + self.rise_k_mol * self.unreacted_mol

    def mtsr_high_c(self, tr_c: float) -> float:
        return tr_c + self.rise_high_k

    @property
    def unreacted_fraction(self) -> float:
        return self.unreacted_mol / self.dosed_mol if self.dosed_mol > 0 else 0.0


def _spread(rises: list[float], best: float) -> float:
    return (max(rises) - min(rises)) / best if best > 0 else math.inf


@dataclass(frozen=True)
class _Fitted:
    k0: float
    h: float
    heat_points: int
    plausible: list[tuple[float, float]]


@dataclass(frozen=True)
class _Bin:
    t_s: float
    q_k_s: float
    sigma_k_s: float
    theta: float
    rate: float
    """dθ/dt there: the temperature factor while stirred, 0 while not."""
    weight: float
    """1/σ²: the weighted fit's weight."""


class MeasuredAccumulation:
    def __init__(
        self,
        *,
        ea_j_mol: float = 30e3,
        bin_s: float = 30.0,
        tau_bounds_s: tuple[float, float] = (60.0, 7200.0),
        min_heat_s: float = 120.0,
        prior_tau_0c_s: float = 600.0,
        prior_spread: float = math.log(2.0),
        max_rise_k_mol: float = math.inf,
    ) -> None:
        self._ea = ea_j_mol
        self._bin_s = bin_s
        self._k_bounds = (1.0 / tau_bounds_s[1], 1.0 / tau_bounds_s[0])
        self._min_heat_s = min_heat_s
        self._prior_log_k = -math.log(prior_tau_0c_s)
        self._prior_spread = prior_spread
        self._max_rise = max_rise_k_mol
        """The most heat per mole (per unit C) a plausible fit may claim: a slow rate that explains the first
        minutes' heat only with several times the reaction's enthalpy is not a case to plan for."""
        self._clock_t: list[float] = []
        self._clock_theta: list[float] = []
        self._rate = 0.0
        self._portions: list[tuple[float, float, float]] = []
        """(time, mol, θ) of each addition."""
        self._bins: list[_Bin] = []
        self._open: list[tuple[float, float]] = []
        self._open_from: float | None = None
        self._fitted: _Fitted | None = None

    def advance(self, t_s: float, tr_c: float | None, stirring: bool) -> None:
        """The consumption clock up to `t_s`, at the pace the last reading set (stopped while not stirred or
        while Tr is unknown)."""
        if self._clock_t and t_s <= self._clock_t[-1]:
            return
        theta = self._clock_theta[-1] + self._rate * (t_s - self._clock_t[-1]) if self._clock_t else 0.0
        self._clock_t.append(t_s)
        self._clock_theta.append(theta)
        self._rate = self._factor(tr_c) if stirring and tr_c is not None else 0.0

    def dosed(self, t_s: float, mol: float) -> None:
        """An addition, at the time it started (its target: what lands may only be less, and counting it early
        errs towards more accumulation)."""
        if mol > 0:
            self._portions.append((t_s, mol, self._theta(t_s)))

    def corrected(self, mol: float) -> None:
        """The last addition's moles put right once the ledger knows what really landed (never below none)."""
        if self._portions:
            t, was, theta = self._portions[-1]
            self._portions[-1] = (t, max(was + mol, 0.0), theta)

    @property
    def dosed_mol(self) -> float:
        return sum(mol for _, mol, _ in self._portions)

    def heat(self, estimate: HeatFlowEstimate) -> None:
        """One balance estimate; collected into bins (the heat curve changes over minutes, not seconds)."""
        t = estimate.t_s
        if self._open_from is None:
            self._open_from = t
        if t - self._open_from >= self._bin_s:
            self._close_bin()
            self._open_from = t
        self._open.append((estimate.q_k_s, estimate.sigma_k_s))

    def estimate(self, now_s: float) -> AccumulationEstimate | None:
        """Fit the heat curve so far, then `project` it to `now_s`; None before any addition or until the heat
        after the first has been seen for `min_heat_s` (the model's figure stands until then)."""
        if not self._portions or not self._bins:
            return None
        bins = [b for b in self._bins if b.t_s >= self._portions[0][0]]
        if not bins or bins[-1].t_s - self._portions[0][0] < self._min_heat_s:
            return None
        k0 = self._best_k(bins)
        best, h = self._fit(bins, k0)
        self._fitted = _Fitted(k0, h, len(bins), self._plausible(bins, best))
        return self.project(now_s)

    def project(self, now_s: float) -> AccumulationEstimate | None:
        """The last fit carried to `now_s` on the consumption clock, with the additions since counted in: cheap
        enough for every poll, where a fit is not. None before the first fit."""
        fitted = self._fitted
        if fitted is None:
            return None
        theta = self._theta(now_s)
        dosed = sum(mol for t, mol, _ in self._portions if t <= now_s)
        unreacted = self._unreacted(fitted.k0, now_s, theta)
        most_mol = most_rise = 0.0
        for k0, h in fitted.plausible:
            n = self._unreacted(k0, now_s, theta)
            most_mol, most_rise = max(most_mol, n), max(most_rise, h * n)
        return AccumulationEstimate(
            now_s,
            unreacted,
            dosed,
            1.0 / fitted.k0,
            fitted.h,
            fitted.heat_points,
            max(most_mol, unreacted),
            max(most_rise, fitted.h * unreacted),
            _spread([h for _, h in fitted.plausible] + [fitted.h], fitted.h),
        )

    def _unreacted(self, k0: float, now_s: float, theta: float) -> float:
        return sum(mol * math.exp(-k0 * (theta - th)) for t, mol, th in self._portions if t <= now_s)

    def _plausible(self, bins: list[_Bin], best: float) -> list[tuple[float, float]]:
        """(k₀, h) of the consumption rates whose misfit is within about two standard errors of the best (the
        scale taken from the best fit's own residuals): what the heat curve cannot rule out."""
        scale = max(1.0, best / max(len(bins) - 2, 1))
        low, high = (math.log(k) for k in self._k_bounds)
        found = []
        for i in range(BAND_POINTS + 1):
            k0 = math.exp(low + (high - low) * i / BAND_POINTS)
            misfit, h = self._fit(bins, k0)
            if misfit <= best + 4.0 * scale and h <= self._max_rise:
                found.append((k0, h))
        return found

    # --- the fit
    def _best_k(self, bins: list[_Bin]) -> float:
        low, high = (math.log(k) for k in self._k_bounds)
        steps = 16
        grid = [low + (high - low) * i / steps for i in range(steps + 1)]
        errors = [self._fit(bins, math.exp(x))[0] for x in grid]
        i = min(range(len(grid)), key=errors.__getitem__)
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, steps)]
        c, d = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
        fc, fd = self._fit(bins, math.exp(c))[0], self._fit(bins, math.exp(d))[0]
        for _ in range(20):
            if fc < fd:
                b, d, fd = d, c, fc
                c = b - GOLDEN * (b - a)
                fc = self._fit(bins, math.exp(c))[0]
            else:
                a, c, fc = c, d, fd
                d = a + GOLDEN * (b - a)
                fd = self._fit(bins, math.exp(d))[0]
        return math.exp((a + b) / 2)

    def _fit(self, bins: list[_Bin], k0: float) -> tuple[float, float]:
        """(misfit, h) for consumption rate k₀: the weighted residuals plus the prior's pull on k₀ (which only
        matters while the heat curve cannot tell k₀ yet); h by weighted least squares in closed form."""
        portions, p = self._portions, 0
        n, theta = 0.0, bins[0].theta
        sbb = sbq = sqq = 0.0
        for b in bins:
            n *= math.exp(-k0 * (b.theta - theta))
            theta = b.theta
            while p < len(portions) and portions[p][0] <= b.t_s:
                n += portions[p][1] * math.exp(-k0 * (theta - portions[p][2]))
                p += 1
            x = k0 * b.rate * n
            wx, wq = b.weight * x, b.weight * b.q_k_s
            sbb += wx * x
            sbq += wx * b.q_k_s
            sqq += wq * b.q_k_s
        if sbb <= 0.0:
            return math.inf, 0.0
        h = sbq / sbb
        misfit = max(sqq - h * sbq, 0.0)
        return misfit + ((math.log(k0) - self._prior_log_k) / self._prior_spread) ** 2, h

    # --- the consumption clock
    def _factor(self, tr_c: float) -> float:
        return math.exp(-self._ea / GAS_CONSTANT * (1.0 / (tr_c + ZERO_C_K) - 1.0 / ZERO_C_K))

    def _theta(self, t_s: float) -> float:
        ts = self._clock_t
        if not ts:
            return 0.0
        if t_s >= ts[-1]:
            return self._clock_theta[-1] + self._rate * (t_s - ts[-1])
        i = max(bisect.bisect_right(ts, t_s) - 1, 0)
        if i + 1 >= len(ts):
            return self._clock_theta[i]
        t0, t1 = ts[i], ts[i + 1]
        th0, th1 = self._clock_theta[i], self._clock_theta[i + 1]
        return th0 + (th1 - th0) * (t_s - t0) / (t1 - t0)

    def _close_bin(self) -> None:
        if not self._open or self._open_from is None:
            return
        middle = self._open_from + self._bin_s / 2
        rate = (self._theta(middle + 1.0) - self._theta(middle - 1.0)) / 2.0
        q = sum(v for v, _ in self._open) / len(self._open)
        sigma = sum(e for _, e in self._open) / len(self._open)  # one slope window per bin: barely averaged
        weight = 1.0 / max(sigma, 1e-9) ** 2
        self._bins.append(_Bin(middle, q, sigma, self._theta(middle), rate, weight))
        self._open = []
