"""Powder leaving a Quantos-style dosing head (DosingPlant).

Choice of geometry: the head sits above a funnel that stands on the balance pan and drains straight into the
reactor. The balance therefore carries the funnel (``balance_vessel_g``) plus the powder of the *current* dose that
has landed so far; the reading resets when the next dose starts (the instrument tares before dosing). Powder reaches
the reactor the moment it lands — weighing and delivery are the same event, so the dosing ledger and the heat release
cannot drift apart.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from simulators.world.config import WorldConfig


class Doser:
    def __init__(self, cfg: WorldConfig, rng: random.Random, advance: Callable[[], None]) -> None:
        self._cfg = cfg
        self._rng = rng
        self._advance = advance
        self.head_g = cfg.doser_head_g
        self._motor = False
        self._goal_g = 0.0
        self._left_head_g = 0.0  # this dose, out of the head
        self._landed_g = 0.0  # this dose, on the pan (and so in the reactor)
        self._since_landing_s = float("inf")
        self.blocked = False

    # --- DosingPlant
    def advance(self) -> None:
        self._advance()

    def start_dose(self, target_g: float) -> None:
        """The head meters volume, so the dose misses the target by ε ~ N(bias, σ); the balance's fine-dosing
        phase stops it from ending more than ``doser_fine_floor`` short."""
        self._advance()
        if target_g <= 0:
            raise ValueError("target must be positive")
        eps = self._rng.gauss(self._cfg.doser_bias, self._cfg.doser_sigma)
        self._goal_g = target_g * max(1.0 + eps, 1.0 - self._cfg.doser_fine_floor)
        self._left_head_g = 0.0
        self._landed_g = 0.0
        self._motor = True

    def stop_dose(self) -> None:
        self._advance()
        self._motor = False

    def dose_running(self) -> bool:
        self._advance()
        return self._motor

    def dosed_g(self) -> float:
        self._advance()
        return self._left_head_g

    def head_remaining_g(self) -> float:
        self._advance()
        return self.head_g

    def balance_load_g(self) -> float:
        self._advance()
        return self._cfg.balance_vessel_g + self._landed_g

    def balance_settling(self) -> bool:
        self._advance()
        return self._motor or self._in_flight_g() > 1e-3 or self._since_landing_s < self._cfg.balance_settle_s

    # --- fault hooks
    def block(self) -> None:
        """Caked powder: the motor turns, nothing comes out."""
        self._advance()
        self.blocked = True

    def unblock(self) -> None:
        self._advance()
        self.blocked = False

    def empty_head(self) -> None:
        self._advance()
        self.head_g = 0.0

    def refill(self, mass_g: float) -> None:
        self._advance()
        self.head_g = mass_g

    # --- physics step, called by the world
    def step(self, dt_s: float) -> float:
        """Grams that land (and so enter the reactor) during this step."""
        if self._motor:
            flow = 0.0 if self.blocked else self._cfg.doser_rate_g_s * dt_s
            out = min(flow, self.head_g, max(self._goal_g - self._left_head_g, 0.0))
            self.head_g -= out
            self._left_head_g += out
            if self._left_head_g >= self._goal_g - 1e-9:
                self._motor = False
        in_flight = self._in_flight_g()
        landing = (
            in_flight
            if in_flight < 1e-4
            else in_flight * (1.0 - math.exp(-dt_s / self._cfg.doser_fall_tau_s))
        )
        self._landed_g += landing
        self._since_landing_s = 0.0 if landing > 1e-4 else self._since_landing_s + dt_s
        return landing

    def _in_flight_g(self) -> float:
        return self._left_head_g - self._landed_g
