"""A jacketed reactor in the physics world on a manual clock, read the way the supervisor reads it (the probe's
Tr, the thermostat's own Tj) every poll: a cool-down to 2.5 °C under process control, then portions of KMnO4."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from labctl.calorimetry.accumulation import AccumulationEstimate, MeasuredAccumulation
from labctl.calorimetry.calibration import calibrate
from labctl.calorimetry.heat_flow import HeatFlow
from labctl.calorimetry.samples import ThermalSample
from simulators.clock import ManualClock
from simulators.world import World, WorldConfig

COOL_DOWN_S = 40 * 60
PORTION_G = 4.75
DECLARED_C_J_K = 1010.0  # the scale-up's declared charge, glass left out: the measurement must not care


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


@dataclass(frozen=True)
class Check:
    elapsed_s: float
    """Since the first portion."""
    estimate: AccumulationEstimate | None
    """None before the heat curve allows a fit."""
    true_mol: float
    """The world's own unreacted KMnO4."""
    dosed_mol: float
    """What the world says has landed."""


@dataclass
class Dosing:
    """A batch calibrated on its cool-down, then dosed 10 × 4.75 g one a minute, the accumulation fitted at each
    elapsed second `check_at` accepts (by default every minute, half-way between portions)."""

    batch: Batch
    check_at: Callable[[float], bool] = lambda elapsed: elapsed % 60 == 30
    stirring: bool = True
    checks: list[Check] = field(default_factory=list)

    @property
    def fits(self) -> list[tuple[AccumulationEstimate, float]]:
        """(estimate, true unreacted) of each check that had a fit."""
        return [(c.estimate, c.true_mol) for c in self.checks if c.estimate is not None]

    def run(self, seconds: float, *, stir_off_s: float | None = None, stir_on_s: float | None = None) -> None:
        flow = HeatFlow(calibrate(self.batch.run(COOL_DOWN_S), DECLARED_C_J_K))
        accumulation = MeasuredAccumulation()
        world, clock = self.batch.world, self.batch.clock
        start, ledger = clock.now(), world.state.kmno4_dosed_mol
        while clock.now() < start + seconds:
            elapsed = clock.now() - start
            if elapsed % 60 == 0 and elapsed < 600:
                world.doser.start_dose(PORTION_G)
            if elapsed in (stir_off_s, stir_on_s):
                self.stirring = elapsed == stir_on_s
                world.stirrer.switch(self.stirring)
            sample = self.batch.sample()
            accumulation.advance(sample.t_s, sample.tr_c, self.stirring)
            accumulation.dosed(sample.t_s, world.state.kmno4_dosed_mol - ledger)
            ledger = world.state.kmno4_dosed_mol
            if (estimate := flow.add(sample)) is not None:
                accumulation.heat(estimate)
            if self.check_at(elapsed):
                fitted = accumulation.estimate(sample.t_s)
                self.checks.append(
                    Check(elapsed, fitted, world.state.n_solid_mol, world.state.kmno4_dosed_mol)
                )
            clock.advance(1.0)
