"""The batch record's figures as SVG text, drawn with matplotlib (no pyplot: no global figure state, no GUI).

Text stays text in the SVG (searchable, small), and ids are salted with the run id so the same journal gives
the same bytes every time.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from labctl.report.record import BatchRecord, band_text

TR, TJ, TSET, BAND, PORTION, QUENCH, PLAN = (
    "#b2182b",
    "#2166ac",
    "#555555",
    "#1a9850",
    "#7b3294",
    "#e08214",
    "#888888",
)


@contextmanager
def _style(salt: str) -> Iterator[None]:
    with mpl.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": salt,
            "font.size": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        yield


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _unit(record: BatchRecord) -> tuple[float, str]:
    """Minutes for a working day's run, hours for a storage run of days."""
    t = record.series.t_s
    span = (t[-1] - t[0]) if t else 0.0
    return (3600.0, "h") if span > 6 * 3600 else (60.0, "min")


def _values(record: BatchRecord, signal: str) -> list[float]:
    """None becomes NaN: matplotlib leaves a gap where the journal has no reading."""
    return [math.nan if v is None else v for v in record.series.values[signal]]


def temperature_svg(record: BatchRecord) -> str | None:
    if not record.series.t_s:
        return None
    scale, unit = _unit(record)
    t = [x / scale for x in record.series.t_s]
    with _style(record.header.run.run_id):
        fig = Figure(figsize=(10, 4.2))
        ax = fig.add_subplot()
        _band(ax, record, scale)
        ax.plot(
            t, _values(record, "Tset_C"), color=TSET, lw=1, ls="--", drawstyle="steps-post", label="setpoint"
        )
        ax.plot(t, _values(record, "Tj_C"), color=TJ, lw=1, label="jacket Tj")
        ax.plot(t, _values(record, "Tr_C"), color=TR, lw=1.4, label="reactor Tr")
        _marks(ax, record, scale)
        ax.set_xlabel(f"process time / {unit}")
        ax.set_ylabel("temperature / °C")
        ax.legend(loc="upper right", fontsize=8, ncols=3)
        return _svg(fig)


def dosing_svg(record: BatchRecord) -> str | None:
    """Tr close up over the dosing and the first minutes after it, where a lapse would show."""
    if not record.summary.portions:
        return None
    start = record.summary.portions[0].started_s - 120.0
    end = record.summary.portions[-1].started_s + 600.0
    keep = [i for i, x in enumerate(record.series.t_s) if start <= x <= end]
    if not keep:
        return None
    t = [record.series.t_s[i] / 60.0 for i in keep]
    with _style(record.header.run.run_id + "/dosing"):
        fig = Figure(figsize=(10, 3.4))
        ax = fig.add_subplot()
        _band(ax, record, 60.0)
        for signal, color, label in (("Tj_C", TJ, "jacket Tj"), ("Tr_C", TR, "reactor Tr")):
            values = _values(record, signal)
            ax.plot(t, [values[i] for i in keep], color=color, lw=1.2, label=label)
        ax.set_xlim(start / 60.0, end / 60.0)
        _marks(ax, record, 60.0, numbered=True)
        ax.set_xlabel("process time / min")
        ax.set_ylabel("temperature / °C")
        ax.legend(loc="upper right", fontsize=8, ncols=2)
        return _svg(fig)


def dosed_mass_svg(record: BatchRecord) -> str | None:
    dose = record.dose
    if dose is None or dose.started_s is None or not record.dosed:
        return None
    origin = dose.started_s
    with _style(record.header.run.run_id + "/mass"):
        fig = Figure(figsize=(10, 3.2))
        ax = fig.add_subplot()
        times = [0.0] + [(t - origin) / 60.0 for t, _ in record.dosed]
        grams = [0.0] + [g for _, g in record.dosed]
        ax.step(times, grams, where="post", color=PORTION, lw=1.6, label="dispensed (cumulative)")
        plan = _plan(record)
        if plan:
            ax.step(*zip(*plan, strict=True), where="post", color=PLAN, ls="--", lw=1.2, label="plan")
        if dose.total_g is not None:
            ax.axhline(dose.total_g, color=PLAN, lw=0.8, ls=":")
        if dose.window_s is not None:
            ax.axvline(dose.window_s / 60.0, color=QUENCH, lw=1, ls=":", label="end of window")
        ax.set_xlabel("time since dosing started / min")
        ax.set_ylabel("mass / g")
        ax.legend(loc="lower right", fontsize=8)
        return _svg(fig)


def _plan(record: BatchRecord) -> list[tuple[float, float]]:
    """Equal portions at the planned pace: the window spread over the portions, never faster than allowed."""
    dose = record.dose
    if dose is None or dose.portions is None or dose.portion_g is None:
        return []
    pace = max(dose.min_interval_s or 0.0, (dose.window_s or 0.0) / dose.portions)
    points = [(0.0, 0.0)]
    for i in range(dose.portions):
        points.append((i * pace / 60.0, (i + 1) * dose.portion_g))
    points.append((dose.portions * pace / 60.0, dose.portions * dose.portion_g))
    return points


def _band(ax: Axes, record: BatchRecord, scale: float) -> None:
    """Each guarded step's own band, over that step's span."""
    labelled: set[tuple[float, float]] = set()
    for window in record.windows:
        low, high = window.band
        a, b = window.span.start / scale, window.span.end / scale
        label = None if window.band in labelled else f"permitted {band_text(window.band)}"
        labelled.add(window.band)
        ax.axvspan(a, b, color=BAND, alpha=0.04, lw=0)
        ax.fill_between([a, b], low, high, color=BAND, alpha=0.25, lw=0, label=label)


def _marks(ax: Axes, record: BatchRecord, scale: float, *, numbered: bool = False) -> None:
    top = ax.get_ylim()[1]
    for i, p in enumerate(record.summary.portions):
        ax.axvline(p.started_s / scale, color=PORTION, lw=0.6, alpha=0.7, label="portion" if i == 0 else None)
        if numbered:
            ax.annotate(
                str(p.number), (p.started_s / scale, top), color=PORTION, fontsize=7, ha="center", va="bottom"
            )
    for i, t in enumerate(record.quench_started_s):
        ax.axvline(t / scale, color=QUENCH, lw=1.2, label="quench" if i == 0 else None)
