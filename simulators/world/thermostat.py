"""The thermostat as a physical unit (ThermostatPlant): compressor, heater, circulation pump, probe, controllers.

What the Huber simulator commands ends up here; what it reports is read from here. Faults are physical states, the
mapping to error numbers is the instrument simulator's business.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from simulators.plant import ThermostatFault
from simulators.world.config import WorldConfig
from simulators.world.control import Cascade
from simulators.world.state import WorldState
from simulators.world.thermal import relax


class Thermostat:
    def __init__(
        self,
        cfg: WorldConfig,
        state: WorldState,
        rng: random.Random,
        advance: Callable[[], None],
        now: Callable[[], float],
    ) -> None:
        self._cfg = cfg
        self._now = now
        self._state = state
        self._rng = rng
        self._advance = advance
        self._cascade = Cascade(cfg)
        self.setpoint_c = cfg.initial_tb_c
        self.process_mode = False
        self.running = False
        self.circulating = False
        self.probe_plugged = True
        self.u = 0.0
        self._noise_k = 0.0
        self._faults: set[ThermostatFault] = set()
        self._power_losses: list[float] = []

    # --- ThermostatPlant
    def advance(self) -> None:
        self._advance()

    def set_control(self, setpoint_c: float, process_mode: bool, running: bool, circulating: bool) -> None:
        self._advance()
        if process_mode != self.process_mode or (running and not self.running):
            self._cascade.reset()
        self.setpoint_c = setpoint_c
        self.process_mode = process_mode
        self.running = running
        self.circulating = circulating

    def internal_temperature_c(self) -> float:
        self._advance()
        return self._state.tb_c

    def process_temperature_c(self) -> float | None:
        self._advance()
        return self._probe_reading()

    def _probe_reading(self) -> float | None:
        if not self.probe_plugged:
            return None
        return self._state.tr_filtered_c + self._noise_k

    def compressor_on(self) -> bool:
        self._advance()
        return (
            self._powered()
            and self.running
            and ThermostatFault.COMPRESSOR not in self._faults
            and self.u < 0.0
        )

    def faults(self) -> set[ThermostatFault]:
        self._advance()
        return set(self._faults)

    def power_cycled_since(self, t: float) -> bool:
        self._advance()
        return any(lost > t for lost in self._power_losses)

    # --- fault hooks
    def fail_compressor(self) -> None:
        self._advance()
        self._faults.add(ThermostatFault.COMPRESSOR)

    def fail_circulation(self) -> None:
        self._advance()
        self._faults.add(ThermostatFault.CIRCULATION)

    def lose_power(self) -> None:
        self._advance()
        self._faults.add(ThermostatFault.POWER_LOSS)
        # The clock's time, not the integrated time (which trails it by up to one step): the instrument compares
        # it with its own boot time read from the same clock.
        self._power_losses.append(self._now())

    def restore_power(self) -> None:
        """A unit coming back from a power loss is idle until told otherwise; its controllers start from zero."""
        self._advance()
        self._faults.discard(ThermostatFault.POWER_LOSS)
        self.running = False
        self.circulating = False
        self._cascade.reset()

    def repair(self, fault: ThermostatFault) -> None:
        self._advance()
        if fault is ThermostatFault.POWER_LOSS:
            self.restore_power()
        else:
            self._faults.discard(fault)

    def unplug_probe(self) -> None:
        self._advance()
        self.probe_plugged = False

    def plug_probe(self) -> None:
        self._advance()
        self.probe_plugged = True

    # --- physics step, called by the world
    def pump_circulates(self) -> bool:
        return self._powered() and self.circulating and ThermostatFault.CIRCULATION not in self._faults

    def unit_power_w(self, dt_s: float) -> float:
        """Q_unit for this step: controllers act on what the probe shows, physics limits what the unit delivers."""
        if not (self._powered() and self.running):
            self.u = 0.0
            return 0.0
        tr_meas = self._probe_reading()
        bath_sp = self._cascade.bath_setpoint(self.setpoint_c, self.process_mode, tr_meas, dt_s)
        self.u = self._cascade.demand(bath_sp, self._state.tb_c, dt_s)
        if self.u >= 0.0:
            return self.u * self._cfg.heater_w
        if ThermostatFault.COMPRESSOR in self._faults:
            return 0.0
        return self.u * self._cfg.cooling.power_w(self._state.tb_c)

    def update_probe(self, dt_s: float) -> None:
        """The probe lags the mass (sheath, filter) and carries white noise, drawn once per step for determinism."""
        s = self._state
        s.tr_filtered_c = relax(s.tr_filtered_c, s.tr_c, 1.0 / self._cfg.sensor_tau_s, dt_s)
        self._noise_k = self._rng.gauss(0.0, self._cfg.sensor_noise_k)

    def bath_setpoint_c(self) -> float | None:
        return self._cascade.bath_setpoint_c

    def _powered(self) -> bool:
        return ThermostatFault.POWER_LOSS not in self._faults
