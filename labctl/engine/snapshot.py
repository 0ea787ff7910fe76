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

    def tr_value(self) -> float | None:
        return self.tr.value if self.tr is not None and not self.tr_stale() else None

    def tj_value(self) -> float | None:
        if self.tj is None or self.at - self.tj.at > self.stale_after_s:
            return None
        return self.tj.value

    def tr_missing(self) -> bool:
        """The probe itself says it is absent (Huber C504), as opposed to the link being down."""
        return self.tr is not None and self.tr.value is None and not self.tr_stale()

    def tr_stale(self) -> bool:
        return self.tr is None or self.at - self.tr.at > self.stale_after_s

    def chiller_fault(self) -> bool:
        return self.chiller_error != 0 or (self.status is not None and self.status.error)

    def chiller_stopped(self) -> bool:
        return self.status is not None and not self.status.temperature_control
