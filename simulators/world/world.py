"""The world: one shared state and clock that the thermostat, doser, pump and stirrer all act on.

Integration is lazy — nothing runs until someone looks — and advances in whole fixed steps only, so the result
depends on the seed and on when commands were given, never on how often an instrument polled.
"""

from __future__ import annotations

import math
import random

from simulators.clock import Clock, ManualClock
from simulators.world import chemistry, thermal
from simulators.world.config import KMNO4_G_PER_MOL, WorldConfig
from simulators.world.doser import Doser
from simulators.world.pump import Pump
from simulators.world.state import WorldState
from simulators.world.stirrer import Stirrer
from simulators.world.thermostat import Thermostat


class World:
    def __init__(self, config: WorldConfig | None = None, clock: Clock | None = None, seed: int = 0) -> None:
        self.config = config or WorldConfig()
        self.clock: Clock = clock or ManualClock()
        master = random.Random(seed)
        # one stream per facet: a dose drawn earlier or later does not shift the probe noise
        streams = [random.Random(master.getrandbits(64)) for _ in range(3)]
        self.state = WorldState.initial(self.config)
        self.state.t_s = self.clock.now()
        self._advancing = False
        self._idle_at: float | None = None
        """A time at which `advance` found no whole step due (the same answer until the clock moves)."""
        self.thermostat = Thermostat(self.config, self.state, streams[0], self.advance, self.clock.now)
        self.doser = Doser(self.config, streams[1], self.advance)
        self.pump = Pump(self.config, streams[2], self.advance)
        self.stirrer = Stirrer(self.config, self.advance)
        self.state.stirring = self.stirrer.stirring()

    # --- time
    def advance(self) -> None:
        """Integrate up to the clock's now, in whole steps (the remainder waits for the next call)."""
        if self._advancing:  # a facet read from inside a step sees the state being integrated
            return
        now = self.clock.now()
        if now == self._idle_at:  # most calls: every instrument looks several times per step
            return
        dt = self.config.step_s
        steps = math.floor((now - self.state.t_s) / dt + 1e-9)
        if steps <= 0:
            self._idle_at = now  # nothing due at this time: the state's time moves only below
            return
        self._advancing = True
        try:
            for _ in range(steps):
                self._step(dt)
                self.state.t_s += dt
        finally:
            self._advancing = False

    def _step(self, dt: float) -> None:
        cfg, s = self.config, self.state
        landed_g = self.doser.step(dt)
        if landed_g > 0.0:
            self._add_kmno4(landed_g)
        fed_ml = self.pump.step(dt)
        if fed_ml > 0.0:
            self._add_liquid(fed_ml)

        q_unit = self.thermostat.unit_power_w(dt)

        self.stirrer.step(dt)
        s.stirring = self.stirrer.stirring()

        k_d = chemistry.dissolution_rate_s(s.tr_c, cfg, s.stirring)
        n_before = s.n_solid_mol
        s.n_solid_mol = chemistry.decay(n_before, k_d, dt)
        q_rxn = (n_before - s.n_solid_mol) * -cfg.dosing_enthalpy_j_mol / dt

        reacting = min(s.reductant_mol_e, s.oxidising_mol_e)
        reduced = reacting - chemistry.decay(reacting, 1.0 / cfg.quench_tau_s, dt)
        s.reductant_mol_e -= reduced
        s.oxidising_mol_e -= reduced
        q_quench = reduced * cfg.quench_enthalpy_j_mol_e / dt

        s.mgbr_fraction = chemistry.decay(s.mgbr_fraction, chemistry.mgbr_decay_rate_s(s.tr_c, cfg), dt)

        s.q_reaction_w, s.q_quench_w, s.q_unit_w = q_rxn, q_quench, q_unit
        s.heat_released_j += (q_rxn + q_quench) * dt
        thermal.step(
            s,
            cfg,
            q_reactor_w=q_rxn + q_quench,
            q_unit_w=q_unit,
            circulating=self.thermostat.pump_circulates(),
            dt_s=dt,
        )
        self.thermostat.update_probe(dt)

    # --- additions outside the instruments (an operator's hand, a setup step)
    def charge_kmno4(self, mass_g: float) -> None:
        """All at once, e.g. the reference "whole charge at once" scenario."""
        self.advance()
        self._add_kmno4(mass_g)

    def charge_liquid(self, volume_ml: float, reductant_mol_e_ml: float | None = None) -> None:
        self.advance()
        self._add_liquid(volume_ml, reductant_mol_e_ml)

    def _add_kmno4(self, mass_g: float) -> None:
        cfg, s = self.config, self.state
        mol = mass_g / KMNO4_G_PER_MOL
        thermal.mix_in(s, cfg, mass_g * cfg.c_powder_j_g_k, cfg.ambient_c)
        s.n_solid_mol += mol
        s.kmno4_dosed_mol += mol
        s.oxidising_mol_e += mol * cfg.quench_mol_e_per_mol_kmno4

    def _add_liquid(self, volume_ml: float, reductant_mol_e_ml: float | None = None) -> None:
        cfg, s = self.config, self.state
        per_ml = cfg.feed_reductant_mol_e_ml if reductant_mol_e_ml is None else reductant_mol_e_ml
        thermal.mix_in(s, cfg, volume_ml * cfg.feed_j_ml_k, cfg.ambient_c)
        s.reductant_mol_e += volume_ml * per_ml

    # --- stirrer faults: the shaft jams and is freed; the motor's own state is the controller's business
    def stop_stirrer(self) -> None:
        """The shaft jams: the mass is unstirred from this instant, whatever the motor was told."""
        self.stirrer.block()
        self.state.stirring = self.stirrer.stirring()

    def start_stirrer(self) -> None:
        """The shaft is freed: a motor that is switched on ramps back up (a stopped one stays stopped)."""
        self.stirrer.free()

    # --- readouts for tests and dry-run reports (truth, not measurement)
    def reactor_c(self) -> float:
        self.advance()
        return self.state.tr_c

    def unreacted_fraction(self) -> float:
        """Accumulation: share of the KMnO4 dosed so far that has not reacted yet."""
        self.advance()
        s = self.state
        return s.n_solid_mol / s.kmno4_dosed_mol if s.kmno4_dosed_mol > 0 else 0.0

    def mgbr_fraction(self) -> float:
        self.advance()
        return self.state.mgbr_fraction
