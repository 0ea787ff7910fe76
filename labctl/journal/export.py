"""A run's records for the lab's own analysis: readings as a CSV table, events as a CSV table, everything as JSONL.

Values are written as the journal holds them: an absent reading is an empty CSV cell or JSON null, never 0.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from labctl.journal.journal import Record
from labctl.journal.kinds import RecordKind


def readings_csv(records: Iterable[Record], out: TextIO) -> int:
    """One row per reading, a column per signal (in the order the first reading has them); returns the rows."""
    writer: csv.DictWriter[str] | None = None
    rows = 0
    for rec in records:
        if rec.kind != RecordKind.READING:
            continue
        if writer is None:
            fields = ["seq", "t_s", "time", "step", *rec.data]
            writer = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
        writer.writerow(
            {"seq": rec.seq, "t_s": rec.t_s, "time": rec.wall, "step": rec.step or "", **_cells(rec.data)}
        )
        rows += 1
    return rows


def events_csv(records: Iterable[Record], out: TextIO) -> int:
    """Every record but readings: seq, t_s, time, kind, step, and its data as JSON."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["seq", "t_s", "time", "kind", "step", "data"])
    rows = 0
    for rec in records:
        if rec.kind == RecordKind.READING:
            continue
        writer.writerow(
            [rec.seq, rec.t_s, rec.wall, rec.kind, rec.step or "", json.dumps(rec.data, sort_keys=True)]
        )
        rows += 1
    return rows


def jsonl(records: Iterable[Record], out: TextIO) -> int:
    rows = 0
    for rec in records:
        line = {"seq": rec.seq, "run_id": rec.run_id, "t_s": rec.t_s, "time": rec.wall, "kind": rec.kind}
        out.write(json.dumps({**line, "step": rec.step, "data": rec.data}, sort_keys=True) + "\n")
        rows += 1
    return rows


def _cells(data: dict[str, Any]) -> dict[str, Any]:
    return {k: "" if v is None else v for k, v in data.items()}
