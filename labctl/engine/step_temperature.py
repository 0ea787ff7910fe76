"""The temperature the current step asked for, and getting back to it after a trip or a pause.

A trip leaves the unit at full cooling; leaving the trip must not leave it there (a 0–5 °C hold run at −10 °C
is a ruined batch). On resume the step's setpoint and control mode are written again. Warming back is a ramp
(`WARM_BACK_K_MIN`) that never runs more than `LEAD_K` ahead of Tr, instead of asking for the step's setpoint at
once: a controller pulling a cold mass that still holds unreacted oxidant up at full power warms it faster than
the dTr/dt trip allows, and the reaction speeds up as it warms. Cooling back needs no such care. The way back into
the step's band is journalled.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from devices.errors import DeviceError
from labctl.engine.alarms import Level
from labctl.engine.chiller_guard import ChillerGuard
from labctl.engine.run_context import RunContext
from labctl.journal.kinds import RecordKind
from labctl.protocol.model import Protocol

WARM_BACK_K_MIN = 0.25
"""The pace of the way back up: half the dosing gate's dTr/dt limit."""
LEAD_K = 1.0
"""How far above Tr the way back up may ask for, so the controller nudges the mass rather than pulls it."""
RESOLUTION_K = 0.1
NEAR_K = 1.0
"""A step without a band of its own is back when Tr is this close to its setpoint."""


@dataclass(frozen=True)
class Approach:
    since: float
    low: float
    high: float


class TemperatureContext(RunContext, typing.Protocol):
    """What the step's temperature uses of the run besides the common part."""

    @property
    def protocol(self) -> Protocol: ...

    @property
    def step_id(self) -> str | None: ...

    @property
    def chiller_guard(self) -> ChillerGuard: ...

    async def apply_temperature(self, target: float, control: str, *, start: bool = False) -> None: ...


class StepTemperature:
    def __init__(self, engine: TemperatureContext, bands: dict[str, tuple[float, float]]) -> None:
        self._eng = engine
        self._bands = bands
        self.setpoint: float | None = None
        self.control: str | None = None
        self.pending = False
        """A resume was accepted: the step's temperature is written at the start of the next move."""
        self._warm_to: float | None = None
        """The setpoint a way back up is heading for; None when there is no way back under way."""
        self._written: float | None = None
        self._written_at = 0.0
        self._approach: Approach | None = None

    def chosen(self, setpoint: float, control: str) -> None:
        """The step itself set a temperature: that is what a resume goes back to, and any way back ends."""
        self.setpoint, self.control = setpoint, control
        self._warm_to = None

    def stop(self) -> None:
        """A trip: full cooling wins over a way back still under way."""
        self._warm_to = None

    async def restore(self) -> None:
        eng = self._eng
        if not self.pending:
            return
        self.pending = False
        eng.chiller_guard.cooling_undone()
        if self.setpoint is None or self.control is None or eng.devices.chiller is None:
            return
        tr = eng.snapshot.tr_value()
        start = self._first_setpoint(tr)
        eng.record(
            RecordKind.SETPOINT_RESTORED,
            {
                "setpoint_C": self.setpoint,
                "control": self.control,
                "from_C": eng.snapshot.setpoint,
                "Tr_C": None if tr is None else round(tr, 3),
                "warming_back": start < self.setpoint,
                "start_C": start,
            },
        )
        try:
            await eng.apply_temperature(start, self.control)
        except DeviceError as exc:
            eng.raise_alarm("setpoint-restore-failed", Level.ALARM, f"could not restore the setpoint: {exc}")
            return
        self._written, self._written_at = start, eng.now()
        self._warm_to = self.setpoint if start < self.setpoint else None
        low, high = self._band()
        self._approach = Approach(eng.now(), low, high)

    def _first_setpoint(self, tr: float | None) -> float:
        """Tr, where the way back up starts; a mass cooled below the protocol's chiller range (full cooling
        with the stirrer stopped, say) starts from the range's low end: labctl never asks the unit for less."""
        assert self.setpoint is not None
        if tr is None or tr >= self.setpoint:
            return self.setpoint
        low = self._eng.protocol.equipment.lowest_setpoint_c()
        start = round(tr, 1)
        return start if low is None else max(start, low)

    async def advance(self) -> None:
        """Once per cycle while running: the next point of a way back, and whether Tr is back in its band."""
        eng = self._eng
        self._watch_approach()
        target, tr, written = self._warm_to, eng.snapshot.tr_value(), self._written
        if target is None or tr is None or written is None or eng.devices.chiller is None:
            return  # without a reading the setpoint stays where it is
        paced = written + WARM_BACK_K_MIN * (eng.now() - self._written_at) / 60.0
        value = round(min(paced, tr + LEAD_K), 2)
        if value >= target:
            value, self._warm_to = target, None
        elif value - written < RESOLUTION_K:
            return
        try:
            applied = await eng.send(
                "chiller",
                "setpoint",
                eng.devices.chiller.set_setpoint(value),
                setpoint_C=value,
                why="warm-back",
            )
        except DeviceError:
            return  # the poll shows the link; the next cycle writes the next point
        eng.supervisor.note_setpoint(applied.in_force)
        self._written, self._written_at = value, eng.now()

    @property
    def returning(self) -> bool:
        """Since a resume, Tr is not yet back in the step's band or the way back up is still under way: no
        addition starts into a mass the trip's cooling left cold (the oxidant would only accumulate, and the
        warm-up release it) or while the controller is still pulling it up."""
        return self._approach is not None or self._warm_to is not None

    def in_force(self) -> float | None:
        """What labctl has written for the step: the step's setpoint, or the way back's latest point."""
        return self._written if self._warm_to is not None else self.setpoint

    def band(self) -> tuple[float, float] | None:
        """The band the current step is judged by (a hold's own, a dose the next hold's), if it has one."""
        return self._bands.get(self._eng.step_id or "")

    def _band(self) -> tuple[float, float]:
        band = self.band()
        if band is not None:
            return band
        assert self.setpoint is not None
        return (self.setpoint - NEAR_K, self.setpoint + NEAR_K)

    def _watch_approach(self) -> None:
        eng, approach = self._eng, self._approach
        tr = eng.snapshot.tr_value()
        if approach is None or tr is None or not approach.low <= tr <= approach.high:
            return
        self._approach = None
        eng.record(
            RecordKind.SETPOINT_BACK_IN_BAND,
            {
                "Tr_C": round(tr, 3),
                "band_C": [approach.low, approach.high],
                "after_s": round(eng.now() - approach.since, 1),
            },
        )
