"""The Huber unit's own logic: registers, limits, latched errors, watchdogs, ramps.

Both wire front ends (PB line protocol and Modbus TCP) call :meth:`Thermostat.read` and :meth:`Thermostat.write`
with the same signed 16-bit values, so limiting and ``7FFF`` behave identically on both.

The unit evaluates time-driven behaviour (watchdog expiry, ramp progress, alarm limits, plant faults) lazily, on
every access and on :meth:`Thermostat.tick`; a host that polls (as the manual asks) sees the same thing as a unit
evaluating continuously, except that the plant keeps the old control until the next evaluation.

Choices where the manual is silent (ours):
- An error (05 ≠ 0) stops temperature control and circulation; clearing it (write 1) does not restart anything,
  and it latches again at once while its cause persists. Starting (14 = 1 or 16 = 1) is refused while latched.
- Watchdog (40) expiry raises error −600 and stops the unit; watchdog 2 (41) expiry switches to the 2nd setpoint
  (42), keeps running and raises warning −601. Both are one-shot: they disarm on expiry. Writing re-arms.
- Writing 14 = 0 stops temperature control *and* circulation; 16 = 1 starts circulation only; 16 = 0 stops both.
- Writes to read-only addresses and out-of-range values for switches change nothing; the reply is the value in
  force. Limits: 30 is held within [working min, 31], 31 within [30, working max]; narrowing them re-limits the
  setpoint at once. Watchdog times are limited to 0–150 s, the ramp duration to 0–32767 s.
- During a ramp, 00 reads the ramped setpoint; writing 00 cancels the ramp.
- While the plant reports power loss the unit is dead (no reply at all). When power returns the unit restarts with
  control and circulation stopped, watchdogs and ramp cleared, errors and warnings cleared; setpoint and limits
  persist. Status bit 14 reads 0 once after that; the first read after the simulator starts reads 1.
- Switching to process mode (13 = 1) without a process probe is refused; losing the probe in process mode
  raises error −350.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.clock import Clock
from simulators.huber.registers import (
    NOT_DEFINED,
    READ_ONLY,
    REQUIRED_GRADE,
    SENSOR_MISSING,
    EGrade,
    ErrorCode,
    Reg,
    Status,
    WarningCode,
    centi,
)
from simulators.plant import ThermostatFault, ThermostatPlant

WATCHDOG_MAX_S = 150
_FAULT_ERRORS = {
    ThermostatFault.CIRCULATION: ErrorCode.CIRCULATION,
    ThermostatFault.COMPRESSOR: ErrorCode.COMPRESSOR,
}


_REGS = {int(reg): reg for reg in Reg}
"""Address → register without the enum's own lookup (a poll reads three per second)."""


@dataclass
class _Ramp:
    start: int
    end: int
    t0: float
    duration_s: float


class Thermostat:
    """One Huber unit over a physical plant; values are signed int16 in the manual's units (0.01 °C, s)."""

    def __init__(
        self,
        plant: ThermostatPlant,
        clock: Clock,
        *,
        grade: EGrade = EGrade.EXPLORE,
        serial_number: int = 0x0001_E240,
        setpoint: int = 2000,
        setpoint_min: int = -3000,
        setpoint_max: int = 15000,
        working_range: tuple[int, int] = (-10000, 25000),
        keylock: bool = False,
    ) -> None:
        self.plant = plant
        self.clock = clock
        self.grade = grade
        self.serial_number = serial_number
        self.keylock = keylock
        self.freeze_protection = False
        self.working_min, self.working_max = working_range
        self.sp_min = setpoint_min
        self.sp_max = setpoint_max
        self.setpoint = self._limit(setpoint)
        self.running = False
        self.circulating = False
        self.process_mode = False
        self.error = 0
        self.warning = 0
        self.new_warning = False
        self.watchdog_s = 0
        self.watchdog2_s = 0
        self.setpoint2 = self.setpoint
        self.alarms = {
            Reg.INTERNAL_ALARM_HIGH: 30000,
            Reg.INTERNAL_ALARM_LOW: -15000,
            Reg.PROCESS_ALARM_HIGH: 30000,
            Reg.PROCESS_ALARM_LOW: -15000,
        }
        self.ramp_duration_s = 0
        self.ramp_end = self.setpoint
        self._ramp: _Ramp | None = None
        self._watchdog_due: float | None = None
        self._watchdog2_due: float | None = None
        now = clock.now()
        self._booted_at = now
        self._status_read_at = now
        self._powered = True
        self._sent_control: tuple[float, bool, bool, bool] | None = None
        self._push_control()

    # --- public surface -------------------------------------------------------------------------------------

    @property
    def powered(self) -> bool:
        self._update()
        return self._powered

    def tick(self) -> None:
        """Let time-driven behaviour happen without a host access (a dry run's supervisor may call it)."""
        self._update()

    def read(self, address: int) -> int | None:
        """The reply value for a read, or None when the unit is dead and answers nothing."""
        self._update()
        if not self._powered:
            return None
        if not self._enabled(address):
            return NOT_DEFINED
        return self._read(_REGS[address])

    def write(self, address: int, value: int) -> int | None:
        """Apply a write and return the value now in force (None when the unit is dead)."""
        self._update()
        if not self._powered:
            return None
        if not self._enabled(address):
            return NOT_DEFINED
        reg = _REGS[address]
        if reg not in READ_ONLY:
            self._write(reg, value)
            self._apply_faults()
            self._push_control()
        return self._read(reg)

    # --- registers ------------------------------------------------------------------------------------------

    def _enabled(self, address: int) -> bool:
        needed = REQUIRED_GRADE.get(address)
        return needed is not None and needed <= self.grade

    def _read(self, reg: Reg) -> int:
        if reg is Reg.STATUS:
            return self._status()
        if reg is Reg.WARNING:
            self.new_warning = False
        return self._value(reg)

    def _value(self, reg: Reg) -> int:
        if reg is Reg.INTERNAL_TEMP:  # the temperatures first: a supervisor reads them every second
            return centi(self.plant.internal_temperature_c())
        if reg is Reg.PROCESS_TEMP:
            process = self.plant.process_temperature_c()
            return SENSOR_MISSING if process is None else centi(process)
        simple = {
            Reg.SETPOINT: self.setpoint,
            Reg.ERROR: self.error,
            Reg.WARNING: self.warning,
            Reg.CONTROL_MODE: int(self.process_mode),
            Reg.TEMP_CONTROL: int(self.running),
            Reg.CIRCULATION: int(self.circulating),
            Reg.SERIAL_LOW: self.serial_number & 0xFFFF,
            Reg.SERIAL_HIGH: (self.serial_number >> 16) & 0xFFFF,
            Reg.SETPOINT_MIN: self.sp_min,
            Reg.SETPOINT_MAX: self.sp_max,
            Reg.WATCHDOG: self.watchdog_s,
            Reg.WATCHDOG2: self.watchdog2_s,
            Reg.SETPOINT2: self.setpoint2,
            Reg.RAMP_DURATION: self.ramp_duration_s,
            Reg.RAMP_END: self.ramp_end,
        }
        if reg in simple:
            value = simple[reg]
            return value - 0x10000 if value > 0x7FFF else value
        return self.alarms[reg]

    def _status(self) -> int:
        now = self.clock.now()
        faults = self.plant.faults()
        pump = self.circulating and ThermostatFault.CIRCULATION not in faults
        bits = {
            Status.CONTROL_ACTIVE: self.running,
            Status.CIRCULATION_ACTIVE: self.circulating,
            Status.COMPRESSOR_ON: self.plant.compressor_on(),
            Status.PROCESS_MODE: self.process_mode,
            Status.PUMP_ON: pump,
            Status.COOLING_AVAILABLE: ThermostatFault.COMPRESSOR not in faults,
            Status.KEYLOCK: self.keylock,
            Status.ERROR: self.error != 0,
            Status.NEW_WARNING: self.new_warning,
            Status.NO_RESTART_SINCE_READ: not self.plant.power_cycled_since(self._status_read_at),
            Status.FREEZE_PROTECTION: self.freeze_protection,
        }
        self._status_read_at = now
        word = sum(1 << bit for bit, on in bits.items() if on)
        return word - 0x10000 if word & 0x8000 else word

    def _write(self, reg: Reg, value: int) -> None:
        if reg is Reg.SETPOINT:
            self._ramp = None
            self.setpoint = self._limit(value)
        elif reg in (Reg.ERROR, Reg.WARNING):
            self._clear(reg, value)
        elif reg is Reg.CONTROL_MODE and value in (0, 1):
            if not value or self.plant.process_temperature_c() is not None:
                self.process_mode = bool(value)
        elif reg in (Reg.TEMP_CONTROL, Reg.CIRCULATION) and value in (0, 1):
            self._switch(reg, bool(value))
        elif reg is Reg.RAMP_END:
            now = self.clock.now()
            self.ramp_end = self._limit(value)
            self._ramp = _Ramp(self.setpoint, self.ramp_end, now, self.ramp_duration_s)
            self._advance_ramp(now)
        else:
            self._write_setting(reg, value)

    def _write_setting(self, reg: Reg, value: int) -> None:
        now = self.clock.now()
        if reg is Reg.SETPOINT_MIN:
            self.sp_min = max(self.working_min, min(value, self.sp_max))
            self.setpoint = self._limit(self.setpoint)
        elif reg is Reg.SETPOINT_MAX:
            self.sp_max = min(self.working_max, max(value, self.sp_min))
            self.setpoint = self._limit(self.setpoint)
        elif reg is Reg.WATCHDOG:
            self.watchdog_s = max(0, min(WATCHDOG_MAX_S, value))
            self._watchdog_due = now + self.watchdog_s if self.watchdog_s else None
        elif reg is Reg.WATCHDOG2:
            self.watchdog2_s = max(0, min(WATCHDOG_MAX_S, value))
            self._watchdog2_due = now + self.watchdog2_s if self.watchdog2_s else None
        elif reg is Reg.SETPOINT2:
            self.setpoint2 = self._limit(value)
        elif reg in self.alarms:
            self.alarms[reg] = value
        elif reg is Reg.RAMP_DURATION:
            self.ramp_duration_s = max(0, value)

    def _clear(self, reg: Reg, value: int) -> None:
        if value != 1:
            return
        if reg is Reg.ERROR:
            self.error = 0
        else:
            self.warning = 0
            self.new_warning = False

    def _switch(self, reg: Reg, on: bool) -> None:
        if not on:
            self.running = False
            self.circulating = False
        elif self.error == 0:
            self.circulating = True
            self.running = self.running or reg is Reg.TEMP_CONTROL

    def _limit(self, value: int) -> int:
        return max(self.sp_min, min(self.sp_max, value))

    # --- time and the plant ---------------------------------------------------------------------------------

    def _update(self) -> None:
        self.plant.advance()
        if ThermostatFault.POWER_LOSS in self.plant.faults():
            self._powered = False
            return
        self._powered = True
        now = self.clock.now()
        if self.plant.power_cycled_since(self._booted_at):
            self._restart(now)
        self._advance_ramp(now)
        if self._watchdog_due is not None and now >= self._watchdog_due:
            self._watchdog_due = None
            self._raise(ErrorCode.WATCHDOG)
        if self._watchdog2_due is not None and now >= self._watchdog2_due:
            self._watchdog2_due = None
            self._ramp = None
            self.setpoint = self._limit(self.setpoint2)
            self.warning = WarningCode.WATCHDOG2_SAFE_SETPOINT
            self.new_warning = True
        self._apply_faults()
        self._push_control()

    def _restart(self, now: float) -> None:
        self._booted_at = now
        self.running = self.circulating = False
        self.error = self.warning = 0
        self.new_warning = False
        self._ramp = None
        self._watchdog_due = self._watchdog2_due = None
        self.watchdog_s = self.watchdog2_s = 0
        self._sent_control = None

    def _advance_ramp(self, now: float) -> None:
        ramp = self._ramp
        if ramp is None:
            return
        if ramp.duration_s <= 0 or now >= ramp.t0 + ramp.duration_s:
            self.setpoint = ramp.end
            self._ramp = None
            return
        fraction = (now - ramp.t0) / ramp.duration_s
        self.setpoint = round(ramp.start + (ramp.end - ramp.start) * fraction)

    def _apply_faults(self) -> None:
        faults = self.plant.faults()
        for fault, code in _FAULT_ERRORS.items():
            if fault in faults:
                self._raise(code)
        internal = centi(self.plant.internal_temperature_c())
        if internal > self.alarms[Reg.INTERNAL_ALARM_HIGH]:
            self._raise(ErrorCode.INTERNAL_ALARM_HIGH)
        if internal < self.alarms[Reg.INTERNAL_ALARM_LOW]:
            self._raise(ErrorCode.INTERNAL_ALARM_LOW)
        process_c = self.plant.process_temperature_c()
        if process_c is None:
            if self.process_mode and self.running:
                self._raise(ErrorCode.PROCESS_PROBE_LOST)
        else:
            process = centi(process_c)
            if process > self.alarms[Reg.PROCESS_ALARM_HIGH]:
                self._raise(ErrorCode.PROCESS_ALARM_HIGH)
            if process < self.alarms[Reg.PROCESS_ALARM_LOW]:
                self._raise(ErrorCode.PROCESS_ALARM_LOW)
        if self.error:
            self.running = False
            self.circulating = False

    def _raise(self, code: ErrorCode) -> None:
        """Latch only the first error, as register 05 reports the first one."""
        if self.error == 0:
            self.error = code

    def _push_control(self) -> None:
        control = (self.setpoint / 100, self.process_mode, self.running, self.circulating)
        if control != self._sent_control:
            self._sent_control = control
            self.plant.set_control(*control)
