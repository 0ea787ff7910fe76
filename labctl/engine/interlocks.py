"""Watches the protocol's interlocks every cycle and reports which ones became active or went away.

An interlock is active while its condition holds within its scope (`during` steps, or the whole run); with a
hysteresis it stays active until the reading is that far back on the safe side. An unknown condition (no
reading) neither activates nor clears one: unknowns are covered by `Tr missing` / `Tr stale` / `chiller
offline` interlocks, which the checker requires for KMnO4 dosing.
"""

from __future__ import annotations

from dataclasses import dataclass

from labctl.engine.conditions import holds
from labctl.engine.snapshot import Snapshot
from labctl.protocol.model import Action, Interlock


@dataclass(frozen=True)
class Change:
    interlock: Interlock
    active: bool


class InterlockMonitor:
    def __init__(self, interlocks: list[Interlock]) -> None:
        self._interlocks = interlocks
        self._active: set[str] = set()

    def evaluate(self, snap: Snapshot, step_id: str | None) -> list[Change]:
        changes: list[Change] = []
        for lock in self._interlocks:
            was = lock.id in self._active
            now = self._is_active(lock, snap, step_id, was)
            if now != was:
                (self._active.add if now else self._active.discard)(lock.id)
                changes.append(Change(lock, now))
        return changes

    @staticmethod
    def _is_active(lock: Interlock, snap: Snapshot, step_id: str | None, was: bool) -> bool:
        if not lock.guards(step_id):
            return False
        margin = -(lock.hysteresis or 0.0) if was else 0.0
        result = holds(lock.when, snap, margin)
        return was if result is None else result

    def active(self, *actions: Action) -> list[Interlock]:
        return [i for i in self._interlocks if i.id in self._active and (not actions or i.action in actions)]
