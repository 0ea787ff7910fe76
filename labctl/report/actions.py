"""One line per alarm, decision and confirmation, saying who did what: the attributable part of the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labctl.journal import Record

_SAY: dict[str, Callable[[dict[str, Any]], str]] = {
    "run.state": lambda d: f"run {d['from']} → {d['to']}: {d.get('reason')}",
    "run.resumed": lambda d: f"run resumed at step {d['step_index'] + 1} (was {d['state']})",
    "alarm.raised": lambda d: f"alarm {d['id']} raised ({d['level']}): {d['message']}",
    "alarm.acknowledged": lambda d: f"alarm {d['id']} acknowledged",
    "alarm.condition-gone": lambda d: f"alarm {d['id']}: condition gone, awaiting acknowledgement",
    "alarm.cleared": lambda d: f"alarm {d['id']} cleared",
    "batch.compromised": lambda d: f"batch marked compromised ({d.get('cause') or d.get('interlock')})",
    "prompt.opened": lambda d: f"prompt: {d['message']}",
    "prompt.confirmed": lambda d: f"prompt {d['id']} confirmed",
    "charge.confirmed": lambda d: f"charge confirmed: {', '.join(d['materials'])}",
    "operator.command": lambda d: (
        f"{d['verb']}{' ' + d['target'] if d.get('target') else ''}: "
        + ("accepted" if d["accepted"] else f"refused ({d['reason']})")
    ),
}

KINDS = tuple(_SAY)


def action_text(record: Record) -> str:
    return _SAY[record.kind](record.data)


def action_by(record: Record) -> str:
    """Who: the person the record names, else the controller (labctl raises alarms and trips)."""
    by = record.data.get("by")
    if by:
        return str(by)
    return "—" if record.kind in ("prompt.opened", "charge.confirmed") else "labctl"
