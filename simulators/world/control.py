"""The thermostat's own regulation: PI loops with clamping anti-windup, and the cascade that couples them.

Kept apart from the physics so the gains can be tuned (and tested) against the reference outcomes on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.world.config import WorldConfig


@dataclass
class PI:
    """Position-form PI; the integral stops growing while the output is pinned (no windup after a long saturation)."""

    kp: float
    ti_s: float
    low: float
    high: float
    integral: float = 0.0

    def update(self, error: float, dt_s: float, bias: float = 0.0) -> float:
        proposed = self.integral + self.kp * error * dt_s / self.ti_s
        raw = bias + self.kp * error + proposed
        if raw > self.high:
            out = self.high
            if error < 0:
                self.integral = proposed
        elif raw < self.low:
            out = self.low
            if error > 0:
                self.integral = proposed
        else:
            out = raw
            self.integral = proposed
        return out

    def reset(self) -> None:
        self.integral = 0.0


class Cascade:
    """Process mode: outer PI on Tr proposes a bath setpoint; inner PI turns the bath error into u ∈ [−1, 1]."""

    def __init__(self, cfg: WorldConfig) -> None:
        self.outer = PI(cfg.outer_kp, cfg.outer_ti_s, -cfg.cascade_band_k, cfg.cascade_band_k)
        self.inner = PI(cfg.inner_kp_per_k, cfg.inner_ti_s, -1.0, 1.0)
        self.bath_setpoint_c: float | None = None

    def reset(self) -> None:
        self.outer.reset()
        self.inner.reset()
        self.bath_setpoint_c = None

    def bath_setpoint(
        self, setpoint_c: float, process_mode: bool, tr_meas_c: float | None, dt_s: float
    ) -> float:
        """Without a probe reading the outer loop freezes at its last output rather than guessing."""
        if not process_mode:
            self.outer.reset()
            self.bath_setpoint_c = setpoint_c
        elif tr_meas_c is not None:
            offset = self.outer.update(setpoint_c - tr_meas_c, dt_s)
            self.bath_setpoint_c = setpoint_c + offset
        elif self.bath_setpoint_c is None:
            self.bath_setpoint_c = setpoint_c
        return self.bath_setpoint_c

    def demand(self, bath_setpoint_c: float, tb_c: float, dt_s: float) -> float:
        return self.inner.update(bath_setpoint_c - tb_c, dt_s)
