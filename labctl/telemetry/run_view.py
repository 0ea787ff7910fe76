"""Journal records folded into MQTT messages: what a subscriber should see after each record.

The journal is the source; this view keeps only what a retained topic must repeat (the status, each alarm's
latest state, the last value of each signal) so that a reconnect can publish the whole picture again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labctl.journal import Record
from labctl.journal.kinds import RecordKind, of_family
from labctl.telemetry.dosing_view import DosingView
from labctl.telemetry.payloads import encode, plain
from labctl.telemetry.topics import Outgoing, Topics

NOT_EVENTS = (
    RecordKind.READING,
    RecordKind.COMMAND,
    RecordKind.COMMAND_REPLY,
    RecordKind.COMMAND_FAILED,
    RecordKind.PROTOCOL_LOADED,
)
"""Records not sent on `events`: readings go to telemetry; instrument commands and the protocol as loaded (every
step, kilobytes) are the journal's detail."""

_STATUS_KINDS = (
    RecordKind.RUN_STARTED,
    RecordKind.RUN_RESUMED,
    RecordKind.RUN_STATE,
    RecordKind.RUN_ENDED,
    RecordKind.STEP_STARTED,
    RecordKind.STEP_COMPLETED,
)
_ALARM_KINDS = of_family("alarm")


@dataclass
class RunView:
    topics: Topics
    run_id: str
    mode: str
    protocol: str
    status: dict[str, Any] = field(default_factory=dict)
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    _sent_signals: dict[str, object] = field(default_factory=dict)
    _prompt_open: bool = False
    dosing: DosingView = field(init=False)

    def __post_init__(self) -> None:
        self.dosing = DosingView(self.topics, self.run_id)
        self.status = {
            "online": True,
            "state": "starting",
            "run_id": self.run_id,
            "mode": self.mode,
            "protocol": self.protocol,
            "rig": self.topics.rig,
            "step": None,
            "since": None,
        }

    def replay(self, records: list[Record]) -> None:
        """An earlier session's records, folded without publishing: a resumed run knows its open alarms, so
        acknowledging one after the restart updates its retained topic."""
        for rec in sorted(records, key=lambda r: r.seq):
            self.on_record(rec)

    def birth(self, time: str) -> list[Outgoing]:
        """Everything retained, again: after a reconnect the broker may have lost it or shown the will."""
        self._sent_signals.clear()
        out = [self._status_message(time)]
        out += [self._alarm_message(a) for a in self.alarms.values()]
        return out + self.dosing.retained()

    def will(self) -> bytes:
        return encode(
            {
                "online": False,
                "state": "lost",
                "run_id": self.run_id,
                "rig": self.topics.rig,
                "reason": "labctl lost its broker connection without saying goodbye: check the rig",
            }
        )

    def goodbye(self, time: str) -> list[Outgoing]:
        self.status["online"] = False
        return [self._status_message(time)]

    def on_record(self, rec: Record) -> list[Outgoing]:
        if rec.kind == RecordKind.READING:
            return self._telemetry(rec)
        out: list[Outgoing] = []
        if rec.kind not in NOT_EVENTS:
            out.append(Outgoing(self.topics.events, encode(_event(rec)), 1, False))
        if rec.kind in _STATUS_KINDS:
            self._fold_status(rec)
            out.append(self._status_message(rec.wall, rec.t_s))
        if rec.kind in _ALARM_KINDS:
            out += self._fold_alarm(rec)
        out += self._fold_prompt(rec)
        return out + self.dosing.on_record(rec)

    def _fold_status(self, rec: Record) -> None:
        status = self.status
        if rec.kind == RecordKind.RUN_STATE:
            status["state"] = rec.data["to"]
            status["since"] = rec.wall
            status["reason"] = rec.data.get("reason")
        elif rec.kind == RecordKind.RUN_ENDED:
            status["state"] = rec.data["state"]
            status["compromised"] = rec.data.get("compromised", False)
        elif rec.kind == RecordKind.STEP_STARTED:
            status["step"] = rec.step
            status["step_kind"] = rec.data.get("kind")
        elif rec.kind == RecordKind.RUN_STARTED and status["since"] is None:
            status["since"] = rec.wall

    def _status_message(self, time: str, t_s: float | None = None) -> Outgoing:
        payload = {**self.status, "time": time}
        if t_s is not None:
            payload["t_s"] = round(t_s, 3)
        return Outgoing(self.topics.status, encode(payload), 1, True)

    def _fold_alarm(self, rec: Record) -> list[Outgoing]:
        alarm_id = rec.data.get("id")
        if not isinstance(alarm_id, str):
            return []
        if rec.kind == RecordKind.ALARM_RAISED:
            self.alarms[alarm_id] = {**rec.data, "state": "raised", "run_id": self.run_id}
        alarm = self.alarms.get(alarm_id)
        if alarm is None:
            return []
        if rec.kind == RecordKind.ALARM_ACKNOWLEDGED:
            alarm["acknowledged_by"] = rec.data.get("by")
            alarm["state"] = "acknowledged"
        elif rec.kind == RecordKind.ALARM_CONDITION_GONE:
            alarm["active"] = False
        elif rec.kind == RecordKind.ALARM_CLEARED:
            alarm["active"] = False
            alarm["state"] = "cleared"
        alarm["time"] = rec.wall
        alarm["t_s"] = round(rec.t_s, 3)
        return [self._alarm_message(alarm)]

    def _alarm_message(self, alarm: dict[str, Any]) -> Outgoing:
        return Outgoing(self.topics.alarm(alarm["id"]), encode(alarm), 1, True)

    def _fold_prompt(self, rec: Record) -> list[Outgoing]:
        if rec.kind == RecordKind.PROMPT_OPENED:
            self._prompt_open = True
            payload = {
                "id": rec.data["id"],
                "message": rec.data["message"],
                "step": rec.step,
                "run_id": self.run_id,
                "time": rec.wall,
                "t_s": round(rec.t_s, 3),
            }
            if "delivery" in rec.data:
                payload["delivery"] = rec.data["delivery"]  # a `pause` in its place says it did not arrive
            return [Outgoing(self.topics.prompt, encode(payload), 1, True)]
        if self._prompt_open and rec.kind in (
            RecordKind.PROMPT_CONFIRMED,
            RecordKind.PROMPT_DECLINED,
            RecordKind.RUN_ENDED,
        ):
            self._prompt_open = False
            return [Outgoing(self.topics.prompt, b"", 1, True)]
        return []

    def _telemetry(self, rec: Record) -> list[Outgoing]:
        """Each signal retained on its own topic when it changes, and all of them in one JSON snapshot."""
        out = [
            Outgoing(self.topics.signal(name), plain(value), 0, True)
            for name, value in rec.data.items()
            if name not in self._sent_signals or self._sent_signals[name] != value
        ]
        self._sent_signals.update(rec.data)
        snapshot = {**rec.data, "run_id": self.run_id, "time": rec.wall, "t_s": round(rec.t_s, 3)}
        out.append(Outgoing(self.topics.snapshot, encode(snapshot), 0, True))
        return out


def _event(rec: Record) -> dict[str, Any]:
    return {
        "seq": rec.seq,
        "run_id": rec.run_id,
        "kind": rec.kind,
        "step": rec.step,
        "time": rec.wall,
        "t_s": round(rec.t_s, 3),
        "data": rec.data,
    }
