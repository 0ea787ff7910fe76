"""The batch record of a run: an HTML page a reviewer can open offline, written from the journal alone."""

from labctl.report.html import render_report
from labctl.report.record import BatchRecord, read_batch_record
from labctl.report.write import ReportError, write_report

__all__ = ["BatchRecord", "ReportError", "read_batch_record", "render_report", "write_report"]
