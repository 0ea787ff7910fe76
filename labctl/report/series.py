"""The run's readings as columns for plotting; a missing reading stays None (a gap in the curve, not a zero)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labctl.journal import Record
from labctl.report.timeline import MAX_STAND_S

SIGNALS = ("Tr_C", "Tj_C", "Tset_C", "balance_g", "MTSR_C")


@dataclass
class Series:
    t_s: list[float] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SIGNALS})

    def __len__(self) -> int:
        return len(self.t_s)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_series(records: list[Record]) -> Series:
    """A silence longer than MAX_STAND_S, or a resume, becomes a row of None: a gap, not a straight line."""
    series = Series()
    resumed = False
    for r in records:
        resumed = resumed or r.kind == "run.resumed"
        if r.kind != "reading":
            continue
        if series.t_s and (resumed or r.t_s - series.t_s[-1] > MAX_STAND_S):
            series.t_s.append((series.t_s[-1] + r.t_s) / 2)
            for signal in SIGNALS:
                series.values[signal].append(None)
        resumed = False
        series.t_s.append(r.t_s)
        for signal in SIGNALS:
            series.values[signal].append(_number(r.data.get(signal)))
    return series
