"""How much metastable MgBr the batch has lost, estimated from the reaction-mass temperature (process-model §2,
§4): first order, t½ = 4 h at −40 °C, Ea = 90 kJ/mol (minutes at −20 °C, seconds at 0 °C), nothing below −45 °C.

The estimate errs towards more loss: Arrhenius is followed all the way down to −45 °C, where the spec only says
"≈ 0 below". While Tr is unknown nothing is counted (the `Tr missing` / `Tr stale` interlocks cover that time);
the batch is marked compromised by the engine once the loss passes 10 %.

In a step that `consumes` the MgBr (the KCp* hold) the intended reaction competes with the decay. The paper runs
that reaction for hours near −40 °C and it works, which the placeholder decay (t½ 4 h at −40 °C) would not allow
if it won: there, loss is counted only above −40 °C, where the paper says MgBr is lost whatever else is present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GAS_CONSTANT = 8.314
ZERO_C_K = 273.15
COMPROMISED_LOSS = 0.10
PAPER_LIMIT_C = -40.0


@dataclass
class MgBrDecay:
    present_in_step: list[bool]
    """Per protocol step, whether MgBr is in the vessel (from the protocol's material timeline)."""
    reacting_in_step: list[bool] | None = None
    """Per protocol step, whether the step consumes the MgBr (its intended reaction); None: no step does."""
    half_life_m40_s: float = 4 * 3600.0
    ea_j_mol: float = 90e3
    stable_below_c: float = -45.0
    remaining: float = 1.0
    _last_t: float | None = None

    @property
    def lost(self) -> float:
        return 1.0 - self.remaining

    def rate_per_s(self, tr_c: float, reacting: bool = False) -> float:
        if tr_c < (PAPER_LIMIT_C if reacting else self.stable_below_c):
            return 0.0
        at_m40 = math.log(2) / self.half_life_m40_s
        return at_m40 * math.exp(
            -self.ea_j_mol / GAS_CONSTANT * (1 / (tr_c + ZERO_C_K) - 1 / (ZERO_C_K - 40.0))
        )

    def advance(self, t: float, tr_c: float | None, step_index: int) -> None:
        present = self.present_in_step[step_index]
        reacting = self.reacting_in_step is not None and self.reacting_in_step[step_index]
        if self._last_t is not None and present and tr_c is not None and t > self._last_t:
            self.remaining *= math.exp(-self.rate_per_s(tr_c, reacting) * (t - self._last_t))
        self._last_t = t
