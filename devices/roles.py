"""Role interfaces: the only device surface the engine sees.

A rig maps a role to any driver that satisfies the protocol, so the engine never learns which instrument family
(or simulator) is behind it.  Units are fixed per quantity: °C, g, mL, mL/min, s, rpm, N·cm.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from devices.reading import Applied, Reading


class ControlMode(enum.StrEnum):
    """Which sensor the chiller regulates on."""

    INTERNAL = "internal"
    """Its own bath/jacket sensor."""
    PROCESS = "process"
    """The probe in the reaction mass."""


class Sensor(enum.Enum):
    INTERNAL = "internal"
    PROCESS = "process"


@dataclass(frozen=True, slots=True)
class ChillerStatus:
    """Decoded status word; `raw` is kept so an unexpected bit can still be journalled."""

    temperature_control: bool
    circulation: bool
    compressor: bool
    process_mode: bool
    pump: bool
    cooling_available: bool
    keylock: bool
    error: bool
    new_warning: bool
    no_restart_since_last_read: bool
    freeze_protection: bool
    raw: int


@dataclass(frozen=True, slots=True)
class ChillerFaults:
    """Error and warning numbers as the unit reports them (0 = none; Huber errors are ≤ 0, e.g. −328)."""

    error: int
    warning: int


@dataclass(frozen=True, slots=True)
class Limits:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class InstrumentIdentity:
    """What an instrument says it is, for the batch record: which unit ran the batch, not which one was planned.

    Each field is the instrument's own text; None means the instrument did not say (its protocol has no such
    query, or this unit does not offer it), never a placeholder.
    """

    model: str | None = None
    serial: str | None = None
    firmware: str | None = None


@runtime_checkable
class Chiller(Protocol):
    async def set_setpoint(self, celsius: float) -> Applied[float]: ...
    async def get_setpoint(self) -> Reading[float]: ...
    async def set_control_mode(self, mode: ControlMode) -> Applied[ControlMode]: ...
    async def get_control_mode(self) -> ControlMode: ...
    async def start_temperature_control(self) -> None: ...
    async def stop_temperature_control(self) -> None: ...
    async def start_circulation(self) -> None: ...
    async def stop_circulation(self) -> None: ...
    async def internal_temperature(self) -> Reading[float]: ...
    async def process_temperature(self) -> Reading[float]: ...
    async def status(self) -> Reading[ChillerStatus]: ...
    async def faults(self) -> ChillerFaults: ...
    async def clear_error(self) -> None: ...
    async def clear_warning(self) -> None: ...
    async def setpoint_limits(self) -> Limits: ...
    async def set_setpoint_limits(self, low: float, high: float) -> Limits: ...
    async def alarm_limits(self, sensor: Sensor) -> Limits: ...
    async def set_alarm_limits(self, sensor: Sensor, low: float, high: float) -> Limits: ...
    async def arm_watchdog(self, seconds: int) -> int:
        """Watchdog 1: on expiry the unit faults and stops. Not what a run wants; see arm_fallback_watchdog."""
        ...

    async def arm_fallback_watchdog(self, seconds: int, safe_setpoint: float) -> Applied[float]:
        """On expiry the unit switches to `safe_setpoint` and keeps running: the rig stays safe without labctl."""
        ...

    async def feed_watchdog(self) -> None: ...
    async def disarm_watchdog(self) -> None: ...
    async def identity(self) -> InstrumentIdentity: ...
    async def close(self) -> None: ...


@runtime_checkable
class Balance(Protocol):
    async def stable_weight(self) -> Reading[float]: ...
    async def immediate_weight(self) -> Reading[float]: ...
    async def tare(self) -> Reading[float]: ...
    async def zero(self) -> None: ...
    async def identity(self) -> InstrumentIdentity: ...
    async def close(self) -> None: ...


class ToleranceMode(enum.StrEnum):
    """Which side of the target a dose may miss by its tolerance."""

    SYMMETRIC = "symmetric"
    """Short or over by up to the tolerance."""
    OVERDOSE_ONLY = "overdose-only"
    """Never short; over by up to the tolerance."""


class DoorState(enum.StrEnum):
    """Where the doser's front door is. A state the instrument reports but the driver does not know is a
    ProtocolError, never one of these."""

    CLOSED = "closed"
    OPEN = "open"
    MOVING = "moving"
    UNKNOWN = "unknown"
    """The doser itself cannot tell (its door sensor does not detect the door): not closed."""


class DoseEnd(enum.StrEnum):
    """How a dose ended, as the doser states it."""

    COMPLETED = "completed"
    STOPPED = "stopped"
    """Stopped on command before it was done (a host's stop during the dose)."""
    FAILED = "failed"
    """The doser ended it itself, not done: no powder flow, its own timeout, the head's limits, …"""
    NOT_STARTED = "not-started"
    """The doser refused the start: nothing was dispensed."""
    UNKNOWN = "unknown"
    """The doser stated an outcome the driver does not know: not to be taken as completed."""


@dataclass(frozen=True, slots=True)
class DoseResult:
    """A doser's own record of its last dose. `sample_id` tells whose dose it was (None if the doser keeps none)."""

    sample_id: str | None
    grams: float
    outcome: DoseEnd | None
    """None when the record states no outcome."""
    at: float
    code: int | None = None
    """The doser's own error number for a dose that did not complete (None if it gave none), for the record."""
    stated: str | None = None
    """The outcome in the doser's own words, for the record; decisions go by `outcome`."""


@runtime_checkable
class Doser(Protocol):
    async def set_target(self, grams: float) -> None: ...
    async def set_tolerance(self, percent: float, mode: ToleranceMode = ToleranceMode.SYMMETRIC) -> None: ...
    async def dose(self, timeout_s: float | None = None) -> None:
        """Run one dose to its end. OutcomeUnknown if the link fails after the start was sent."""
        ...

    async def stop(self) -> None: ...
    async def set_sample_id(self, sample_id: str) -> None: ...
    async def last_dose_result(self) -> Reading[float]: ...
    async def last_dose(self) -> DoseResult: ...
    async def remaining_quantity(self) -> Reading[float]: ...
    async def door_state(self) -> DoorState: ...
    async def set_door(self, open_: bool) -> None: ...
    async def lock_head(self, locked: bool) -> None: ...
    async def identity(self) -> InstrumentIdentity: ...
    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class PumpStop:
    """Why the pump ended its last run by itself, as the pump reported it (`code` is the pump's own)."""

    code: str
    meaning: str
    complete: bool


class PumpMode(enum.StrEnum):
    """What a pump's start runs to."""

    RPM = "rpm"
    """Turns at a set speed until stopped."""
    FLOW_RATE = "flow-rate"
    """Pumps at a set flow until stopped."""
    VOLUME_AT_RATE = "volume-at-rate"
    """Pumps a set volume at a set flow, then stops by itself."""


@runtime_checkable
class Pump(Protocol):
    async def set_mode(self, mode: PumpMode) -> None: ...
    async def set_tubing(self, inner_diameter_mm: float) -> None: ...
    async def get_tubing(self) -> float: ...
    async def max_flow(self) -> float:
        """Highest flow the pump can run with its present tubing, mL/min."""
        ...

    async def set_rate(self, ml_per_min: float) -> Applied[float]: ...
    async def get_rate(self) -> Reading[float]: ...
    async def set_volume(self, ml: float) -> Applied[float]: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def is_running(self) -> bool: ...
    async def dispensed_volume(self) -> Reading[float]: ...
    async def last_stop(self) -> PumpStop | None:
        """How the run since the last start ended by itself; None while running, after a host stop, or when the
        pump has not said."""
        ...

    async def identity(self) -> InstrumentIdentity: ...
    async def close(self) -> None: ...


class WatchdogMode(enum.StrEnum):
    """What the stirrer does when its host stops re-arming the watchdog in time."""

    STOP = "stop"
    """The motor stops (and the unit shows an error)."""
    SAFE_SPEED = "safe-speed"
    """The setpoint falls to the unit's safety speed; the motor keeps turning."""


@runtime_checkable
class Stirrer(Protocol):
    """An overhead stirrer: speeds in rpm, torque in N·cm, watchdog times in s."""

    async def set_speed(self, rpm: float) -> Applied[float]:
        """The setpoint in force after the write, read back from the unit (it may have declined the request)."""
        ...

    async def speed_setpoint(self) -> Reading[float]: ...
    async def speed(self) -> Reading[float]:
        """Actual shaft speed: 0 when stopped or blocked."""
        ...

    async def torque(self) -> Reading[float]: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def arm_watchdog(self, seconds: float, mode: WatchdogMode = WatchdogMode.STOP) -> None:
        """Arm, or re-arm before it expires (that is how it is fed)."""
        ...

    async def disarm_watchdog(self) -> None: ...
    async def identity(self) -> InstrumentIdentity: ...
    async def close(self) -> None: ...
