"""The fleet as the broker tells it: one view per rig, folded from its retained and live messages.

Anything that does not parse is counted and ignored: a monitor must keep showing the rigs it understands
whatever else someone publishes under `labctl/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labctl.telemetry.payloads import decode_object
from labctl.telemetry.topics import ROOT

SUBSCRIPTIONS = (f"{ROOT}/+/status", f"{ROOT}/+/telemetry", f"{ROOT}/+/alarms/+", f"{ROOT}/+/prompt")


@dataclass
class RigView:
    rig: str
    status: dict[str, Any] = field(default_factory=dict)
    reading: dict[str, Any] = field(default_factory=dict)
    alarms: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompt: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        state = str(self.status.get("state", "unknown"))
        return state if self.status.get("online", False) or state == "lost" else f"{state} (offline)"

    def open_alarms(self) -> list[dict[str, Any]]:
        """This run's alarms not yet cleared, oldest first."""
        run = self.status.get("run_id")
        return sorted(
            (a for a in self.alarms.values() if a.get("state") != "cleared" and a.get("run_id") == run),
            key=lambda a: float(a.get("raised_at_s") or 0.0),
        )


@dataclass
class Fleet:
    rigs: dict[str, RigView] = field(default_factory=dict)
    ignored: int = 0

    def apply(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")
        if len(parts) < 3 or parts[0] != ROOT:
            self.ignored += 1
            return
        rig, kind = parts[1], parts[2:]
        body = decode_object(payload)
        if payload and body is None:
            self.ignored += 1
            return
        view = self.rigs.setdefault(rig, RigView(rig))
        match kind:
            case ["status"] if body is not None:
                view.status = body
            case ["telemetry"] if body is not None:
                view.reading = body
            case ["alarms", alarm_id]:
                if body is None:
                    view.alarms.pop(alarm_id, None)
                else:
                    view.alarms[alarm_id] = body
            case ["prompt"]:
                view.prompt = body
            case _:
                self.ignored += 1

    def sorted(self) -> list[RigView]:
        return [self.rigs[name] for name in sorted(self.rigs)]
