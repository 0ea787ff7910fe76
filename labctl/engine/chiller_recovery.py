"""Bringing the chiller back by itself where that is safe: after a power blip, a clearable unit error, or a lost
process probe.

Once a run has asked the chiller for a temperature, labctl wants the unit regulating, always (it never switches
a chiller off). Each cycle the poll shows whether it is: a unit that restarted (status bit 14 reads 0 once after
power returns) comes back idle with its watchdog cleared; an error (05 ≠ 0) stops it. Then labctl clears the
error, writes the control mode and the setpoint in force (full cooling while tripped), starts temperature control
and, after a restart, programs the unit's own protection again; each write is journalled and the restart is an
alarm a person acknowledges. What the unit refuses (the error comes back, control does not start) is an alarm
with its code; the attempt is repeated at most `ATTEMPTS` times, `RETRY_S` apart, then left to a person.

Without a process reading (the probe reports C504) process control cannot work: the Huber latches −350 and stops.
The unit is switched to internal (jacket) control at a conservative setpoint, explicitly and with an alarm. Tr
stays missing for every gate and interlock; no addition starts. Process control comes back only when the probe
reads again and a person has acknowledged that alarm.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass

from devices.errors import DeviceError
from labctl.engine.alarms import AlarmBoard, Level
from labctl.engine.chiller_guard import ChillerGuard
from labctl.engine.run_context import RunContext
from labctl.engine.snapshot import Snapshot
from labctl.engine.step_temperature import StepTemperature
from labctl.journal.kinds import RecordKind

RETRY_S = 60.0
ATTEMPTS = 3
JACKET_ALARM = "jacket-control"
RESTART_ALARM = "chiller-restarted"
REFUSED_ALARM = "chiller-recovery-failed"


@dataclass(frozen=True)
class JacketControl:
    """Internal control because the process probe is missing."""

    since: float
    setpoint: float


class RecoveryContext(RunContext, typing.Protocol):
    """What bringing the chiller back uses of the run besides the common part."""

    @property
    def alarms(self) -> AlarmBoard: ...

    @property
    def step_temperature(self) -> StepTemperature: ...

    @property
    def chiller_guard(self) -> ChillerGuard: ...

    async def apply_temperature(self, target: float, control: str, *, start: bool = False) -> None: ...


class ChillerRecovery:
    def __init__(self, engine: RecoveryContext) -> None:
        self._eng = engine
        self.jacket: JacketControl | None = None
        self._attempts = 0
        self._last_attempt: float | None = None
        self._refused: int | None = None

    def wanted(self) -> tuple[float, str] | None:
        """The setpoint and control mode labctl wants in force now; None before any step asked for one."""
        eng = self._eng
        step = eng.step_temperature
        setpoint = step.in_force()
        if setpoint is None or step.control is None:
            return None
        safe = eng.chiller_guard.safe_setpoint()
        if eng.chiller_guard.cooling_on and safe is not None:
            setpoint = safe
        if self.jacket is not None:
            return min(setpoint, self.jacket.setpoint), "internal"
        return setpoint, step.control

    @property
    def blocks_additions(self) -> bool:
        return self.jacket is not None

    async def check(self) -> None:
        """Once per cycle, after the poll."""
        eng, snap = self._eng, self._eng.snapshot
        if eng.devices.chiller is None or not snap.chiller.online or snap.status is None:
            return
        self._watch_probe(snap)
        wanted = self.wanted()
        if wanted is None:
            return
        restarted = not snap.status.no_restart_since_last_read
        if restarted:
            eng.record(RecordKind.CHILLER_RESTARTED, {"status": snap.status.raw})
            eng.raise_alarm(
                RESTART_ALARM,
                Level.ALARM,
                "the chiller restarted (power returned?): labctl restarts temperature control",
            )
        if not (restarted or self._needs_help(snap, wanted[1])):
            self._attempts, self._refused = 0, None
            return
        if self._attempts >= ATTEMPTS or (
            self._last_attempt is not None and eng.now() - self._last_attempt < RETRY_S and not restarted
        ):
            return
        await self._bring_back(snap, wanted, restarted)

    @staticmethod
    def _needs_help(snap: Snapshot, control: str) -> bool:
        status = snap.status
        assert status is not None
        return (
            snap.chiller_fault()
            or not status.temperature_control
            or status.process_mode != (control == "process")
        )

    async def _bring_back(self, snap: Snapshot, wanted: tuple[float, str], restarted: bool) -> None:
        eng, chiller = self._eng, self._eng.devices.chiller
        assert chiller is not None
        self._attempts += 1
        self._last_attempt = eng.now()
        setpoint, control = wanted
        eng.record(
            RecordKind.CHILLER_RECOVERING,
            {
                "attempt": self._attempts,
                "error": snap.chiller_error,
                "setpoint_C": setpoint,
                "control": control,
            },
        )
        try:
            if snap.chiller_fault():
                await eng.send("chiller", "clear-error", chiller.clear_error(), error=snap.chiller_error)
            await eng.apply_temperature(setpoint, control, start=True)
            if restarted:
                await eng.chiller_guard.program()
            status = (await chiller.status()).value
            error = (await chiller.faults()).error
        except DeviceError as exc:
            eng.record(RecordKind.CHILLER_RECOVERY_FAILED, {"attempt": self._attempts, "error": str(exc)})
            return  # the poll sees the link; the next cycle tries again
        if status is None or status.error or error != 0 or not status.temperature_control:
            self._refuse(error)
            return
        eng.record(
            RecordKind.CHILLER_RECOVERED,
            {"attempt": self._attempts, "setpoint_C": setpoint, "control": control},
        )
        eng.clear_alarm(REFUSED_ALARM)

    def _refuse(self, error: int) -> None:
        eng = self._eng
        eng.record(RecordKind.CHILLER_RECOVERY_REFUSED, {"attempt": self._attempts, "error": error})
        if self._refused != error:
            self._refused = error
            eng.raise_alarm(
                REFUSED_ALARM,
                Level.ALARM,
                f"the chiller did not restart (error {error}); labctl tries {ATTEMPTS} times, then a person must",
            )

    def _watch_probe(self, snap: Snapshot) -> None:
        eng = self._eng
        if snap.tr_missing() and self.jacket is None and eng.step_temperature.setpoint is not None:
            setpoint = self._jacket_setpoint()
            self.jacket = JacketControl(eng.now(), setpoint)
            self._attempts, self._last_attempt = 0, None
            eng.record(
                RecordKind.CHILLER_JACKET_CONTROL, {"setpoint_C": setpoint, "reason": "process probe missing"}
            )
            eng.raise_alarm(
                JACKET_ALARM,
                Level.ALARM,
                f"process probe missing: the chiller regulates its jacket at {setpoint:g} °C; Tr is unknown "
                "and no addition starts; process control returns once the probe reads and this is acknowledged",
            )
            return
        alarm = eng.alarms.get(JACKET_ALARM)
        if self.jacket is None or snap.tr_value() is None or alarm is None or alarm.acknowledged_by is None:
            return
        self.jacket = None
        self._attempts, self._last_attempt = 0, None
        eng.record(RecordKind.CHILLER_PROCESS_CONTROL, {"by": alarm.acknowledged_by})
        eng.clear_alarm(JACKET_ALARM)

    def _jacket_setpoint(self) -> float:
        """The cold edge of the step's band, else its setpoint. Heat flows into the mass from the room and from
        its reaction, so a jacket held at the process setpoint lets Tr drift above it: unseen, a KCp*/MgBr hold
        at -43 °C warmed past -40 °C in 10 min. Held at the band's cold edge, the mass stays in or above it."""
        eng = self._eng
        setpoint = eng.step_temperature.setpoint
        assert setpoint is not None
        band = eng.step_temperature.band()
        if band is not None:
            setpoint = min(setpoint, band[0])
        safe = eng.chiller_guard.safe_setpoint()
        return setpoint if safe is None else max(setpoint, safe)
