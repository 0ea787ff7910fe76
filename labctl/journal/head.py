"""The journal's head kept outside the journal: `<journal>.head`, a small JSON file beside the SQLite file.

The hash chain shows an edited or removed record, but not a missing *tail*: a journal whose last records were
lost (a damaged or missing `-wal` file, a copy made without it) still ends in a valid chain, and a resume from it
would repeat what the lost records said was done. So after every commit the journal writes where each run's
chain stood (seq, hash, wall time) to this file; a journal that holds less than its head file names has lost
records, and the reader can say which.

The file is replaced atomically (temporary file, fsync, `os.replace`, fsync of the directory), so a power cut
leaves the old head or the new one, never half of one. It only ever claims a lower bound: a crash between the
commit and the replace leaves it one commit behind, which is not reported. When the disk is too full for a new
file, the note of a write failure is written over the old file in place instead (it is padded to whole blocks
for that): the one fact a full disk must not swallow is that the journal stopped because it could not write.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
BLOCK = 512
"""The file is padded to whole blocks, with `RESERVE` bytes spare at least, so a write failure's note can be
written over it in place without growing it."""
RESERVE = 1024
KEPT_RUNS = 64
"""Runs whose head the file keeps, most recently written last: one journal holds many runs."""


@dataclass(frozen=True)
class Head:
    """Where a run's chain stood at a commit: its last record's seq and hash (seq 0: no record yet, the hash is
    the run header's)."""

    run_id: str
    seq: int
    hash: str
    wall: str


@dataclass(frozen=True)
class WriteFailure:
    """SQLite refused a write: the journal of `run_id` holds nothing after `after_seq` from that moment on."""

    run_id: str
    after_seq: int
    after_hash: str
    wall: str
    t_s: float
    error: str
    sqlite_error: str
    not_written: dict[str, int] = field(default_factory=dict)
    """Records whose append raised, by kind: they are not in the journal and never will be."""
    dropped: int = 0
    """Records appended before the failure that could not be kept in memory until the disk had room again."""

    def record_data(self, rewritten: int) -> dict[str, Any]:
        """What the `journal.write-failed` record says once the journal can write again."""
        return {
            "error": self.error,
            "sqlite_error": self.sqlite_error,
            "failed_at": self.wall,
            "after_seq": self.after_seq,
            "not_written": dict(sorted(self.not_written.items())),
            "dropped": self.dropped,
            "rewritten": rewritten,
        }


@dataclass(frozen=True)
class HeadState:
    heads: dict[str, Head] = field(default_factory=dict)
    """By run, in the order they were last written."""
    failure: WriteFailure | None = None

    @property
    def last(self) -> Head | None:
        return max(self.heads.values(), key=lambda h: h.seq, default=None)


def head_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".head")


class HeadFileError(Exception):
    """The head file is there but cannot be read as one: what it promised is unknown."""


def read_head(journal: Path) -> HeadState | None:
    """None when there is no head file (a journal written before it existed, or a copy made without it)."""
    path = head_path(journal)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HeadFileError(f"{path}: cannot read the head file: {exc}") from None
    try:
        raw = json.loads(text)
        if raw.get("format") != FORMAT:
            raise HeadFileError(f"{path}: head file of unknown format {raw.get('format')!r}")
        heads = {
            rid: Head(rid, int(h["seq"]), str(h["hash"]), str(h["wall"])) for rid, h in raw["runs"].items()
        }
        failure = raw.get("write_failure")
        return HeadState(heads, WriteFailure(**failure) if failure else None)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise HeadFileError(f"{path}: the head file is damaged ({exc})") from None


def merged(old: HeadState | None, heads: dict[str, Head], failure: WriteFailure | None) -> HeadState:
    """This writer's heads over what the file held: another writer's runs kept, each run at its furthest."""
    runs = dict(old.heads) if old is not None else {}
    for rid, head in heads.items():
        known = runs.pop(rid, None)
        runs[rid] = head if known is None or head.seq >= known.seq else known
    while len(runs) > KEPT_RUNS:
        del runs[next(iter(runs))]
    if failure is None and old is not None and old.failure is not None and old.failure.run_id not in heads:
        failure = old.failure  # another run's note stays until that run records it
    return HeadState(runs, failure)


def _text(state: HeadState) -> bytes:
    last = state.last
    body = {
        "format": FORMAT,
        "head": asdict(last) if last is not None else None,
        "runs": {rid: {"seq": h.seq, "hash": h.hash, "wall": h.wall} for rid, h in state.heads.items()},
        "write_failure": asdict(state.failure) if state.failure is not None else None,
    }
    data = json.dumps(body, indent=1, ensure_ascii=False).encode() + b"\n"
    size = len(data) if state.failure is not None else len(data) + RESERVE
    return data + b" " * (size - len(data) + (-size % BLOCK))


def write_head(journal: Path, state: HeadState, *, sync: bool = True) -> None:
    """Replace the head file atomically; raises OSError when that is impossible. Without `sync` the replacement
    is still atomic against a crash of the process, not against a power cut."""
    path = head_path(journal)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, _text(state))
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if not sync:
        return
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def write_head_in_place(journal: Path, state: HeadState) -> bool:
    """Overwrite the existing head file without growing it (a full disk has no block for a new file). False when
    there is no file to write over or the new text does not fit."""
    path = head_path(journal)
    data = _text(state)
    try:
        if path.stat().st_size < len(data):
            return False
        fd = os.open(path, os.O_WRONLY)
    except OSError:
        return False
    try:
        os.write(fd, data.ljust(os.fstat(fd).st_size, b" "))
        os.fsync(fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
