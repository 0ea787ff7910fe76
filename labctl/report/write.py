"""Writing the batch record file."""

from __future__ import annotations

from pathlib import Path

from labctl.errors import LabctlError
from labctl.journal import Journal
from labctl.report.html import render_report
from labctl.report.record import read_batch_record


class ReportError(LabctlError):
    """The batch record could not be written (the journal is untouched either way)."""


def write_report(journal: Journal, run_id: str, target: Path) -> None:
    """Rendered in full before the file is opened: a failure never leaves half a record behind."""
    html = render_report(read_batch_record(journal, run_id))
    try:
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{target}: cannot write the batch record: {exc.strerror}") from None
