"""The Huber register vocabulary shared by the thermostat logic and both front ends.

Error and warning numbers are ours: the manual gives only the shape (negative numbers such as −328), not a table
for the faults this simulator can suffer, so each number here is a documented simulator choice.
"""

from __future__ import annotations

from enum import IntEnum

NOT_DEFINED = 0x7FFF
"""Answer for an address that is undefined or above this unit's E-grade (the reply still echoes the address)."""

SENSOR_MISSING = -15100
"""``C504``: the process probe is absent or faulty; never a temperature."""


class EGrade(IntEnum):
    """Software level of the unit: each level unlocks the addresses of the levels below it."""

    BASIC = 0
    EXCLUSIVE = 1
    PROFESSIONAL = 2
    EXPLORE = 3


class Reg(IntEnum):
    SETPOINT = 0x00
    INTERNAL_TEMP = 0x01
    ERROR = 0x05
    WARNING = 0x06
    PROCESS_TEMP = 0x07
    STATUS = 0x0A
    CONTROL_MODE = 0x13
    TEMP_CONTROL = 0x14
    CIRCULATION = 0x16
    SERIAL_LOW = 0x1B
    SERIAL_HIGH = 0x1C
    SETPOINT_MIN = 0x30
    SETPOINT_MAX = 0x31
    WATCHDOG = 0x40
    WATCHDOG2 = 0x41
    SETPOINT2 = 0x42
    INTERNAL_ALARM_HIGH = 0x51
    INTERNAL_ALARM_LOW = 0x52
    PROCESS_ALARM_HIGH = 0x53
    PROCESS_ALARM_LOW = 0x54
    RAMP_DURATION = 0x59
    RAMP_END = 0x5A


# Grades the manual does not name for an address are ours: everything a plain chiller needs is Basic.
REQUIRED_GRADE: dict[int, EGrade] = dict.fromkeys(Reg, EGrade.BASIC)
REQUIRED_GRADE.update(
    {
        Reg.CONTROL_MODE: EGrade.EXCLUSIVE,
        Reg.RAMP_DURATION: EGrade.EXCLUSIVE,
        Reg.RAMP_END: EGrade.EXCLUSIVE,
        Reg.WATCHDOG2: EGrade.PROFESSIONAL,
        Reg.SETPOINT2: EGrade.PROFESSIONAL,
    }
)

READ_ONLY = frozenset({Reg.INTERNAL_TEMP, Reg.PROCESS_TEMP, Reg.STATUS, Reg.SERIAL_LOW, Reg.SERIAL_HIGH})


class Status(IntEnum):
    """Bit numbers of status word 0A, bit 0 = least significant bit."""

    CONTROL_ACTIVE = 0
    CIRCULATION_ACTIVE = 1
    COMPRESSOR_ON = 2
    PROCESS_MODE = 3
    PUMP_ON = 4
    COOLING_AVAILABLE = 5
    KEYLOCK = 6
    ERROR = 8
    NEW_WARNING = 9
    NO_RESTART_SINCE_READ = 14
    FREEZE_PROTECTION = 15


class ErrorCode(IntEnum):
    """Numbers latched in register 05 (ours, see module docstring)."""

    NONE = 0
    CIRCULATION = -328
    COMPRESSOR = -331
    INTERNAL_ALARM_HIGH = -341
    INTERNAL_ALARM_LOW = -342
    PROCESS_ALARM_HIGH = -343
    PROCESS_ALARM_LOW = -344
    PROCESS_PROBE_LOST = -350
    WATCHDOG = -600


class WarningCode(IntEnum):
    """Numbers latched in register 06 (ours)."""

    NONE = 0
    WATCHDOG2_SAFE_SETPOINT = -601


def to_u16(value: int) -> int:
    """Signed int16 → the 16-bit pattern on the wire."""
    return value & 0xFFFF


def to_s16(word: int) -> int:
    """16-bit wire pattern → signed int16 (two's complement)."""
    word &= 0xFFFF
    return word - 0x10000 if word & 0x8000 else word


def centi(temperature_c: float) -> int:
    """°C → 0.01 °C, saturated so a wild plant value can never alias ``7FFF`` or wrap around."""
    return max(-32767, min(32766, round(temperature_c * 100)))
