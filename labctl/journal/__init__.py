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

__all__ = [
    "Head",
    "Journal",
    "JournalError",
    "JournalIncomplete",
    "JournalWriteError",
    "Record",
    "RunInfo",
    "RunOverview",
    "Shortfall",
    "WriteFailure",
    "now_iso",
]
