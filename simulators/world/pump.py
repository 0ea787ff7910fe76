"""Liquid moved by a peristaltic pump from a finite reservoir into the reactor (PumpPlant).

The tubing never moves exactly what the head turns: delivered = commanded × (1 + ε), ε drawn per run. An empty
reservoir or an occluded tube lets the head keep counting while nothing (or less) arrives, which is exactly the
discrepancy a gravimetric or volumetric check has to catch.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from simulators.world.config import WorldConfig


class Pump:
    def __init__(self, cfg: WorldConfig, rng: random.Random, advance: Callable[[], None]) -> None:
        self._cfg = cfg
        self._rng = rng
        self._advance = advance
        self.reservoir_ml = cfg.pump_reservoir_ml
        self._running = False
        self._rate_ml_s = 0.0
        self._limit_ml: float | None = None
        self._commanded_ml = 0.0
        self._delivered_ml = 0.0
        self._factor = 1.0
        self._stop_cause: str | None = None
        self.occluded = False
        self.overheated = False

    # --- PumpPlant
    def advance(self) -> None:
        self._advance()

    def run(self, rate_ml_min: float, volume_ml: float | None) -> None:
        self._advance()
        if rate_ml_min <= 0:
            raise ValueError("rate must be positive")
        self._rate_ml_s = rate_ml_min / 60.0
        self._limit_ml = volume_ml
        self._commanded_ml = 0.0
        self._delivered_ml = 0.0
        self._factor = 1.0 + self._rng.gauss(self._cfg.pump_bias, self._cfg.pump_sigma)
        self._stop_cause = None
        self._running = True
        self._check_stops()

    def stop(self) -> None:
        self._advance()
        self._running = False

    def running(self) -> bool:
        self._advance()
        return self._running

    def commanded_ml(self) -> float:
        self._advance()
        return self._commanded_ml

    def delivered_ml(self) -> float:
        self._advance()
        return self._delivered_ml

    def stop_cause(self) -> str | None:
        self._advance()
        return None if self._running else self._stop_cause

    # --- fault hooks
    def occlude(self) -> None:
        """A kinked or clamped tube: the pump's pressure sensing stops the run."""
        self._advance()
        self.occluded = True
        self._check_stops()

    def clear_occlusion(self) -> None:
        self._advance()
        self.occluded = False

    def overheat(self) -> None:
        self._advance()
        self.overheated = True
        self._check_stops()

    def cool_down(self) -> None:
        self._advance()
        self.overheated = False

    def empty_reservoir(self) -> None:
        self._advance()
        self.reservoir_ml = 0.0

    def refill(self, volume_ml: float) -> None:
        self._advance()
        self.reservoir_ml = volume_ml

    # --- physics step, called by the world
    def step(self, dt_s: float) -> float:
        """mL that reach the reactor during this step."""
        if not self._running:
            return 0.0
        move = self._rate_ml_s * dt_s
        if self._limit_ml is not None:
            move = min(move, self._limit_ml - self._commanded_ml)
        self._commanded_ml += move
        arrive = min(move * self._factor, self.reservoir_ml)
        self.reservoir_ml -= arrive
        self._delivered_ml += arrive
        if self._limit_ml is not None and self._commanded_ml >= self._limit_ml - 1e-9:
            self._running = False
            self._stop_cause = "complete"
        return arrive

    def _check_stops(self) -> None:
        if not self._running:
            return
        if self.occluded:
            self._running = False
            self._stop_cause = "occlusion"
        elif self.overheated:
            self._running = False
            self._stop_cause = "overtemperature"
