"""The Quantos dosing module: front door, head pin, dose parameters and the dose job.

Jobs (door, pin, dose) outlive the command line that started them: the instrument answers ``B`` at once and the
final ``A``/``I`` line later, from :meth:`Quantos.update`. Those late lines go to whoever is connected *then*; if
nobody is, they are lost, exactly the "outcome unknown" case the controller must handle by reading ``QRD 2 4 12``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from simulators.clock import Clock
from simulators.mettler.ledger import DoseLedger, DoseRecord
from simulators.plant import DosingPlant


class Door(IntEnum):
    CLOSED = 2
    OPEN = 3
    NOT_DETECTED = 8
    MOVING = 9


class Fail(IntEnum):
    """Error codes after ``I``, numbered as in the spec."""

    HEAD_NOT_MOUNTED = 1
    JOB_RUNNING = 2
    TIMEOUT = 3
    NOT_SELECTED = 4
    NOT_ALLOWED = 5
    NOT_STABLE = 6
    POWDER_FLOW = 7
    STOPPED = 8
    DOSE_LIMIT = 11


@dataclass
class QuantosConfig:
    door_move_s: float = 3.0
    pin_move_s: float = 1.0
    dose_timeout_s: float = 900.0
    flow_stall_s: float = 30.0
    """No mass leaving the head for this long while dosing is a powder-flow error (bridging, empty head)."""
    head_dose_limit: int = 999
    head_id: str = "QH002-CNMW"
    substance: str = "KMnO4"
    default_tolerance_pct: float = 2.0


@dataclass
class _Motion:
    command: str
    done_at_s: float


class Quantos:
    def __init__(self, plant: DosingPlant, clock: Clock, config: QuantosConfig) -> None:
        self.config = config
        self.ledger = DoseLedger()
        self._plant = plant
        self._clock = clock
        self.target_mg: float | None = None
        self.tolerance_pct = config.default_tolerance_pct
        self.overdose_only = False
        self.sample_id = ""
        self.door = Door.CLOSED
        self._door_goal = Door.CLOSED
        self.pin_locked = True
        self._pin_goal = True
        self.head_dose_count = 0
        self._motions: list[_Motion] = []
        self._dose: DoseRecord | None = None
        self._end_code: Fail | None = None
        self._last_flow_s = 0.0
        self._last_dosed_g = 0.0

    # -- state a command handler asks about -------------------------------------------------------------------
    def busy(self) -> bool:
        return self._dose is not None or bool(self._motions)

    def dosing(self) -> bool:
        return self._dose is not None

    def last_dose(self) -> DoseRecord | None:
        records = self.ledger.records()
        return records[-1] if records else None

    def head_remaining_mg(self) -> float:
        return self._plant.head_remaining_g() * 1000.0

    # -- fault hooks ----------------------------------------------------------------------------------------------
    def force_door(self, door: Door) -> None:
        """Someone opened (or jammed) the door by hand; the next start fails with ``I 5``."""
        self.door = door
        self._door_goal = door

    def set_head_dose_count(self, count: int) -> None:
        """Put the head at (or near) its dose limit so the next start fails with ``I 11``."""
        self.head_dose_count = count

    # -- jobs -----------------------------------------------------------------------------------------------------
    def move_door(self, goal: Door) -> None:
        self._door_goal = goal
        if self.door != goal:
            self.door = Door.MOVING
        self._motions.append(_Motion("QRA 60 7", self._clock.now() + self._travel(self.door != goal)))

    def move_pin(self, lock: bool) -> None:
        moving = self.pin_locked != lock
        self._pin_goal = lock
        self._motions.append(_Motion("QRA 60 2", self._clock.now() + self._travel(moving, pin=True)))

    def _travel(self, moving: bool, pin: bool = False) -> float:
        if not moving:
            return 0.0
        return self.config.pin_move_s if pin else self.config.door_move_s

    def start_dose(self) -> Fail | None:
        """Checks what the instrument can see before accepting; ``None`` means accepted (reply ``B``)."""
        if self.busy():
            return Fail.JOB_RUNNING
        if self.target_mg is None:
            return Fail.NOT_SELECTED
        if self.door != Door.CLOSED or not self.pin_locked:
            return Fail.NOT_ALLOWED
        if self.head_dose_count >= self.config.head_dose_limit:
            return Fail.DOSE_LIMIT
        now = self._clock.now()
        target_g = self.target_mg / 1000.0
        self.head_dose_count += 1
        self._dose = self.ledger.open(now, target_g, self.tolerance_pct, self.overdose_only, self.sample_id)
        self._end_code = None
        self._last_flow_s = now
        self._last_dosed_g = 0.0
        self._plant.start_dose(target_g)
        return None

    def stop_dose(self) -> None:
        if self._dose is not None:
            self._end_code = Fail.STOPPED
            self._plant.stop_dose()

    def update(self) -> list[str]:
        """Finish whatever jobs are due and return their final reply lines."""
        self._plant.advance()
        now = self._clock.now()
        lines: list[str] = []
        for motion in [m for m in self._motions if m.done_at_s <= now]:
            self._motions.remove(motion)
            if motion.command == "QRA 60 7":
                self.door = self._door_goal
            else:
                self.pin_locked = self._pin_goal
            lines.append(f"{motion.command} A")
        if self._dose is not None:
            lines.extend(self._watch_dose(now))
        return lines

    def _watch_dose(self, now: float) -> list[str]:
        assert self._dose is not None
        dosed = self._plant.dosed_g()
        if dosed > self._last_dosed_g:
            self._last_dosed_g = dosed
            self._last_flow_s = now
        if self._plant.dose_running() and self._end_code is None:
            if now - self._dose.started_at_s >= self.config.dose_timeout_s:
                self._end_code = Fail.TIMEOUT
                self._plant.stop_dose()
            elif now - self._last_flow_s >= self.config.flow_stall_s:
                self._end_code = Fail.POWDER_FLOW
                self._plant.stop_dose()
        if self._plant.dose_running():
            return []
        record, self._dose = self._dose, None
        record.ended_at_s = now
        record.dispensed_g = self._plant.dosed_g()
        code = self._end_code
        if code is None and record.dispensed_g < record.target_g * (1 - record.tolerance_pct / 100.0):
            code = Fail.POWDER_FLOW
        record.outcome = "complete" if code is None else f"I {int(code)}"
        return ["QRA 61 1 A" if code is None else f"QRA 61 1 I {int(code)}"]
