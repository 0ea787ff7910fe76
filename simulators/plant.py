"""What each simulated instrument needs from the physical world, as small interfaces.

The instrument simulators (Huber, Mettler/Quantos, Reglo) implement the wire protocols and the instrument's own
logic (limits, status words, error codes). The physics — temperatures, dissolution, powder and liquid actually
moving — lives in the world (``simulators/world``), which implements these interfaces. Tests of an instrument
simulator may use a small stand-in plant instead of the whole world.

Units: °C, g, mL, s. Times are the world's clock (``Clock.now()``).
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol


class ThermostatFault(Enum):
    """Physical failures the thermostat can suffer; the Huber simulator maps them to its error numbers."""

    COMPRESSOR = "compressor"
    CIRCULATION = "circulation"
    POWER_LOSS = "power loss"


class ThermostatPlant(Protocol):
    """The physical thermostat: bath, pump, compressor, heater and its controllers."""

    def advance(self) -> None:
        """Bring the physics up to the clock's now (call before reading or changing anything)."""
        ...

    def set_control(self, setpoint_c: float, process_mode: bool, running: bool, circulating: bool) -> None:
        """What the controller should do: regulate on the process probe (cascade) or the bath, or idle."""
        ...

    def internal_temperature_c(self) -> float:
        """Bath / jacket outflow temperature."""
        ...

    def process_temperature_c(self) -> float | None:
        """The reaction-mass probe as measured (filtered, noisy); None when the probe is unplugged."""
        ...

    def compressor_on(self) -> bool: ...

    def faults(self) -> set[ThermostatFault]: ...

    def power_cycled_since(self, t: float) -> bool:
        """True when the unit lost power after time ``t`` (Huber status bit 14 logic)."""
        ...


class DosingPlant(Protocol):
    """The powder actually moving from the dosing head into the reactor, and what the balance carries."""

    def advance(self) -> None: ...

    def start_dose(self, target_g: float) -> None:
        """Begin dispensing towards ``target_g`` (the physical part of a Quantos dose)."""
        ...

    def stop_dose(self) -> None: ...

    def dose_running(self) -> bool: ...

    def dosed_g(self) -> float:
        """Mass dispensed by the current or last dose, as it physically left the head."""
        ...

    def head_remaining_g(self) -> float: ...

    def balance_load_g(self) -> float:
        """Gross mass on the balance pan right now, without noise."""
        ...

    def balance_settling(self) -> bool:
        """True while powder is falling or the pan is still moving."""
        ...


class PumpPlant(Protocol):
    """Liquid actually delivered by the peristaltic pump into the reactor."""

    def advance(self) -> None: ...

    def run(self, rate_ml_min: float, volume_ml: float | None) -> None:
        """Start pumping at ``rate_ml_min`` until ``volume_ml`` has been commanded (None: until stopped)."""
        ...

    def stop(self) -> None: ...

    def running(self) -> bool: ...

    def commanded_ml(self) -> float:
        """Volume the pump head has moved since the last start (what the pump believes it dispensed)."""
        ...

    def delivered_ml(self) -> float:
        """Volume that really reached the reactor (less on an empty reservoir or occlusion)."""
        ...

    def stop_cause(self) -> str | None:
        """Why the last run ended by itself: 'complete', 'occlusion', 'overtemperature'; None while running."""
        ...


class StirrerPlant(Protocol):
    """The overhead stirrer's motor and shaft in the reaction mass: rpm, N·cm."""

    def advance(self) -> None: ...

    def set_speed(self, rpm: float) -> None:
        """The speed the motor drives towards while switched on."""
        ...

    def setpoint_rpm(self) -> float: ...

    def switch(self, on: bool) -> None: ...

    def switched_on(self) -> bool: ...

    def speed_rpm(self) -> float:
        """The shaft's actual speed: ramps to the setpoint, 0 when off or blocked."""
        ...

    def torque_ncm(self) -> float:
        """What the motor delivers: drag of the mass, or its stall torque on a blocked shaft."""
        ...
