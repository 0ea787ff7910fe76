"""One line for a person per journal record that matters: what the console prints as a run goes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NOTICES: dict[str, Callable[[dict[str, Any]], str]] = {
    "run.state": lambda d: f"run {d['from']} → {d['to']} ({d['reason']}, by {d['by']})",
    "step.started": lambda d: f"step started ({d['kind']})",
    "step.completed": lambda d: "step completed",
    "portion.start": lambda d: f"portion {d['portion']}: start sent, {d['target_g']} g at Tr {d['Tr_C']} °C",
    "portion.result": lambda d: f"portion {d['portion']}: {d['outcome']}, {d['dispensed_g']} g dispensed",
    "portion.not-started": lambda d: f"portion {d['portion']}: its start never reached the doser",
    "alarm.raised": lambda d: f"ALARM {d['id']} ({d['level']}): {d['message']}",
    "alarm.acknowledged": lambda d: f"alarm {d['id']} acknowledged by {d['by']}",
    "alarm.cleared": lambda d: f"alarm {d['id']} cleared",
    "prompt.opened": lambda d: f"PROMPT {d['id']}: {d['message']}  (type 'confirm')",
    "quench.started": lambda d: f"quench started at Tr {d['Tr_C']} °C",
    "quench.paused": lambda d: f"quench paused: Tr {d['Tr_C']} °C above {d['above_C']} °C",
    "run.resumed": lambda d: f"resumed at step {d['step_index'] + 1} ({d['state']})",
}


def notice(t_s: float, step: str | None, kind: str, data: dict[str, Any]) -> str | None:
    describe = NOTICES.get(kind)
    return None if describe is None else f"{t_s / 60:7.1f} min  {step or '-'}: {describe(data)}"
