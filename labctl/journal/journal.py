"""One SQLite file holds every run: its protocol and rig as run, and one record per thing that happened.

Records are append-only (triggers refuse UPDATE and DELETE). A record that announces a change to the physical
world (a setpoint, a dose start, a pump start) is committed before the command goes out, so after a crash the
journal can tell "never sent" from "sent, outcome unknown". Readings are committed in batches: losing the last
few seconds of readings in a power cut loses no decision.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labctl.errors import LabctlError
from labctl.journal.chain import RawRecord, Verdict, genesis, link, verify

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    mode TEXT NOT NULL,
    protocol_file TEXT NOT NULL,
    protocol_sha256 TEXT NOT NULL,
    protocol_text TEXT NOT NULL,
    parameters TEXT NOT NULL,
    rig_name TEXT NOT NULL,
    rig_text TEXT NOT NULL,
    seed INTEGER
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    t_s REAL NOT NULL,
    wall TEXT NOT NULL,
    kind TEXT NOT NULL,
    step TEXT,
    data TEXT NOT NULL,
    hash TEXT
);
CREATE INDEX IF NOT EXISTS records_run ON records(run_id, seq);
CREATE INDEX IF NOT EXISTS records_kind ON records(run_id, kind, seq);
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
"""

BATCH = 50
"""Non-durable records (readings) committed at least every this many records."""


class JournalError(LabctlError):
    """The journal cannot be opened or does not hold what was asked for."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    created: str
    mode: str
    protocol_file: str
    protocol_sha256: str
    protocol_text: str
    parameters: dict[str, Any]
    rig_name: str
    rig_text: str
    seed: int | None


@dataclass(frozen=True)
class RunOverview:
    run_id: str
    mode: str
    protocol: str
    rig: str
    started: str
    ended: str | None
    """None: the run never finished; it is going on, or labctl stopped and it can be resumed."""
    state: str | None
    alarms: int


@dataclass(frozen=True)
class Record:
    seq: int
    run_id: str
    t_s: float
    wall: str
    kind: str
    step: str | None
    data: dict[str, Any]


def now_iso() -> str:
    """Wall time as the journal and MQTT payloads write it: ISO-8601 UTC, milliseconds, 'Z'."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Journal:
    """Appends to one run; opened for a new run (`create_run`) or for reading and resuming (`open_run`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
            if "hash" not in columns:  # a journal from before the hash chain: its old records stay unchained
                self._db.execute("ALTER TABLE records ADD COLUMN hash TEXT")
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot open the journal: {exc}") from None
        self.run_id: str | None = None
        self._last_hash = ""
        self._pending = 0
        self._followers: list[Callable[[int], None]] = []

    def close(self) -> None:
        self._commit()
        self._db.close()

    def create_run(
        self,
        *,
        mode: str,
        protocol_file: str,
        protocol_sha256: str,
        protocol_text: str,
        parameters: dict[str, Any],
        rig_name: str,
        rig_text: str,
        seed: int | None = None,
    ) -> str:
        run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        self._db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                now_iso(),
                mode,
                protocol_file,
                protocol_sha256,
                protocol_text,
                json.dumps(parameters, sort_keys=True, default=str),
                rig_name,
                rig_text,
                seed,
            ),
        )
        self.run_id = run_id
        self._last_hash = genesis(self._header(run_id))
        return run_id

    def open_run(self, run_id: str) -> RunInfo:
        info = self.run(run_id)
        self.run_id = run_id
        row = self._db.execute(
            "SELECT hash FROM records WHERE run_id = ? ORDER BY seq DESC LIMIT 1", (run_id,)
        ).fetchone()
        self._last_hash = row[0] if row is not None and row[0] is not None else genesis(self._header(run_id))
        return info

    def _header(self, run_id: str) -> dict[str, Any]:
        """The run's row as stored: what the chain's first link stands on."""
        cursor = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        row = cursor.fetchone()
        if row is None:
            raise JournalError(f"{self.path}: no run {run_id!r}")
        return {d[0]: value for d, value in zip(cursor.description, row, strict=True)}

    def verify(self, run_id: str) -> Verdict:
        rows = self._db.execute(
            "SELECT seq, t_s, wall, kind, step, data, hash FROM records WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return verify(run_id, self._header(run_id), (RawRecord(*row) for row in rows))

    def run(self, run_id: str) -> RunInfo:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise JournalError(f"{self.path}: no run {run_id!r}")
        return RunInfo(
            run_id=row[0],
            created=row[1],
            mode=row[2],
            protocol_file=row[3],
            protocol_sha256=row[4],
            protocol_text=row[5],
            parameters=json.loads(row[6]),
            rig_name=row[7],
            rig_text=row[8],
            seed=row[9],
        )

    def overview(self) -> list[RunOverview]:
        """Every run, oldest first, with what `labctl runs` shows, in one query."""
        rows = self._db.execute(
            """
            SELECT r.run_id, r.mode, r.protocol_file, r.rig_name, r.created,
              (SELECT data FROM records WHERE run_id = r.run_id AND kind = 'run.started' ORDER BY seq LIMIT 1),
              (SELECT wall FROM records WHERE run_id = r.run_id AND kind = 'run.ended' ORDER BY seq DESC LIMIT 1),
              (SELECT data FROM records WHERE run_id = r.run_id AND kind = 'run.state' ORDER BY seq DESC LIMIT 1),
              (SELECT COUNT(*) FROM records WHERE run_id = r.run_id AND kind = 'alarm.raised')
            FROM runs r ORDER BY r.created, r.run_id
            """
        )
        return [
            RunOverview(
                run_id=run_id,
                mode=mode,
                protocol=json.loads(started)["protocol"] if started else protocol_file,
                rig=rig,
                started=created,
                ended=ended,
                state=json.loads(state)["to"] if state else None,
                alarms=alarms,
            )
            for run_id, mode, protocol_file, rig, created, started, ended, state, alarms in rows
        ]

    def runs(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY created")]

    def append(
        self, t_s: float, kind: str, data: dict[str, Any], *, step: str | None = None, durable: bool = True
    ) -> int:
        """Add one record; `durable` commits (and syncs) before returning."""
        if self.run_id is None:
            raise JournalError("no run open")
        if self._pending == 0:
            self._db.execute("BEGIN")
        wall, text = now_iso(), json.dumps(data, sort_keys=True)
        chained = link(self._last_hash, t_s=t_s, wall=wall, kind=kind, step=step, data_text=text)
        cursor = self._db.execute(
            "INSERT INTO records (run_id, t_s, wall, kind, step, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.run_id, t_s, wall, kind, step, text, chained),
        )
        self._last_hash = chained
        self._pending += 1
        if durable or self._pending >= BATCH:
            self._commit()
        assert cursor.lastrowid is not None
        for follower in self._followers:
            follower(cursor.lastrowid)
        return cursor.lastrowid

    def follow(self, wake: Callable[[int], None]) -> Callable[[], None]:
        """Call `wake(seq)` after each append, in the appending task: it must only take note (MQTT reads the
        records later with `records_after`). Returns the call that stops following."""
        self._followers.append(wake)
        return lambda: self._followers.remove(wake)

    def records_after(self, run_id: str, seq: int, limit: int) -> list[Record]:
        """The run's next records after `seq`, oldest first: a cursor a reader can keep across restarts of its
        own (a broker outage), so nothing is skipped or reordered."""
        rows = self._db.execute(
            "SELECT seq, run_id, t_s, wall, kind, step, data FROM records"
            " WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (run_id, seq, limit),
        )
        return [Record(q, r, t, w, k, st, json.loads(d)) for q, r, t, w, k, st, d in rows]

    def last_seq(self, run_id: str) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM records WHERE run_id = ?", (run_id,)).fetchone()
        return int(row[0] or 0)

    def _commit(self) -> None:
        if self._pending:
            self._db.execute("COMMIT")
            self._pending = 0

    def records(self, run_id: str | None = None, kind: str | None = None) -> Iterator[Record]:
        rid = run_id or self.run_id
        query = "SELECT seq, run_id, t_s, wall, kind, step, data FROM records WHERE run_id = ?"
        args: tuple[str, ...] = (str(rid),)
        if kind is not None:
            query += " AND (kind = ? OR substr(kind, 1, length(?)) = ?)"
            args += (kind, kind + ".", kind + ".")
        for row in self._db.execute(query + " ORDER BY seq", args):
            seq, rid_, t_s, wall, kind_, step, data = row
            yield Record(seq, rid_, t_s, wall, kind_, step, json.loads(data))
