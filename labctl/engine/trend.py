"""dTr/dt from recent readings: a least-squares slope, so one noisy sample neither trips nor opens a gate."""

from __future__ import annotations

from collections import deque

from labctl.calorimetry.least_squares import slope

WINDOW_S = 60.0
MIN_SPAN_S = 20.0


class Trend:
    def __init__(self, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._points: deque[tuple[float, float]] = deque()

    def add(self, t: float, value: float) -> None:
        if self._points and t <= self._points[-1][0]:
            return
        self._points.append((t, value))
        while self._points and t - self._points[0][0] > self.window_s:
            self._points.popleft()

    def clear(self) -> None:
        self._points.clear()

    def per_minute(self) -> float | None:
        """Slope in K/min, or None until the window spans enough time to say."""
        pts = self._points
        if len(pts) < 3 or pts[-1][0] - pts[0][0] < MIN_SPAN_S:
            return None
        return slope([t for t, _ in pts], [v for _, v in pts]) * 60.0
