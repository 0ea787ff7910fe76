"""What the checker needs to know of the rig a protocol is to run on, and no more.

The rig file's model satisfies these as it is; the checker never imports it, so the protocol language and the
rig files stay two packages that do not know each other. A test or a tool may pass any object of this shape.
"""

from __future__ import annotations

from typing import Protocol


class ChillerLimits(Protocol):
    """What the rig's chiller can hold and follow, from its data sheet and commissioning."""

    @property
    def temperature_range(self) -> tuple[float, float]:
        """[lowest, highest] °C the unit reaches."""
        ...

    @property
    def process_control(self) -> bool: ...

    @property
    def max_ramp_rate(self) -> float | None:
        """K/min; None when the rig does not say."""
        ...


class RigCapabilities(Protocol):
    @property
    def name(self) -> str:
        """The rig's name, as findings quote it."""
        ...

    def roles(self) -> set[str]:
        """The roles the rig has an instrument for (``chiller``, ``doser``, ``quench_pump``, …)."""
        ...

    def chiller(self) -> ChillerLimits | None: ...

    def max_pump_rate(self) -> float | None:
        """mL/min the quench pump delivers at most; None when the rig does not say."""
        ...
