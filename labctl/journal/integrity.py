"""What `labctl verify` says of a run: intact, its tail lost, ended by a write failure, or tampered with.

The hash chain alone cannot tell these apart: a journal that lost its last records ends in a valid chain, and a
journal written by a version that advanced its chain over a failed write looks edited. The head file beside the
journal (`labctl.journal.head`) says how far each run was committed and whether writing stopped on an error, so
each case gets its own sentence, and only an edit is called one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from labctl.journal.chain import Verdict
from labctl.journal.journal import WRITE_FAILED, Journal


class Finding(StrEnum):
    INTACT = "intact"
    TAIL_LOST = "tail lost"
    WRITE_FAILED = "ended by a write failure"
    TAMPERED = "tampered"


@dataclass(frozen=True)
class Integrity:
    run_id: str
    finding: Finding
    message: str
    """One line for a person, starting with the run."""
    verdict: Verdict | None
    """The chain's own verdict; None when the journal does not hold the run."""

    @property
    def ok(self) -> bool:
        return self.finding is Finding.INTACT


def missing(after: int, upto: int) -> str:
    """The seqs lost after the journal's last record of a run (0: it holds none of them)."""
    if after == 0:
        return f"its records up to {upto} are missing"
    return f"record {upto} is missing" if after + 1 >= upto else f"records {after + 1}-{upto} are missing"


def check_run(journal: Journal, run_id: str) -> Integrity:
    """Raises JournalError for a run neither the journal nor its head file knows."""
    where = f"run {run_id}"
    promised = journal.promised(run_id)
    absent = [s for s in journal.shortfalls if s.promised.run_id == run_id and s.found_seq is None]
    if absent and promised is not None:
        return Integrity(
            run_id,
            Finding.TAIL_LOST,
            f"{where}: journal incomplete: the head file says it was written up to record {promised.seq} "
            f"({promised.wall}) but the journal does not hold the run (its -wal file missing?)",
            None,
        )
    verdict = journal.verify(run_id)
    if not verdict.intact:
        return Integrity(run_id, Finding.TAMPERED, f"{where}: {verdict.explain()}", verdict)
    last = journal.last_seq(run_id)
    if promised is not None and promised.seq > last:
        return Integrity(
            run_id,
            Finding.TAIL_LOST,
            f"{where}: journal incomplete: {verdict.checked} records, chain intact up to record {last}, but the "
            f"head file says the run was written up to record {promised.seq} ({promised.wall}, hash "
            f"{promised.hash[:16]}): {missing(last, promised.seq)} (its -wal file missing?)",
            verdict,
        )
    if (
        promised is not None
        and promised.seq > 0
        and journal.record_hash(run_id, promised.seq) != promised.hash
    ):
        return Integrity(
            run_id,
            Finding.TAMPERED,
            f"{where}: record {promised.seq} is not the one the head file names (hash {promised.hash[:16]}, "
            f"{promised.wall}): the run was rewritten from some record on; {verdict.checked} records chain intact",
            verdict,
        )
    others = [s for s in journal.shortfalls if s.promised.run_id != run_id]
    if others:
        return Integrity(
            run_id,
            Finding.TAIL_LOST,
            f"{where}: {verdict.checked} records, chain intact, but journal incomplete: "
            + "; ".join(s.explain() for s in others)
            + " (its -wal file missing?)",
            verdict,
        )
    failure = journal.recorded_failure(run_id)
    if failure is not None:
        lost = (
            ", ".join(f"{n} {kind}" for kind, n in sorted(failure.not_written.items())) or "pending records"
        )
        return Integrity(
            run_id,
            Finding.WRITE_FAILED,
            f"{where}: ended by a write failure at {failure.wall} ({failure.sqlite_error}: {failure.error}): "
            f"the {verdict.checked} records up to record {failure.after_seq} are intact, last hash "
            f"{verdict.last_hash}; not written after it: {lost}",
            verdict,
        )
    message = f"{where}: {verdict.explain()}"
    failures = list(journal.records(run_id, kind=WRITE_FAILED))
    if failures:
        seqs = ", ".join(str(r.seq) for r in failures)
        message += f"; {len(failures)} write failure(s) recorded (record {seqs})"
    if journal.head_problem is not None:
        message += f"; a lost tail cannot be ruled out: {journal.head_problem}"
    return Integrity(run_id, Finding.INTACT, message, verdict)
