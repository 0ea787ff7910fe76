"""structlog, configured once per process: pretty on a terminal, JSON lines when asked."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(json: bool = False, level: int = logging.INFO) -> None:
    renderer: structlog.types.Processor
    if json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_at_each_call,
        cache_logger_on_first_use=False,
    )


def _stderr_at_each_call(*_: object) -> structlog.PrintLogger:
    """`sys.stderr` as it is when a line is logged, not when logging was configured: while the run console's
    live status line is up, stderr is rich's proxy that prints each line above it (not glued to its end)."""
    return structlog.PrintLogger(sys.stderr)
