"""The EUROSTAR's own logic over a :class:`StirrerPlant`: accepted ranges, the speed limit, the safety speed and the
communication watchdog (specs/ika-overhead-stirrer.md).

The motor itself (on/off, setpoint, ramp, stall) is the plant's, so a fault in the world and a command on the wire
change the same state.  Choices where the sources are silent *(ours)*: a setpoint outside 30–2000 rpm or above the
speed limit is ignored (the unit never answers a command, so the host sees it only by reading back); the watchdog
is fed only by re-sending ``OUT_WDx@m`` (the manual's wording); ``RESET`` stops the motor, clears the error and
the watchdog.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.clock import Clock
from simulators.plant import StirrerPlant

SPEED_RANGE_RPM = (30.0, 2000.0)
WATCHDOG_RANGE_S = (20, 1500)


@dataclass
class Watchdog:
    mode: int
    period_s: float
    fed_at_s: float

    def expired(self, now: float) -> bool:
        return now - self.fed_at_s > self.period_s


class Eurostar:
    """One EUROSTAR 60 control; any number of sessions may talk to it (the last command wins)."""

    name = "EUROSTAR 60 control"

    def __init__(self, plant: StirrerPlant, clock: Clock) -> None:
        self.plant = plant
        self.clock = clock
        self.speed_limit_rpm = SPEED_RANGE_RPM[1]
        self.torque_limit_ncm = 60.0
        self.safety_speed_rpm = 100.0
        self.probe_c = 21.5
        self.watchdog: Watchdog | None = None
        self.error: int | None = None
        """What the display shows (2: the WD1 event); not readable over NAMUR."""
        self.watchdog_events: list[tuple[float, int]] = []

    def update(self) -> None:
        """Let the watchdog expire even when nobody is talking (that is its point)."""
        self.plant.advance()
        wd = self.watchdog
        if wd is None or not wd.expired(self.clock.now()):
            return
        self.watchdog = None
        self.watchdog_events.append((self.clock.now(), wd.mode))
        if wd.mode == 1:
            self.plant.switch(False)
            self.error = 2
        else:
            self.plant.set_speed(self.safety_speed_rpm)

    def _in_range(self, rpm: float) -> bool:
        low, high = SPEED_RANGE_RPM
        return low <= rpm <= high

    def set_speed(self, rpm: float) -> None:
        if self._in_range(rpm) and rpm <= self.speed_limit_rpm:
            self.plant.set_speed(rpm)

    def set_speed_limit(self, rpm: float) -> None:
        if self._in_range(rpm):
            self.speed_limit_rpm = rpm

    def set_safety_speed(self, rpm: float) -> None:
        if self._in_range(rpm):
            self.safety_speed_rpm = rpm

    def start(self) -> None:
        self.plant.switch(True)
        self.error = None

    def stop(self) -> None:
        self.plant.switch(False)

    def reset(self) -> None:
        self.plant.switch(False)
        self.error = None
        self.watchdog = None

    def arm_watchdog(self, mode: int, seconds: int) -> bool:
        """``False``: not a time the unit accepts (no echo)."""
        if mode == 2 and seconds == 0:
            self.watchdog = None
            return True
        low, high = WATCHDOG_RANGE_S
        if not low <= seconds <= high:
            return False
        self.watchdog = Watchdog(mode, float(seconds), self.clock.now())
        return True
