"""The run's readings as columns for plotting; a missing reading stays None (a gap in the curve, not a zero)."""

from __future__ import annotations

from dataclasses import dataclass, field

from labctl.journal import Record

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
    series = Series()
    for r in records:
        if r.kind != "reading":
            continue
        series.t_s.append(r.t_s)
        for signal in SIGNALS:
            series.values[signal].append(_number(r.data.get(signal)))
    return series
