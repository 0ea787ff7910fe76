"""The run journal: a durable, append-only SQLite record of everything a run did and saw."""

from labctl.journal.head import Head, WriteFailure
from labctl.journal.journal import (
    Journal,
    JournalError,
    JournalIncomplete,
    JournalWriteError,
    Record,
    RunInfo,
    RunOverview,
    Shortfall,
    now_iso,
)
from labctl.journal.kinds import RecordKind, UnknownRecordKind

__all__ = [
    "Head",
    "Journal",
    "JournalError",
    "JournalIncomplete",
    "JournalWriteError",
    "Record",
    "RecordKind",
    "RunInfo",
    "RunOverview",
    "Shortfall",
    "UnknownRecordKind",
    "WriteFailure",
    "now_iso",
]
