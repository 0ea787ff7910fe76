"""The end-of-run summary as a person reads it on a terminal (and as plain text when piped)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from labctl.journal.summary import RunSummary, clock
from labctl.masses import grams


def _c(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_summary(console: Console, summary: RunSummary, planned_g: float | None = None) -> None:
    console.print(
        f"run {summary.run_id}: [bold]{summary.state}[/bold] after {clock(summary.duration_s)} process time"
    )
    steps = Table(
        "step", "kind", "start", "duration", "Tr min °C", "Tr max °C", title="Steps", title_justify="left"
    )
    for s in summary.steps:
        duration = "(not finished)" if s.duration_s is None else clock(s.duration_s)
        steps.add_row(s.id, s.kind, clock(s.started_s), duration, _c(s.tr_min), _c(s.tr_max))
    console.print(steps)
    if summary.portions:
        portions = Table(
            "#",
            "time",
            "target g",
            "dispensed g",
            "outcome",
            "Tr before °C",
            "Tr peak after °C",
            title="Portions",
            title_justify="left",
        )
        for p in summary.portions:
            portions.add_row(
                str(p.number),
                clock(p.started_s),
                grams(p.target_g, unit=False),
                grams(p.dispensed_g, unit=False),
                p.outcome or "—",
                _c(p.tr_before),
                _c(p.tr_peak_after),
            )
        console.print(portions)
        plan = f" of {planned_g:g} g planned" if planned_g is not None else ""
        console.print(f"dosed {grams(summary.dosed_g)}{plan} in {len(summary.portions)} portion(s)")
        console.print(f"minutes above 5 °C while dosing or holding: {summary.minutes_above_band:.1f}")
    if summary.quench_peak_c is not None:
        console.print(f"quench peak: {_c(summary.quench_peak_c)} °C")
    if summary.alarms:
        for a in summary.alarms:
            console.print(f"alarm {a['id']} ({a['level']}) at {clock(a['t_s'])}: {a['message']}")
    else:
        console.print("alarms: none")
