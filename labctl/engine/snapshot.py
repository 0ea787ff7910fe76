"""What the supervisor knows at one moment: every reading with its time, and the state of each link.

A value that could not be read is None with the reason beside it; the conditions decide what an unknown means
(a gate closes, a `Tr missing` interlock trips). Nothing here substitutes one sensor for another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices.reading import Reading
from devices.roles import ChillerStatus


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
    stale_after_s: float = 2.0

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

    def chiller_stopped(self) -> bool:
        return self.status is not None and not self.status.temperature_control
