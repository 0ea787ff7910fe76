"""What the supervisor knows at one moment: every reading with its time, and the state of each link.

A value that could not be read is None with the reason beside it; the conditions decide what an unknown means
(a gate closes, a `Tr missing` interlock trips). Nothing here substitutes one sensor for another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices.reading import Reading
from devices.roles import ChillerStatus

STIR_TOLERANCE = 0.10
"""Stirring counts as verified within 10 % of its setpoint (at least STIR_TOLERANCE_MIN_RPM): a stalled, slipping
or stopped shaft is far outside, a regulated one well inside."""
STIR_TOLERANCE_MIN_RPM = 10.0
TORQUE_STALE_POLLS = 10
STIR_STALE_POLLS = 2


def stir_tolerance_rpm(setpoint: float) -> float:
    return max(STIR_TOLERANCE * setpoint, STIR_TOLERANCE_MIN_RPM)


@dataclass(frozen=True)
class LinkState:
    online: bool = True
    error: str | None = None
    since: float | None = None


@dataclass(frozen=True)
class Snapshot:
    at: float
    tr: Reading[float] | None = None
    """Last process-probe reading (value None: the probe reported missing); None: never read on this link."""
    tj: Reading[float] | None = None
    setpoint: float | None = None
    status: ChillerStatus | None = None
    chiller_error: int = 0
    chiller: LinkState = field(default_factory=LinkState)
    doser: LinkState = field(default_factory=LinkState)
    """The MT-SICS link the doser and its balance share."""
    balance: Reading[float] | None = None
    doser_fault: str | None = None
    tr_rate_k_min: float | None = None
    mtsr_c: float | None = None
    """The MTSR in force: the larger of the model's and the heat balance's (either alone while the other has
    none)."""
    mtsr_model_c: float | None = None
    mtsr_measured_c: float | None = None
    heat_release_pct: float | None = None
    stale_after_s: float = 2.0
    has_stirrer: bool = False
    """The rig's stirrer is an instrument labctl reads; without one, stirring is for a person to confirm."""
    stirrer: LinkState = field(default_factory=LinkState)
    stir_speed: Reading[float] | None = None
    stir_torque: Reading[float] | None = None
    stir_setpoint: float | None = None
    """The speed the unit holds as its setpoint (read back, or as applied by labctl)."""

    def _stale(self, reading: Reading[float] | None) -> bool:
        return reading is None or self.at - reading.at > self.stale_after_s

    def _missing(self, reading: Reading[float] | None) -> bool:
        """The probe itself says it is absent (Huber C504), as opposed to the link being down."""
        return reading is not None and reading.value is None and not self._stale(reading)

    def tr_value(self) -> float | None:
        return None if self.tr is None or self._stale(self.tr) else self.tr.value

    def tj_value(self) -> float | None:
        return None if self.tj is None or self._stale(self.tj) else self.tj.value

    def tr_stale(self) -> bool:
        return self._stale(self.tr)

    def tj_stale(self) -> bool:
        return self._stale(self.tj)

    def tr_missing(self) -> bool:
        return self._missing(self.tr)

    def tj_missing(self) -> bool:
        return self._missing(self.tj)

    def chiller_fault(self) -> bool:
        return self.chiller_error != 0 or (self.status is not None and self.status.error)

    def stir_speed_value(self) -> float | None:
        """Read every other poll (Supervisor.STIRRER_EVERY), so it is judged stale on that scale."""
        speed = self.stir_speed
        if speed is None or self.at - speed.at > STIR_STALE_POLLS * self.stale_after_s:
            return None
        return speed.value

    def stir_torque_value(self) -> float | None:
        """Read every few polls (Supervisor.TORQUE_EVERY), so it is judged stale on that scale."""
        torque = self.stir_torque
        if torque is None or self.at - torque.at > TORQUE_STALE_POLLS * self.stale_after_s:
            return None
        return torque.value

    def stirring(self) -> bool | None:
        """Stirring verified: the shaft turns at its setpoint within STIR_TOLERANCE. None when it cannot be
        known (no stirrer instrument, its link down, no fresh speed or setpoint): never assumed to stir."""
        if not self.has_stirrer or not self.stirrer.online:
            return None
        speed, setpoint = self.stir_speed_value(), self.stir_setpoint
        if speed is None or setpoint is None:
            return None
        return setpoint > 0 and abs(speed - setpoint) <= stir_tolerance_rpm(setpoint)

    def stirred_as_far_as_known(self) -> bool:
        """Whether dosed solid may be counted as reacting: stirring verified, or no stirrer instrument to say
        otherwise (a person confirmed it). Unverified stirring counts as none."""
        return not self.has_stirrer or self.stirring() is True

    def chiller_stopped(self) -> bool:
        return self.status is not None and not self.status.temperature_control
