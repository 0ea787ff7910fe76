"""The run journal: a durable, append-only SQLite record of everything a run did and saw."""

from labctl.journal.journal import Journal, JournalError, Record, RunInfo, RunOverview, now_iso

__all__ = ["Journal", "JournalError", "Record", "RunInfo", "RunOverview", "now_iso"]
