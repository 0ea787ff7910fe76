"""The overhead stirrer's motor and shaft in the reaction mass (StirrerPlant).

The motor is switched on at a setpoint and the shaft ramps to it; a blocked shaft (a stall: the impeller jammed in
settled solid, a broken coupling) stands still at once while the motor strains at its stall torque.  Whether the
mass counts as stirred is decided from the actual speed, not from what anyone commanded, so a stall the controller
never noticed still stops the dissolution.
"""

from __future__ import annotations

from collections.abc import Callable

from simulators.world.config import WorldConfig


class Stirrer:
    def __init__(self, cfg: WorldConfig, advance: Callable[[], None]) -> None:
        self._cfg = cfg
        self._advance = advance
        self._setpoint_rpm = cfg.stirrer_initial_rpm
        self._on = cfg.stirrer_initial_rpm > 0
        self._speed_rpm = self._setpoint_rpm if self._on else 0.0
        self.blocked = False

    # --- StirrerPlant
    def advance(self) -> None:
        self._advance()

    def set_speed(self, rpm: float) -> None:
        self._advance()
        if rpm < 0:
            raise ValueError("speed must be non-negative")
        self._setpoint_rpm = rpm

    def setpoint_rpm(self) -> float:
        return self._setpoint_rpm

    def switch(self, on: bool) -> None:
        self._advance()
        self._on = on

    def switched_on(self) -> bool:
        return self._on

    def speed_rpm(self) -> float:
        self._advance()
        return self._speed_rpm

    def torque_ncm(self) -> float:
        self._advance()
        cfg = self._cfg
        if self.blocked and self._on:
            return cfg.stirrer_stall_ncm
        if self._speed_rpm <= 0.0:
            return 0.0
        drag = cfg.stirrer_drag_ncm_per_rpm * cfg.stirrer_viscosity_factor * self._speed_rpm
        return min(cfg.stirrer_friction_ncm + drag, cfg.stirrer_stall_ncm)

    # --- fault hooks
    def block(self) -> None:
        """The shaft stops dead, whatever the motor is told."""
        self._advance()
        self.blocked = True
        self._speed_rpm = 0.0

    def free(self) -> None:
        self._advance()
        self.blocked = False

    # --- physics step, called by the world
    def stirring(self) -> bool:
        return self._speed_rpm >= self._cfg.stirring_threshold_rpm

    def step(self, dt_s: float) -> None:
        target = self._setpoint_rpm if self._on and not self.blocked else 0.0
        ramp = self._cfg.stirrer_ramp_rpm_s * dt_s
        delta = max(-ramp, min(ramp, target - self._speed_rpm))
        self._speed_rpm = 0.0 if self.blocked else self._speed_rpm + delta
