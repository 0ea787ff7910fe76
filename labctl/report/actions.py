"""One line per alarm, decision and confirmation, saying who did what: the attributable part of the record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labctl.journal import Record
from labctl.journal.kinds import RecordKind

_SAY: dict[RecordKind, Callable[[dict[str, Any]], str]] = {
    RecordKind.RUN_STATE: lambda d: f"run {d['from']} → {d['to']}: {d.get('reason')}",
    RecordKind.RUN_RESUMED: lambda d: f"run resumed at step {d['step_index'] + 1} (was {d['state']})",
    RecordKind.ALARM_RAISED: lambda d: f"alarm {d['id']} raised ({d['level']}): {d['message']}",
    RecordKind.ALARM_ACKNOWLEDGED: lambda d: f"alarm {d['id']} acknowledged",
    RecordKind.ALARM_CONDITION_GONE: lambda d: f"alarm {d['id']}: condition gone, awaiting acknowledgement",
    RecordKind.ALARM_CLEARED: lambda d: f"alarm {d['id']} cleared",
    RecordKind.BATCH_COMPROMISED: lambda d: (
        f"batch marked compromised ({d.get('cause') or d.get('interlock')})"
    ),
    RecordKind.PROMPT_OPENED: lambda d: f"prompt: {d['message']}",
    RecordKind.PROMPT_CONFIRMED: lambda d: f"prompt {d['id']} confirmed",
    RecordKind.CHARGE_CONFIRMED: lambda d: f"charge confirmed: {', '.join(d['materials'])}",
    RecordKind.OPERATOR_COMMAND: lambda d: (
        f"{d['verb']}{' ' + d['target'] if d.get('target') else ''}: "
        + ("accepted" if d["accepted"] else f"refused ({d['reason']})")
    ),
}

KINDS = tuple(_SAY)


def action_text(record: Record) -> str:
    return _SAY[RecordKind(record.kind)](record.data)


def action_by(record: Record) -> str:
    """Who: the person the record names, else the controller (labctl raises alarms and trips)."""
    by = record.data.get("by")
    if by:
        return str(by)
    return "—" if record.kind in (RecordKind.PROMPT_OPENED, RecordKind.CHARGE_CONFIRMED) else "labctl"
