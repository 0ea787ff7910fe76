"""When each step ran, which band judged it, and how long each reading stands for: the time model every figure
of the batch record is measured against.

A run can be killed and resumed: the step that was running is journalled as started again, and process time
goes on through the downtime. So a step's span ends at its completion, at the next step's start, or at the last
record before a resume; and a reading stands until the next one but never across a resume and never for more
than MAX_STAND_S: a longer silence is time without a reading, not time at the last value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.journal.plan import judging_bands
from labctl.journal.summary import value_of

MAX_STAND_S = 30.0
GUARDED_KINDS = ("dose_solid", "hold")
"""The band applies while oxidant is dosed or held; cooling to it and the quench are outside it by design."""


@dataclass(frozen=True)
class Span:
    step: str
    kind: str
    start: float
    end: float
    completed: bool


@dataclass(frozen=True)
class Window:
    """A guarded step's span and the band it is judged against."""

    span: Span
    band: tuple[float, float]


@dataclass(frozen=True)
class Interval:
    """What one reading says, for the time it stands; `tr` None: no reading (or the controller was down)."""

    start: float
    end: float
    tr: float | None
    down: bool = False


def step_spans(records: list[Record]) -> list[Span]:
    spans: list[Span] = []
    current: Record | None = None
    previous_t = 0.0
    for r in records:
        if r.kind == RecordKind.STEP_STARTED:
            if current is not None:
                spans.append(_span(current, r.t_s, completed=False))
            current = r
        elif r.kind == RecordKind.STEP_COMPLETED and current is not None and r.step == current.step:
            spans.append(_span(current, r.t_s, completed=True))
            current = None
        elif r.kind in (RecordKind.RUN_RESUMED, RecordKind.RUN_ENDED) and current is not None:
            spans.append(
                _span(current, previous_t if r.kind == RecordKind.RUN_RESUMED else r.t_s, completed=False)
            )
            current = None
        previous_t = r.t_s
    if current is not None:
        spans.append(_span(current, previous_t, completed=False))
    return spans


def _span(started: Record, end: float, *, completed: bool) -> Span:
    return Span(started.step or "", str(started.data.get("kind")), started.t_s, end, completed)


def guarded_windows(spans: list[Span], steps_plan: list[dict[str, Any]]) -> list[Window]:
    bands = judging_bands(steps_plan)
    return [
        Window(span, bands[span.step]) for span in spans if span.kind in GUARDED_KINDS and span.step in bands
    ]


def reading_intervals(records: list[Record]) -> list[Interval]:
    """Each reading's stretch, and the silences between readings that last longer than MAX_STAND_S or span a
    resume (then `down`)."""
    out: list[Interval] = []
    last: Record | None = None
    resumed = False
    for r in records:
        if r.kind == RecordKind.RUN_RESUMED:
            resumed = True
        if r.kind != RecordKind.READING:
            continue
        if last is not None:
            _close(out, last, r.t_s, down=resumed)
        last, resumed = r, False
    if last is not None:
        _close(out, last, records[-1].t_s, down=False)
    return out


def silent(previous_t: float, next_t: float, *, resumed: bool) -> bool:
    """Between two readings: a silence, not one reading standing until the next."""
    return resumed or next_t - previous_t > MAX_STAND_S


def _close(out: list[Interval], reading: Record, next_t: float, *, down: bool) -> None:
    """Across a resume the reading stands for nothing: when the controller stopped is not known."""
    stands = reading.t_s if down else min(next_t, reading.t_s + MAX_STAND_S)
    out.append(Interval(reading.t_s, stands, value_of(reading)))
    if silent(reading.t_s, next_t, resumed=down):
        out.append(Interval(stands, next_t, None, down=down))
