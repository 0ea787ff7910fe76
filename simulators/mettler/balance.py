"""The weighing cell: zero, tare, noise, stability and load limits over what the plant puts on the pan."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from simulators.clock import Clock
from simulators.plant import DosingPlant

LoadLimit = Literal["+", "-"]


@dataclass
class BalanceConfig:
    serial: str = "B021002593"
    model: str = "XPE205"
    capacity_g: float = 220.009
    readability_g: float = 0.01
    noise_digits: float = 1.0
    """Standard deviation of the reading noise in digits (spec: 0.5–2); 0 makes replies exactly predictable."""
    underload_g: float = -1.0
    """Raw pan load below which the cell reports underload (``-``): the pan lifted or knocked off."""
    stability_window_s: float = 1.0
    """The reading counts as stable once the plant has been quiet this long (spec: ~1 s)."""
    stability_timeout_s: float = 10.0
    """How long ``S``/``T``/``Z`` wait for stability before answering ``I`` (ours: the manual gives no number)."""
    sir_interval_s: float = 0.1
    seed: int = 0


class Balance:
    def __init__(self, plant: DosingPlant, clock: Clock, config: BalanceConfig) -> None:
        self.config = config
        self._plant = plant
        self._clock = clock
        self._rng = random.Random(config.seed)
        self._zero_g = 0.0
        self._tare_g = 0.0
        self._last_unsettled_s: float | None = None

    @property
    def tare_g(self) -> float:
        return self._tare_g

    def update(self) -> None:
        """Sample the plant; stability needs a history, so this runs on every tick and before every reading."""
        self._plant.advance()
        if self._plant.balance_settling():
            self._last_unsettled_s = self._clock.now()

    def stable(self) -> bool:
        if self._plant.balance_settling():
            return False
        if self._last_unsettled_s is None:
            return True
        return self._clock.now() - self._last_unsettled_s >= self.config.stability_window_s

    def limit(self) -> LoadLimit | None:
        load = self._plant.balance_load_g()
        if load > self.config.capacity_g:
            return "+"
        if load < self.config.underload_g:
            return "-"
        return None

    def _round(self, value_g: float) -> float:
        d = self.config.readability_g
        return round(value_g / d) * d

    def gross_g(self) -> float:
        noise = self._rng.gauss(0.0, self.config.noise_digits * self.config.readability_g)
        return self._round(self._plant.balance_load_g() - self._zero_g + noise)

    def net_g(self) -> float:
        return self._round(self.gross_g() - self._tare_g)

    def tare(self) -> float:
        self._tare_g = self.gross_g()
        return self._tare_g

    def set_tare(self, tare_g: float) -> None:
        self._tare_g = self._round(tare_g)

    def zero(self) -> None:
        """Zeroing also clears the tare memory (ours: the reading must show 0 afterwards, whatever was tared)."""
        self._zero_g = self._round(self._plant.balance_load_g())
        self._tare_g = 0.0
