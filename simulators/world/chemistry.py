"""Rate laws of the two chemistries the rig handles: KMnO4 dissolution/oxidation and MgBr disproportionation.

Pure functions of temperature so the validator-side estimates and the world can be compared number for number.
"""

from __future__ import annotations

import math

from simulators.world.config import GAS_CONSTANT, ZERO_C_IN_K, WorldConfig

_MGBR_REF_K = ZERO_C_IN_K - 40.0


def dissolution_rate_s(tr_c: float, cfg: WorldConfig, stirred: bool) -> float:
    """k_d: solid KMnO4 only reacts once dissolved, and it only dissolves while it is kept suspended."""
    if not stirred:
        factor = cfg.unstirred_factor
        if factor == 0.0:
            return 0.0
    else:
        factor = 1.0
    t_k = tr_c + ZERO_C_IN_K
    arrhenius = math.exp(-cfg.dissolution_ea_j_mol / GAS_CONSTANT * (1.0 / t_k - 1.0 / ZERO_C_IN_K))
    return factor * arrhenius / cfg.dissolution_tau_0c_s


def mgbr_decay_rate_s(t_c: float, cfg: WorldConfig) -> float:
    """Arrhenius from t½(−40 °C), cut off steeply below the stability limit.

    Plain Arrhenius with Ea 90 kJ/mol would still lose most of the reagent in three days at −50 °C, which contradicts
    the observed metastability; the cut-off (width ``mgbr_cutoff_width_k``) encodes "≈ 0 below −45 °C".
    """
    t_k = t_c + ZERO_C_IN_K
    k_ref = math.log(2.0) / cfg.mgbr_half_life_m40_s
    exponent = -cfg.mgbr_ea_j_mol / GAS_CONSTANT * (1.0 / t_k - 1.0 / _MGBR_REF_K)
    if t_c < cfg.mgbr_stable_below_c:
        exponent -= (cfg.mgbr_stable_below_c - t_c) / cfg.mgbr_cutoff_width_k
    return k_ref * math.exp(min(exponent, 50.0))


def decay(amount: float, rate_s: float, dt_s: float) -> float:
    """Exact first-order decay over a step: stays stable however fast the rate (MgBr at 0 °C is seconds)."""
    return amount * math.exp(-rate_s * dt_s)
