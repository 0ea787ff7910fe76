"""IKA EUROSTAR control overhead stirrer (NAMUR commands) over a :class:`StirrerPlant`."""

from __future__ import annotations

from simulators.ika.server import serve_ika_pty, serve_ika_tcp
from simulators.ika.session import EurostarSession, value_line
from simulators.ika.unit import SPEED_RANGE_RPM, WATCHDOG_RANGE_S, Eurostar, Watchdog

__all__ = [
    "SPEED_RANGE_RPM",
    "WATCHDOG_RANGE_S",
    "Eurostar",
    "EurostarSession",
    "Watchdog",
    "serve_ika_pty",
    "serve_ika_tcp",
    "value_line",
]
