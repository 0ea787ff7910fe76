"""The engine's running estimate of oxidant dosed but not yet reacted, and the MTSR it implies.

Same first-order model the checker plans with (process-model §1–2): each dispensed portion adds its moles;
consumption follows k(Tr) = (1/τ)·exp(−Ea/R·(1/T − 1/273.15)). While Tr is unknown nothing is counted as
consumed, so the estimate only errs towards more accumulation. MTSR = Tr + n·|ΔH|/C.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GAS_CONSTANT = 8.314
ZERO_C_K = 273.15


@dataclass
class OxidantModel:
    heat_capacity_j_k: float
    enthalpy_j_mol: float = -225e3
    tau_0c_s: float = 600.0
    ea_j_mol: float = 30e3
    unreacted_mol: float = 0.0
    _last_t: float | None = None

    def add(self, mol: float) -> None:
        self.unreacted_mol += mol

    def advance(self, t: float, tr_c: float | None) -> None:
        if self._last_t is not None and tr_c is not None and t > self._last_t:
            k = (
                math.exp(-self.ea_j_mol / GAS_CONSTANT * (1.0 / (tr_c + ZERO_C_K) - 1.0 / ZERO_C_K))
                / self.tau_0c_s
            )
            self.unreacted_mol *= math.exp(-k * (t - self._last_t))
        self._last_t = t

    def consumed(self) -> None:
        """A step that `consumes` the oxidant (the quench): nothing left to accumulate."""
        self.unreacted_mol = 0.0

    def rise_k(self, mol: float) -> float:
        """The adiabatic rise `mol` of oxidant would give if it reacted at once."""
        return mol * abs(self.enthalpy_j_mol) / self.heat_capacity_j_k

    def mtsr(self, tr_c: float | None) -> float | None:
        if tr_c is None:
            return None
        return tr_c + self.rise_k(self.unreacted_mol)
