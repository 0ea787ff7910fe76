"""Alarms a person must see: raised with the reading that caused them, acknowledged by someone, cleared when
the condition is gone and the acknowledgement is in. An alarm never clears itself unacknowledged."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    WARNING = "warning"
    HOLD = "hold"
    ALARM = "alarm"
    TRIP = "trip"
    EMERGENCY = "emergency"
    COMPROMISED = "compromised"

    @property
    def needs_ack(self) -> bool:
        return self not in (Level.WARNING, Level.HOLD)


@dataclass
class Alarm:
    id: str
    level: Level
    message: str
    raised_at: float
    reading: dict[str, Any] = field(default_factory=dict)
    active: bool = True
    acknowledged_by: str | None = None

    @property
    def open(self) -> bool:
        return self.active or (self.level.needs_ack and self.acknowledged_by is None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": str(self.level),
            "message": self.message,
            "raised_at_s": round(self.raised_at, 3),
            "reading": self.reading,
            "active": self.active,
            "acknowledged_by": self.acknowledged_by,
        }


class AlarmBoard:
    def __init__(self) -> None:
        self._alarms: dict[str, Alarm] = {}

    def raise_(self, alarm: Alarm) -> bool:
        """False when an alarm of this id is still open (it is not raised twice)."""
        current = self._alarms.get(alarm.id)
        if current is not None and current.open:
            current.active = True
            return False
        self._alarms[alarm.id] = alarm
        return True

    def get(self, alarm_id: str) -> Alarm | None:
        return self._alarms.get(alarm_id)

    def condition_gone(self, alarm_id: str) -> Alarm | None:
        """Returns the alarm if it is now fully cleared (gone and acknowledged, or never needing an ack)."""
        alarm = self._alarms.get(alarm_id)
        if alarm is None or not alarm.active:
            return None
        alarm.active = False
        return None if alarm.open else alarm

    def acknowledge(self, alarm_id: str, by: str) -> Alarm | None:
        alarm = self._alarms.get(alarm_id)
        if alarm is None or not alarm.open or alarm.acknowledged_by is not None:
            return None
        alarm.acknowledged_by = by
        return alarm

    def open_alarms(self) -> list[Alarm]:
        return [a for a in self._alarms.values() if a.open]

    def unacknowledged(self, *levels: Level) -> list[Alarm]:
        """Alarms still waiting for a person, of the given levels (of any level when none is given)."""
        return [
            a
            for a in self._alarms.values()
            if (not levels or a.level in levels) and a.level.needs_ack and a.acknowledged_by is None
        ]
