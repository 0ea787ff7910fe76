"""Heat balance of reaction mass, jacket and bath (process-model §2) over one fixed step.

The jacket is stiff (hold-up/flow ≈ 2 s), so it is relaxed exactly towards its momentary equilibrium instead of
Euler-stepped; the slower nodes use the same exponential update, which keeps a 1 s step stable in every fault state.
"""

from __future__ import annotations

import math

from simulators.world.config import WorldConfig
from simulators.world.state import WorldState


def relax(x: float, target: float, rate_s: float, dt_s: float) -> float:
    """x moves towards ``target`` with first-order ``rate_s``; exact for constant inputs over the step."""
    if rate_s <= 0.0:
        return x
    return target + (x - target) * math.exp(-rate_s * dt_s)


def mix_in(state: WorldState, cfg: WorldConfig, heat_capacity_j_k: float, temperature_c: float) -> None:
    """Adding a feed is an instantaneous mixing: its sensible heat without a stiff feed term in the ODE."""
    if heat_capacity_j_k <= 0.0:
        return
    c_r = state.reactor_heat_capacity_j_k(cfg)
    state.tr_c = (c_r * state.tr_c + heat_capacity_j_k * temperature_c) / (c_r + heat_capacity_j_k)
    state.c_added_j_k += heat_capacity_j_k


def step(
    state: WorldState,
    cfg: WorldConfig,
    *,
    q_reactor_w: float,
    q_unit_w: float,
    circulating: bool,
    dt_s: float,
) -> None:
    """One step of Tr, Tj, Tb with the heat sources held constant over the step."""
    ua = cfg.ua_w_k
    mc = cfg.circulation_w_k if circulating else 0.0
    amb = cfg.ambient_c
    tr, tj, tb = state.tr_c, state.tj_c, state.tb_c

    c_r = state.reactor_heat_capacity_j_k(cfg)
    g_r = ua + cfg.ua_loss_w_k
    tr_eq = (q_reactor_w + ua * tj + cfg.ua_loss_w_k * amb) / g_r
    state.tr_c = relax(tr, tr_eq, g_r / c_r, dt_s)

    g_j = mc + ua
    tj_eq = (mc * tb + ua * tr) / g_j
    state.tj_c = relax(tj, tj_eq, g_j / cfg.c_jacket_j_k, dt_s)

    g_b = mc + cfg.ua_bath_loss_w_k
    if g_b > 0.0:
        tb_eq = (q_unit_w + mc * tj + cfg.ua_bath_loss_w_k * amb) / g_b
        state.tb_c = relax(tb, tb_eq, g_b / cfg.c_bath_j_k, dt_s)
    else:
        state.tb_c = tb + q_unit_w * dt_s / cfg.c_bath_j_k
