"""The topic tree of one rig: `labctl/<rig>/…`. Everything a dashboard binds to is named here."""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "labctl"
_UNSAFE = re.compile(r"[/+#\s\x00]")


@dataclass(frozen=True)
class Outgoing:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Topics:
    def __init__(self, rig: str) -> None:
        self.rig = rig
        self.root = f"{ROOT}/{rig}"

    @property
    def status(self) -> str:
        return f"{self.root}/status"

    @property
    def snapshot(self) -> str:
        return f"{self.root}/telemetry"

    def signal(self, name: str) -> str:
        return f"{self.root}/telemetry/{level(name)}"

    @property
    def journal_head(self) -> str:
        return f"{self.root}/journal/head"

    @property
    def events(self) -> str:
        return f"{self.root}/events"

    def alarm(self, alarm_id: str) -> str:
        return f"{self.root}/alarms/{level(alarm_id)}"

    @property
    def alarms(self) -> str:
        return f"{self.root}/alarms/+"

    @property
    def plan(self) -> str:
        return f"{self.root}/plan"

    @property
    def dosing(self) -> str:
        return f"{self.root}/dosing"

    @property
    def prompt(self) -> str:
        return f"{self.root}/prompt"

    def command(self, verb: str) -> str:
        return f"{self.root}/cmd/{verb}"

    @property
    def commands(self) -> str:
        return f"{self.root}/cmd/+"

    @property
    def replies(self) -> str:
        """Where answers go when the command did not name an MQTT v5 response topic (v3.1.1 clients)."""
        return f"{self.root}/replies"


def level(name: str) -> str:
    """An id from a protocol as one topic level: wildcard and separator characters become '_'."""
    return _UNSAFE.sub("_", name) or "_"
