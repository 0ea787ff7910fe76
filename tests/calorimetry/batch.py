"""A jacketed reactor in the physics world on a manual clock, read the way the supervisor reads it (the probe's
Tr, the thermostat's own Tj) every poll: a cool-down to 2.5 °C under process control, then portions of KMnO4."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from labctl.calorimetry.samples import ThermalSample
from simulators.clock import ManualClock
from simulators.world import World, WorldConfig

COOL_DOWN_S = 40 * 60
PORTION_G = 4.75


def config(**changes: float) -> WorldConfig:
    return replace(WorldConfig(), **changes)


def true_heat_capacity(cfg: WorldConfig) -> float:
    return cfg.c_reaction_j_k + cfg.c_glass_j_k


def effective_ua(cfg: WorldConfig) -> float:
    """UA as seen from the thermostat's reading: the jacket wall in series with the circulating fluid."""
    circulation_w_k = cfg.jacket_flow_l_min / 60.0 * cfg.coolant_j_l_k
    return 1.0 / (1.0 / cfg.ua_w_k + 1.0 / circulation_w_k)


@dataclass
class Batch:
    cfg: WorldConfig
    seed: int = 1
    poll_s: float = 1.0
    clock: ManualClock = field(default_factory=ManualClock)
    world: World = field(init=False)
    truth: dict[float, tuple[float, float]] = field(default_factory=dict)
    """time → (the reaction's heat flow W, heat released J since the world began)."""

    def __post_init__(self) -> None:
        self.world = World(self.cfg, self.clock, self.seed)
        self.world.thermostat.set_control(2.5, process_mode=True, running=True, circulating=True)

    def sample(self) -> ThermalSample:
        plant = self.world.thermostat
        tr = plant.process_temperature_c()
        assert tr is not None
        state = self.world.state
        self.truth[self.clock.now()] = (state.q_reaction_w, state.heat_released_j)
        return ThermalSample(self.clock.now(), tr, plant.internal_temperature_c())

    def run(
        self, seconds: float, *, dose_every_s: float | None = None, portions: int = 0
    ) -> list[ThermalSample]:
        """Poll for `seconds`; with `dose_every_s`, start `portions` portions that far apart from now."""
        start, samples, dosed = self.clock.now(), [], 0
        while self.clock.now() < start + seconds:
            elapsed = self.clock.now() - start
            if dose_every_s is not None and dosed < portions and elapsed >= dosed * dose_every_s:
                self.world.doser.start_dose(PORTION_G)
                dosed += 1
            samples.append(self.sample())
            self.clock.advance(self.poll_s)
        return samples
