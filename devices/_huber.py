"""Huber variable semantics shared by the PB line protocol and Modbus TCP.

Both front ends carry the same 16-bit PB values at the same addresses, so value meaning (0.01 °C int16, `C504`,
`7FFF`, LSB-first status bits, "a write answers the value in force") lives here once, and each transport
module only moves raw words.
"""

from __future__ import annotations

import abc
from typing import NamedTuple

from devices.errors import NotSupported, ProtocolError, SensorMissing
from devices.reading import DEFAULT_CLOCK, Applied, Clock, Reading
from devices.roles import ChillerFaults, ChillerStatus, ControlMode, InstrumentIdentity, Limits, Sensor

SETPOINT = 0x00
INTERNAL_T = 0x01
ERROR = 0x05
WARNING = 0x06
PROCESS_T = 0x07
STATUS1 = 0x0A
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
ALARM_INTERNAL_HIGH = 0x51
ALARM_INTERNAL_LOW = 0x52
ALARM_PROCESS_HIGH = 0x53
ALARM_PROCESS_LOW = 0x54

CONTROL_MODES = {ControlMode.INTERNAL: 0, ControlMode.PROCESS: 1}
"""Values of address 13."""

UNDEFINED = 0x7FFF
NO_SENSOR = 0xC504

# Writes whose repetition has no extra effect: writing an absolute value twice leaves the same state.  Not
# here: 05/06 (write 1 = "clear": a retry could clear a *new* fault the operator never saw) and 5A (starts a
# ramp: a retry restarts it).  Reads (`****` / FC03) are always safe to retry.
IDEMPOTENT_WRITES = frozenset(
    {
        SETPOINT,
        CONTROL_MODE,
        TEMP_CONTROL,
        CIRCULATION,
        SETPOINT_MIN,
        SETPOINT_MAX,
        WATCHDOG,
        WATCHDOG2,
        SETPOINT2,
        ALARM_INTERNAL_HIGH,
        ALARM_INTERNAL_LOW,
        ALARM_PROCESS_HIGH,
        ALARM_PROCESS_LOW,
    }
)


TEMPERATURES = frozenset(
    {
        SETPOINT,
        INTERNAL_T,
        PROCESS_T,
        SETPOINT_MIN,
        SETPOINT_MAX,
        SETPOINT2,
        ALARM_INTERNAL_HIGH,
        ALARM_INTERNAL_LOW,
        ALARM_PROCESS_HIGH,
        ALARM_PROCESS_LOW,
    }
)
MIN_CENTI_C = -15100
"""−151.00 °C: the bottom of the unit's working range and the `C504` marker; +500 °C is above int16 anyway."""
_SWITCHES = frozenset({CONTROL_MODE, TEMP_CONTROL, CIRCULATION})
WATCHDOG_MAX_S = 150


def implausible(address: int, word: int) -> str | None:
    """Why `word` cannot be a value the unit sends for `address`, or None if it can.

    Neither PB nor Modbus TCP carries a checksum, so line noise that keeps the frame shape is caught only when
    it leaves a value outside what the manual allows: temperatures below −151 °C (other than `C504`), a switch
    or mode other than 0/1, a watchdog beyond 150 s, an error number above 0.  A flip that lands on another
    plausible value (20.00 °C read as 20.01 °C, or 84.00 °C) cannot be detected by any check here.
    """
    if word == UNDEFINED:
        return None
    value = to_int16(word)
    if address in TEMPERATURES and value < MIN_CENTI_C:
        return f"{value / 100:.2f} °C is below the unit's working range"
    if address in _SWITCHES and value not in (0, 1):
        return f"switch/mode value {value} is not 0 or 1"
    if address == WATCHDOG and not 0 <= value <= WATCHDOG_MAX_S:
        return f"watchdog {value} s outside 0–150"
    if address == ERROR and value > 0:
        return f"error number {value} is positive"
    return None


def repeatable(address: int, word: int | None) -> bool:
    """Whether a request may be sent again after a fault (`devices.recovery`): a read, or an absolute write."""
    return word is None or address in IDEMPOTENT_WRITES


def to_int16(word: int) -> int:
    return word - 0x10000 if word & 0x8000 else word


def celsius_to_word(celsius: float) -> int:
    centi = round(celsius * 100)
    if not -0x8000 <= centi <= 0x7FFE:
        raise ValueError(f"{celsius} °C does not fit a Huber int16 in 0.01 °C")
    return centi & 0xFFFF


def decode_status(word: int) -> ChillerStatus:
    """Bit 0 is the least significant bit; reading MSB-first is a known bug in public drivers."""

    def bit(n: int) -> bool:
        return bool(word >> n & 1)

    return ChillerStatus(
        temperature_control=bit(0),
        circulation=bit(1),
        compressor=bit(2),
        process_mode=bit(3),
        pump=bit(4),
        cooling_available=bit(5),
        keylock=bit(6),
        error=bit(8),
        new_warning=bit(9),
        no_restart_since_last_read=bit(14),
        freeze_protection=bit(15),
        raw=word,
    )


class Sample(NamedTuple):
    """A register word and the driver-clock time its request was sent: the unit reads the value when it gets
    the request, so a slow reply does not make the value any newer (Reading.at is this time)."""

    word: int
    at: float


class HuberChiller(abc.ABC):
    """Chiller role on top of raw register access; subclasses supply `_read_sample` / `_write_sample`, each
    request under `devices.recovery` with `repeatable()` saying which may be sent again."""

    def __init__(self, name: str, clock: Clock = DEFAULT_CLOCK) -> None:
        self.name = name
        self._clock = clock
        self._watchdog_s = 0
        self._watchdog2_s = 0

    @abc.abstractmethod
    async def _read_sample(self, address: int) -> Sample:
        """Unsigned 16-bit value at `address`; retried by the subclass (reads are safe)."""

    @abc.abstractmethod
    async def _write_sample(self, address: int, word: int) -> Sample:
        """Write and return the word now in force; retried only for IDEMPOTENT_WRITES."""

    async def _read_word(self, address: int) -> int:
        return (await self._read_sample(address)).word

    async def _write_word(self, address: int, word: int) -> int:
        return (await self._write_sample(address, word)).word

    @abc.abstractmethod
    async def close(self) -> None: ...

    def _checked(self, address: int, word: int) -> int:
        if word == UNDEFINED:
            raise NotSupported(self.name, "7FFF", f"{address:02X}", "address undefined or above this E-grade")
        return word

    async def read(self, address: int) -> int:
        """Signed value at `address`; NotSupported for `7FFF`."""
        return to_int16(self._checked(address, await self._read_word(address)))

    async def write(self, address: int, value: int) -> int:
        """Write a signed value; returns the signed value in force."""
        return to_int16(self._checked(address, await self._write_word(address, value & 0xFFFF)))

    def _celsius(self, address: int, word: int) -> float:
        if word == NO_SENSOR:
            raise SensorMissing(self.name, address)
        return to_int16(word) / 100

    async def read_celsius(self, address: int) -> float:
        """Temperature at `address`; SensorMissing for `C504`, NotSupported for `7FFF`."""
        return self._celsius(address, self._checked(address, await self._read_word(address)))

    async def write_celsius(self, address: int, celsius: float) -> Applied[float]:
        requested = round(celsius * 100) / 100
        sample = await self._write_sample(address, celsius_to_word(celsius))
        return Applied(requested, self._celsius(address, self._checked(address, sample.word)), sample.at)

    async def _sensor(self, address: int) -> Reading[float]:
        # C504 becomes "no reading" here, not an exception: a supervisor polling temperatures treats a missing
        # probe as an absent value (its staleness / interlock rules decide), never as −151 °C and never by
        # silently falling back to the internal sensor.  Callers wanting the exception use read_celsius().
        sample = await self._read_sample(address)
        try:
            value: float | None = self._celsius(address, self._checked(address, sample.word))
        except SensorMissing:
            value = None
        return Reading(value, sample.at)

    # --- Chiller role -------------------------------------------------------------------------------------

    async def set_setpoint(self, celsius: float) -> Applied[float]:
        return await self.write_celsius(SETPOINT, celsius)

    async def get_setpoint(self) -> Reading[float]:
        sample = await self._read_sample(SETPOINT)
        return Reading(self._celsius(SETPOINT, self._checked(SETPOINT, sample.word)), sample.at)

    async def set_control_mode(self, mode: ControlMode) -> Applied[ControlMode]:
        in_force = await self.write(CONTROL_MODE, CONTROL_MODES[mode])
        return Applied(mode, self._control_mode(in_force), self._clock())

    async def get_control_mode(self) -> ControlMode:
        return self._control_mode(await self.read(CONTROL_MODE))

    def _control_mode(self, value: int) -> ControlMode:
        for mode, code in CONTROL_MODES.items():
            if code == value:
                return mode
        raise ProtocolError(self.name, f"{CONTROL_MODE:02X} = {value}", "not a control mode")

    async def start_temperature_control(self) -> None:
        await self.write(TEMP_CONTROL, 1)

    async def stop_temperature_control(self) -> None:
        await self.write(TEMP_CONTROL, 0)

    async def start_circulation(self) -> None:
        await self.write(CIRCULATION, 1)

    async def stop_circulation(self) -> None:
        await self.write(CIRCULATION, 0)

    async def internal_temperature(self) -> Reading[float]:
        return await self._sensor(INTERNAL_T)

    async def process_temperature(self) -> Reading[float]:
        return await self._sensor(PROCESS_T)

    async def status(self) -> Reading[ChillerStatus]:
        sample = await self._read_sample(STATUS1)
        return Reading(decode_status(self._checked(STATUS1, sample.word)), sample.at)

    async def faults(self) -> ChillerFaults:
        return ChillerFaults(error=await self.read(ERROR), warning=await self.read(WARNING))

    async def clear_error(self) -> None:
        await self.write(ERROR, 1)

    async def clear_warning(self) -> None:
        await self.write(WARNING, 1)

    async def setpoint_limits(self) -> Limits:
        return Limits(await self.read_celsius(SETPOINT_MIN), await self.read_celsius(SETPOINT_MAX))

    async def set_setpoint_limits(self, low: float, high: float) -> Limits:
        lo = await self.write_celsius(SETPOINT_MIN, low)
        hi = await self.write_celsius(SETPOINT_MAX, high)
        return Limits(lo.in_force, hi.in_force)

    @staticmethod
    def _alarm_addresses(sensor: Sensor) -> tuple[int, int]:
        if sensor is Sensor.INTERNAL:
            return ALARM_INTERNAL_LOW, ALARM_INTERNAL_HIGH
        return ALARM_PROCESS_LOW, ALARM_PROCESS_HIGH

    async def alarm_limits(self, sensor: Sensor) -> Limits:
        lo, hi = self._alarm_addresses(sensor)
        return Limits(await self.read_celsius(lo), await self.read_celsius(hi))

    async def set_alarm_limits(self, sensor: Sensor, low: float, high: float) -> Limits:
        lo, hi = self._alarm_addresses(sensor)
        return Limits(
            (await self.write_celsius(lo, low)).in_force, (await self.write_celsius(hi, high)).in_force
        )

    async def arm_watchdog(self, seconds: int) -> int:
        """Arm (or re-arm) the unit's watchdog; returns the seconds in force."""
        if not 1 <= seconds <= 150:
            raise ValueError("Huber watchdog takes 1–150 s (0 disarms)")
        self._watchdog_s = await self.write(WATCHDOG, seconds)
        return self._watchdog_s

    async def arm_fallback_watchdog(self, seconds: int, safe_setpoint: float) -> Applied[float]:
        """Watchdog 2 (E-grade Professional): if not fed within `seconds` the unit switches to `safe_setpoint`
        and keeps running. Returns the fallback setpoint in force (the unit may limit it)."""
        if not 1 <= seconds <= WATCHDOG_MAX_S:
            raise ValueError("Huber watchdog takes 1–150 s (0 disarms)")
        applied = await self.write_celsius(SETPOINT2, safe_setpoint)
        self._watchdog2_s = await self.write(WATCHDOG2, seconds)
        return applied

    async def feed_watchdog(self) -> None:
        """Rewrite the armed period(s); the unit acts if this does not happen in time."""
        if self._watchdog_s == 0 and self._watchdog2_s == 0:
            raise RuntimeError(f"{self.name}: watchdog not armed")
        if self._watchdog_s:
            await self.write(WATCHDOG, self._watchdog_s)
        if self._watchdog2_s:
            await self.write(WATCHDOG2, self._watchdog2_s)

    async def identity(self) -> InstrumentIdentity:
        """Only the serial number: the manual's address table has no model or firmware variable.

        A unit without the serial registers answers `7FFF` (PB) or exception 02 (Modbus).  `7FFF` is also a
        possible low word of a real serial, so only the high word decides; the one misreading left is a serial
        from 0x7FFF0000 to 0x7FFFFFFF (above two billion) reported as "not said", never a made-up number.
        """
        try:
            low = await self._read_word(SERIAL_LOW)
            high = await self._read_word(SERIAL_HIGH)
        except NotSupported:
            return InstrumentIdentity()
        if high == UNDEFINED:
            return InstrumentIdentity()
        return InstrumentIdentity(serial=str(high << 16 | low))

    async def disarm_watchdog(self) -> None:
        """Both watchdogs, armed by this driver or by an earlier controller (a restarted labctl)."""
        self._watchdog_s = await self.write(WATCHDOG, 0)
        try:
            self._watchdog2_s = await self.write(WATCHDOG2, 0)
        except NotSupported:
            self._watchdog2_s = 0  # below E-grade Professional there is no watchdog 2 to disarm
