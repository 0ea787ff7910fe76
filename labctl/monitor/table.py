"""The fleet as one table a person reads at a glance: a lost or tripped rig stands out."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from labctl.monitor.fleet import Fleet, RigView

_STYLES = {
    "running": "green",
    "completed": "green",
    "completed with deviations": "bold yellow",
    "batch compromised": "bold white on red",
    "paused": "yellow",
    "starting": "cyan",
    "tripped": "bold red",
    "emergency": "bold white on red",
    "lost": "bold white on red",
    "failed": "red",
    "aborted": "red",
    "halted": "red",
}


def fleet_table(fleet: Fleet) -> Table:
    table = Table(title=f"labctl rigs ({len(fleet.rigs)})", title_justify="left", expand=False)
    for name in ("rig", "state", "protocol", "step", "Tr °C", "Tj °C", "Tset °C", "alarms", "prompt"):
        table.add_column(name, overflow="fold")
    for view in fleet.sorted():
        table.add_row(*_row(view))
    return table


def _row(view: RigView) -> list[Text | str]:
    state = view.state
    base = state.split(" ", 1)[0]
    reading = view.reading if view.reading.get("run_id") == view.status.get("run_id") else {}
    alarms = ", ".join(f"{a.get('id')} ({a.get('level')}, {a.get('state')})" for a in view.open_alarms())
    prompt = view.prompt.get("message", "") if view.prompt else ""
    return [
        view.rig,
        Text(state, style=_STYLES.get(state, _STYLES.get(base, ""))),
        str(view.status.get("protocol") or "—"),
        str(view.status.get("step") or "—"),
        _number(reading.get("Tr_C")),
        _number(reading.get("Tj_C")),
        _number(reading.get("Tset_C")),
        Text(alarms or "—", style="red" if alarms else ""),
        Text(str(prompt) or "—", style="yellow" if prompt else ""),
    ]


def _number(value: Any) -> str:
    """No reading is a dash, never 0."""
    return f"{value:.2f}" if isinstance(value, int | float) and not isinstance(value, bool) else "—"
