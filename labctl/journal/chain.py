"""The journal's hash chain: each record carries the SHA-256 of its content and of the record before it, the
first one of the run that of the run's header (protocol text, rig, parameters). Editing, removing or reordering
a record (or the protocol the run was started with) breaks the chain at that place, which `labctl verify` names.

The chain makes tampering evident, not impossible: someone who rewrites the whole chain from the altered record
on can hide it. Keep a copy of the hash of a finished run's last record elsewhere (the batch record prints it)
to rule that out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


def genesis(header: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(header, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def link(previous: str, *, t_s: float, wall: str, kind: str, step: str | None, data_text: str) -> str:
    """SHA-256 of `json.dumps([previous, repr(t_s), wall, kind, step, data_text], ensure_ascii=False)`, the
    text put together directly (the same bytes: tests/journal/test_chain.py): every record is linked."""
    fields = (previous, repr(float(t_s)), wall, kind, step, data_text)
    content = "[" + ", ".join("null" if f is None else _quoted(f) for f in fields) + "]"
    return hashlib.sha256(content.encode()).hexdigest()


_quoted: Callable[[str], str] = json.encoder.encode_basestring
"""A string as json.dumps(..., ensure_ascii=False) writes it."""


@dataclass(frozen=True)
class RawRecord:
    """A record exactly as stored: the data as its JSON text, not parsed and re-serialised."""

    seq: int
    t_s: float
    wall: str
    kind: str
    step: str | None
    data_text: str
    hash: str | None


@dataclass(frozen=True)
class Verdict:
    run_id: str
    checked: int
    first_bad: RawRecord | None = None
    reason: str = ""
    last_hash: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad is None and not self.reason

    def explain(self) -> str:
        """One sentence for a person: the chain's end, or the first record that breaks it and where."""
        bad = self.first_bad
        if bad is None:
            return f"{self.checked} records, chain intact; last hash {self.last_hash}"
        step = f", step {bad.step}" if bad.step else ""
        where = f"record {bad.seq} ({bad.kind}{step}, t = {bad.t_s / 60:.1f} min, {bad.wall})"
        return f"{where} {self.reason}; the {self.checked} before it are intact"


def verify(run_id: str, header: dict[str, Any], records: Iterable[RawRecord]) -> Verdict:
    previous = genesis(header)
    checked = 0
    for rec in records:
        if rec.hash is None:
            return Verdict(
                run_id, checked, rec, "it carries no hash (written before the journal was chained)"
            )
        expected = link(
            previous, t_s=rec.t_s, wall=rec.wall, kind=rec.kind, step=rec.step, data_text=rec.data_text
        )
        if rec.hash != expected:
            return Verdict(
                run_id, checked, rec, "does not match the chain: it was altered, or one before it removed"
            )
        previous = rec.hash
        checked += 1
    return Verdict(run_id, checked, last_hash=previous)
