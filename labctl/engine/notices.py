"""One line for a person per journal record that matters: what the console prints as a run goes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labctl.journal.kinds import RecordKind, record_kind
from labctl.masses import grams

NOTICES: dict[RecordKind, Callable[[dict[str, Any]], str]] = {
    RecordKind.RUN_STATE: lambda d: f"run {d['from']} → {d['to']} ({d['reason']}, by {d['by']})",
    RecordKind.STEP_STARTED: lambda d: f"step started ({d['kind']})",
    RecordKind.STEP_COMPLETED: lambda d: "step completed",
    RecordKind.PORTION_START: lambda d: (
        f"portion {d['portion']}: start sent, {grams(d['target_g'])} at Tr {d['Tr_C']} °C"
    ),
    RecordKind.PORTION_RESULT: lambda d: (
        f"portion {d['portion']}: {d['outcome']}, {grams(d['dispensed_g'])} dispensed"
    ),
    RecordKind.PORTION_NOT_STARTED: lambda d: f"portion {d['portion']}: its start never reached the doser",
    RecordKind.CALORIMETRY_CALIBRATED: lambda d: (
        f"heat balance calibrated: UA {d['UA_W_K']} W/K (±{100 * d['UA_rel_error']:.1f} %) over "
        f"{d['span_s'] / 60:.0f} min of the cool-down"
    ),
    RecordKind.CALORIMETRY_WAIVED: lambda d: (
        f"dosing on the model alone, without a heat balance (by {d['by']})"
    ),
    RecordKind.ALARM_RAISED: lambda d: f"ALARM {d['id']} ({d['level']}): {d['message']}",
    RecordKind.ALARM_ACKNOWLEDGED: lambda d: f"alarm {d['id']} acknowledged by {d['by']}",
    RecordKind.ALARM_CLEARED: lambda d: f"alarm {d['id']} cleared",
    RecordKind.PROMPT_OPENED: lambda d: f"PROMPT {d['id']}: {d['message']}  (type 'confirm')",
    RecordKind.QUENCH_STARTED: lambda d: f"quench started at Tr {d['Tr_C']} °C",
    RecordKind.QUENCH_PAUSED: lambda d: f"quench paused: Tr {d['Tr_C']} °C above {d['above_C']} °C",
    RecordKind.RUN_RESUMED: lambda d: f"resumed at step {d['step_index'] + 1} ({d['state']})",
}


def notice(t_s: float, step: str | None, kind: RecordKind | str, data: dict[str, Any]) -> str | None:
    describe = NOTICES.get(record_kind(kind))
    return None if describe is None else f"{t_s / 60:7.1f} min  {step or '-'}: {describe(data)}"
