"""One SQLite file holds every run: its protocol and rig as run, and one record per thing that happened.

Records are append-only (triggers refuse UPDATE and DELETE). A record that announces a change to the physical
world (a setpoint, a dose start, a pump start) is committed before the command goes out, so after a crash the
journal can tell "never sent" from "sent, outcome unknown". Readings are committed in batches: losing the last
few seconds of readings in a power cut loses no decision.

After every commit the chain's head goes to `<journal>.head` (see `labctl.journal.head`), so a journal that lost
its tail is told from one that ended there. A write SQLite refuses (a full disk, an I/O error, a read-only file)
raises `JournalWriteError` and leaves the journal as it was at its last commit: the in-memory chain never runs
ahead of what is on disk, so a failed write can never look like tampering. The record whose append raised is not
written, ever (the caller acted on the error); the records appended before it are written at the next writable
moment, followed by a `journal.write-failed` record saying what happened.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from labctl.errors import LabctlError
from labctl.journal.chain import RawRecord, Verdict, genesis, link, verify
from labctl.journal.head import (
    Head,
    HeadFileError,
    HeadState,
    WriteFailure,
    merged,
    read_head,
    write_head,
    write_head_in_place,
)
from labctl.journal.kinds import RecordKind, record_kind

log = structlog.get_logger("labctl.journal")

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
BACKLOG = 10 * BATCH
"""Records appended before a write failure kept in memory for the next writable moment; older ones are dropped
(and counted) so a disk that stays full does not fill the memory too."""
UNSYNCED_HEAD_EVERY_S = 1.0
"""Without `sync` (a dry run), the head file is rewritten at most this often (wall time) and on close, not after
every commit: a head that lags the journal is never an error (only one ahead of it is), and its rewrites were a
sixth of a dry run's wall time."""
WRITE_FAILED = RecordKind.JOURNAL_WRITE_FAILED


class JournalError(LabctlError):
    """The journal cannot be opened or does not hold what was asked for."""


class JournalWriteError(JournalError):
    """SQLite could not write the journal. The record being appended is not in it; the journal is as it was at its
    last commit and goes on from there once it can write again."""

    def __init__(self, path: Path, error: sqlite3.Error, kind: str) -> None:
        self.path = path
        self.error = error
        self.sqlite_error = getattr(error, "sqlite_errorname", type(error).__name__)
        self.kind = kind
        super().__init__(
            f"{path}: cannot write the journal ({self.sqlite_error}: {error}); {kind!r} not recorded"
        )


@dataclass(frozen=True)
class Shortfall:
    """A run the head file says reached `promised`, and what the journal holds of it instead."""

    promised: Head
    found_seq: int | None
    """The run's last record in the journal (0: none); None: the journal does not hold the run at all."""

    def explain(self) -> str:
        p = self.promised
        if self.found_seq is None:
            return f"run {p.run_id} (last record {p.seq} at {p.wall}) is not in it at all"
        if not self.found_seq:
            held, lost = "holds no record of it", f"its records up to {p.seq} are"
        elif self.found_seq + 1 >= p.seq:
            held, lost = f"ends at record {self.found_seq}", f"record {p.seq} is"
        else:
            held, lost = f"ends at record {self.found_seq}", f"records {self.found_seq + 1}-{p.seq} are"
        return (
            f"run {p.run_id} was written up to record {p.seq} ({p.wall}, hash {p.hash[:12]}) "
            f"but the journal {held}: {lost} missing"
        )


class JournalIncomplete(JournalError):
    """The journal holds less than its head file says was committed: records lost with the `-wal` file (or a copy
    made without it). Nothing may be written to it or resumed from it: the missing records may say a dose went out."""

    def __init__(self, path: Path, shortfalls: list[Shortfall], detail: str = "") -> None:
        self.path = path
        self.shortfalls = tuple(shortfalls)
        what = detail or "; ".join(s.explain() for s in shortfalls)
        super().__init__(f"journal incomplete: {path}: {what} (its -wal file missing?)")


@dataclass(frozen=True)
class _Entry:
    """A record as appended, before it has a seq and a hash: what is written again after a write failure."""

    t_s: float
    wall: str
    kind: str
    step: str | None
    text: str


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
    """Wall time as the journal and MQTT payloads write it: ISO-8601 UTC, milliseconds (truncated, as
    `datetime.isoformat` does), 'Z'. The second's text is kept: every record is stamped."""
    second, nanos = divmod(time.time_ns(), 1_000_000_000)
    return f"{_second_text(second)}.{nanos // 1_000_000:03d}Z"


@functools.lru_cache(maxsize=1)
def _second_text(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


class Journal:
    """Appends to one run; opened for a new run (`create_run`) or for reading and resuming (`open_run`)."""

    def __init__(self, path: Path | str, *, incomplete_ok: bool = False, sync: bool = True) -> None:
        """Raises `JournalIncomplete` for a journal behind its head file, unless `incomplete_ok` (for `verify`,
        which reports what is missing; `shortfalls` says it). Such a journal is never written to.

        Without `sync`, commits and the head file are not flushed to the disk (no fsync): still in order and
        atomic if the process dies, not if the power goes. For a dry run, whose world is simulated: a power cut
        ends the simulation too, and the fsyncs were most of its wall time."""
        self.path = Path(path)
        self._sync = sync
        self._head_saved_at = -math.inf
        self._head_behind = False
        """Without `sync`, commits the head file has not been told of yet (see UNSYNCED_HEAD_EVERY_S)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._head_state: HeadState | None = read_head(self.path)
            self.head_problem: str | None = None
        except HeadFileError as exc:
            self._head_state, self.head_problem = None, str(exc)
        wal_mode = self._wal_mode_file()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            tables = {
                row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            if "runs" not in tables and (wal_mode or self._head_state is not None):
                self._db.close()
                names = sorted(self._head_state.heads) if self._head_state is not None else []
                detail = f"it holds no table, though its head file names {len(names)} run(s)" if names else ""
                raise JournalIncomplete(
                    self.path, [], detail or "a write-ahead-log journal without its tables"
                )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if sync else 'OFF'}")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
            if "hash" not in columns:  # a journal from before the hash chain: its old records stay unchained
                self._db.execute("ALTER TABLE records ADD COLUMN hash TEXT")
            self.shortfalls = self._shortfalls()
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot open the journal: {exc}") from None
        if self.shortfalls and not incomplete_ok:
            self._db.close()
            raise JournalIncomplete(self.path, self.shortfalls)
        self.run_id: str | None = None
        self._last_hash = ""
        self._committed: Head | None = None
        self._unsaved: list[_Entry] = []
        self._last_seq = 0
        self._last_wall = ""
        self._backlog: list[_Entry] = []
        self._failure: WriteFailure | None = None
        self._followers: list[Callable[[int], None]] = []
        self._closed = False

    def _wal_mode_file(self) -> bool:
        """An SQLite file whose header says write-ahead log (bytes 18-19 are 2): its newest pages may be only in
        the `-wal` file beside it. Such a file without tables had them in a `-wal` file that is gone (the journal
        creates its tables as soon as it switches to WAL)."""
        try:
            with self.path.open("rb") as f:
                header = f.read(20)
        except OSError:
            return False
        return header.startswith(b"SQLite format 3\x00") and header[18:20] == b"\x02\x02"

    def _shortfalls(self) -> list[Shortfall]:
        if self._head_state is None:
            return []
        found: list[Shortfall] = []
        for head in self._head_state.heads.values():
            if self._db.execute("SELECT 1 FROM runs WHERE run_id = ?", (head.run_id,)).fetchone() is None:
                found.append(Shortfall(head, None))
            elif (last := self.last_seq(head.run_id)) < head.seq:
                found.append(Shortfall(head, last))
        return found

    @property
    def head(self) -> Head | None:
        """The open run's last committed record (seq, hash, wall): what is on disk, never a record still waiting
        for its batch. Publish it elsewhere (MQTT) to make a rewrite of the whole journal and its head file
        evident too."""
        return self._committed

    @property
    def write_failure(self) -> WriteFailure | None:
        """The write failure not yet recorded in the journal (it will be, at the next writable moment)."""
        return self._failure

    def recorded_failure(self, run_id: str) -> WriteFailure | None:
        """The head file's note that `run_id`'s journal ends with a write failure nothing recorded since."""
        failure = self._head_state.failure if self._head_state is not None else None
        if failure is None or failure.run_id != run_id or self.last_seq(run_id) != failure.after_seq:
            return None
        return failure

    def promised(self, run_id: str) -> Head | None:
        """What the head file says `run_id` reached (None: it does not know the run)."""
        return self._head_state.heads.get(run_id) if self._head_state is not None else None

    def close(self) -> None:
        """Commits what is pending, and writes what a write failure left unwritten if the disk has room now.
        Raises `JournalWriteError` only for a failure nobody was told of yet. Closing twice is closing once."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._failure is not None:
                try:
                    if not self._db.in_transaction:
                        self._db.execute("BEGIN")
                        self._write_backlog()
                    self._commit()
                except sqlite3.Error as exc:
                    self._rolled_back(exc, None)
                    log.warning("journal.unwritten", path=str(self.path), error=str(exc))
            else:
                try:
                    self._commit()
                except sqlite3.Error as exc:
                    raise self._rolled_back(exc, None) from None
            if self._head_behind:
                self._save_head()
        finally:
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
        self._begin_write()
        try:
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
        except sqlite3.Error as exc:  # autocommit: nothing to roll back, the run is not there
            raise JournalWriteError(self.path, exc, "run") from None
        self._begin(run_id)
        self._save_head()
        return run_id

    def open_run(self, run_id: str) -> RunInfo:
        """Opens `run_id` for appending; a write failure the head file noted for it is recorded at the next
        commit (the controller that hit it may have died before it could)."""
        info = self.run(run_id)
        self._begin_write()
        self._begin(run_id)
        self._failure = self.recorded_failure(run_id)
        return info

    def _begin_write(self) -> None:
        """What another run left pending is that run's: committed before switching."""
        try:
            self._commit()
        except sqlite3.Error as exc:
            raise self._rolled_back(exc, None) from None

    def _begin(self, run_id: str) -> None:
        self._backlog, self._unsaved, self._failure = [], [], None
        self.run_id = run_id
        row = self._db.execute(
            "SELECT seq, hash, wall FROM records WHERE run_id = ? ORDER BY seq DESC LIMIT 1", (run_id,)
        ).fetchone()
        if row is not None and row[1] is not None:
            self._committed = Head(run_id, row[0], row[1], row[2])
        else:
            self._committed = Head(run_id, 0, genesis(self._header(run_id)), now_iso())
        self._last_hash = self._committed.hash

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
              (SELECT data FROM records WHERE run_id = r.run_id AND kind = ? ORDER BY seq LIMIT 1),
              (SELECT wall FROM records WHERE run_id = r.run_id AND kind = ? ORDER BY seq DESC LIMIT 1),
              (SELECT data FROM records WHERE run_id = r.run_id AND kind = ? ORDER BY seq DESC LIMIT 1),
              (SELECT COUNT(*) FROM records WHERE run_id = r.run_id AND kind = ?)
            FROM runs r ORDER BY r.created, r.run_id
            """,
            tuple(
                k.value
                for k in (
                    RecordKind.RUN_STARTED,
                    RecordKind.RUN_ENDED,
                    RecordKind.RUN_STATE,
                    RecordKind.ALARM_RAISED,
                )
            ),
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
        self,
        t_s: float,
        kind: RecordKind | str,
        data: dict[str, Any],
        *,
        step: str | None = None,
        durable: bool = True,
    ) -> int:
        """Add one record; `durable` commits (and syncs) before returning. Raises `JournalWriteError` when SQLite
        cannot write: then this record is not in the journal (a command it announces must not go out), and
        `UnknownRecordKind` for a kind outside `RecordKind`, before anything is written."""
        known = record_kind(kind)
        if self.run_id is None:
            raise JournalError("no run open")
        entry = _Entry(t_s, now_iso(), known.value, step, json.dumps(data, sort_keys=True))
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
                self._write_backlog()
            seq = self._insert(entry)
            self._unsaved.append(entry)
            if durable or len(self._unsaved) >= BATCH:
                self._commit()
        except sqlite3.Error as exc:
            raise self._rolled_back(exc, entry) from None
        for follower in self._followers:
            follower(seq)
        return seq

    def _insert(self, entry: _Entry) -> int:
        chained = link(
            self._last_hash,
            t_s=entry.t_s,
            wall=entry.wall,
            kind=entry.kind,
            step=entry.step,
            data_text=entry.text,
        )
        cursor = self._db.execute(
            "INSERT INTO records (run_id, t_s, wall, kind, step, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (self.run_id, entry.t_s, entry.wall, entry.kind, entry.step, entry.text, chained),
        )
        assert cursor.lastrowid is not None
        self._last_hash, self._last_seq, self._last_wall = chained, cursor.lastrowid, entry.wall
        return cursor.lastrowid

    def _write_backlog(self) -> None:
        """At the start of a transaction after a write failure: the records appended before it, then the record
        of the failure. All of it commits with the record that follows, or none of it."""
        for entry in self._backlog:
            self._insert(entry)
        if self._failure is not None:
            f = self._failure
            data = json.dumps(f.record_data(rewritten=len(self._backlog)), sort_keys=True)
            self._insert(_Entry(f.t_s, now_iso(), WRITE_FAILED.value, None, data))

    def _rolled_back(self, exc: sqlite3.Error, failed: _Entry | None) -> JournalWriteError:
        """Back to the last commit: SQLite may have rolled the transaction back itself (it does on SQLITE_FULL),
        so nothing after the last commit is trusted to be on disk. The chain continues from there."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # already rolled back, or the connection is gone
                self._db.execute("ROLLBACK")
        assert self._committed is not None
        t_s = failed.t_s if failed is not None else self._unsaved[-1].t_s if self._unsaved else 0.0
        kept = self._backlog + [e for e in self._unsaved if e is not failed]
        dropped = max(0, len(kept) - BACKLOG)
        self._backlog, self._unsaved = kept[dropped:], []
        self._last_hash = self._committed.hash
        kind = failed.kind if failed is not None else "pending records"
        error = JournalWriteError(self.path, exc, kind)
        if self._failure is None:
            self._failure = WriteFailure(
                run_id=self._committed.run_id,
                after_seq=self._committed.seq,
                after_hash=self._committed.hash,
                wall=now_iso(),
                t_s=t_s,
                error=str(exc),
                sqlite_error=error.sqlite_error,
            )
        not_written = Counter(self._failure.not_written)
        if failed is not None:
            not_written[failed.kind] += 1
        self._failure = replace(
            self._failure, not_written=dict(not_written), dropped=self._failure.dropped + dropped
        )
        self._save_head(failure=True)
        return error

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

    def record_hash(self, run_id: str, seq: int) -> str | None:
        row = self._db.execute(
            "SELECT hash FROM records WHERE run_id = ? AND seq = ?", (run_id, seq)
        ).fetchone()
        return None if row is None else row[0]

    def last_seq(self, run_id: str) -> int:
        row = self._db.execute("SELECT MAX(seq) FROM records WHERE run_id = ?", (run_id,)).fetchone()
        return int(row[0] or 0)

    def _commit(self) -> None:
        if not self._db.in_transaction:
            return
        self._db.execute("COMMIT")
        assert self.run_id is not None
        self._committed = Head(self.run_id, self._last_seq, self._last_hash, self._last_wall)
        self._unsaved, self._backlog, self._failure = [], [], None
        if self._sync or time.monotonic() - self._head_saved_at >= UNSYNCED_HEAD_EVERY_S:
            self._save_head()
        else:
            self._head_behind = True

    def _save_head(self, *, failure: bool = False) -> None:
        """After a commit (or a write failure): the head file says where the chain stands. A head file that
        cannot be replaced fails nothing (the commit stands; the file only falls behind, which is never
        reported); a write failure is then noted over the old file in place, as the one fact not to lose."""
        assert self._committed is not None
        try:
            on_disk = read_head(self.path)
        except HeadFileError:
            on_disk = None
        state = merged(on_disk, {self._committed.run_id: self._committed}, self._failure)
        self._head_saved_at, self._head_behind = time.monotonic(), False
        try:
            write_head(self.path, state, sync=self._sync)
        except OSError as exc:
            if not (failure and write_head_in_place(self.path, state)):
                log.warning("journal.head-unwritten", path=str(self.path), error=str(exc))

    def records(self, run_id: str | None = None, kind: RecordKind | str | None = None) -> Iterator[Record]:
        """The run's records in order; `kind` selects one kind, or a family by its prefix (`alarm`)."""
        rid = run_id or self.run_id
        query = "SELECT seq, run_id, t_s, wall, kind, step, data FROM records WHERE run_id = ?"
        args: tuple[str, ...] = (str(rid),)
        if kind is not None:
            query += " AND (kind = ? OR substr(kind, 1, length(?)) = ?)"
            prefix = f"{kind}."
            args += (str(kind), prefix, prefix)
        for row in self._db.execute(query + " ORDER BY seq", args):
            seq, rid_, t_s, wall, kind_, step, data = row
            yield Record(seq, rid_, t_s, wall, kind_, step, json.loads(data))
