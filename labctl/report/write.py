"""Writing the batch record file."""

from __future__ import annotations

import os
from pathlib import Path

from labctl.errors import LabctlError
from labctl.journal import Journal
from labctl.report.html import render_report
from labctl.report.record import read_batch_record


class ReportError(LabctlError):
    """The batch record could not be written (the journal is untouched either way)."""


def write_report(journal: Journal, run_id: str, target: Path) -> None:
    """Rendered in full, written beside the target and then renamed over it: a full disk or a crash never
    leaves half a record, nor destroys an earlier one."""
    html = render_report(read_batch_record(journal, run_id))
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(html, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ReportError(f"{target}: cannot write the batch record: {exc.strerror}") from None
