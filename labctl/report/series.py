"""The run's readings as columns for plotting; a missing reading stays None (a gap in the curve, not a zero)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.journal.summary import value_of
from labctl.report.timeline import silent

SIGNALS = ("Tr_C", "Tj_C", "Tset_C", "balance_g", "MTSR_C")


@dataclass
class Series:
    t_s: list[float] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SIGNALS})

    def __len__(self) -> int:
        return len(self.t_s)


def read_series(records: list[Record]) -> Series:
    """A silence (longer than MAX_STAND_S, or across a resume) becomes a row of None: a gap, not a straight line."""
    series = Series()
    resumed = False
    for r in records:
        resumed = resumed or r.kind == RecordKind.RUN_RESUMED
        if r.kind != RecordKind.READING:
            continue
        if series.t_s and silent(series.t_s[-1], r.t_s, resumed=resumed):
            series.t_s.append((series.t_s[-1] + r.t_s) / 2)
            for signal in SIGNALS:
                series.values[signal].append(None)
        resumed = False
        series.t_s.append(r.t_s)
        for signal in SIGNALS:
            series.values[signal].append(value_of(r, signal))
    return series
