"""`labctl runs` lists the journal's runs; `export` writes one run's records, `report` its batch record, and
`verify` checks its hash chain."""

from __future__ import annotations

import sys
from contextlib import closing, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from labctl.cli_options import DEFAULT_JOURNAL, JournalOption

if TYPE_CHECKING:
    from labctl.journal import Journal, RunOverview


def _open(path: Path, *, incomplete_ok: bool = False) -> Journal:
    """Reading never creates a journal: a mistyped path is an error, not an empty history. A journal behind its
    head file (its tail lost) is an error too, never a shorter history; only `verify` reads it, to say what is
    missing."""
    from labctl.console import out
    from labctl.journal import Journal, JournalError

    if not path.is_file():
        out.print(
            f"error: {path}: no journal there (labctl run and dry-run write one; see --journal)", markup=False
        )
        raise typer.Exit(1)
    try:
        return Journal(path, incomplete_ok=incomplete_ok)
    except JournalError as exc:
        out.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None


def runs_command(journal: JournalOption = DEFAULT_JOURNAL) -> None:
    """The runs in the journal, oldest first: id, mode, protocol, rig, start, end, outcome and alarms raised."""
    from labctl.console import out

    with closing(_open(journal)) as j:
        runs = j.overview()
    rows = [("RUN", "MODE", "STARTED (UTC)", "ENDED (UTC)", "OUTCOME", "ALARMS", "RIG", "PROTOCOL")]
    rows += [
        (r.run_id, r.mode, _clock(r.started), _clock(r.ended), _outcome(r), str(r.alarms), r.rig, r.protocol)
        for r in runs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        out.print(
            "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]), markup=False
        )
    if not runs:
        out.print(f"{journal}: no runs yet", markup=False)


def export_command(
    run_id: Annotated[str, typer.Argument(help="The run, as `labctl runs` lists it.", show_default=False)],
    csv: Annotated[bool, typer.Option("--csv", help="Readings as CSV (with --events: the events).")] = False,
    jsonl_: Annotated[bool, typer.Option("--jsonl", help="Every record, one JSON object per line.")] = False,
    events: Annotated[bool, typer.Option("--events", help="With --csv: events instead of readings.")] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
    journal: JournalOption = DEFAULT_JOURNAL,
) -> None:
    """Write one run's readings or events for analysis elsewhere (absent readings stay empty, never 0)."""
    from labctl.console import out
    from labctl.journal import JournalError
    from labctl.journal.export import events_csv, jsonl, readings_csv

    if csv == jsonl_ or (events and not csv):
        out.print("error: give exactly one of --csv or --jsonl (--events goes with --csv)", markup=False)
        raise typer.Exit(2)
    with closing(_open(journal)) as j:
        try:
            j.run(run_id)
        except JournalError as exc:
            out.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
        write = jsonl if jsonl_ else events_csv if events else readings_csv
        with _target(output) as target:
            rows = write(j.records(run_id), target)
    if output is not None:
        out.print(f"{output}: {rows} row(s) of run {run_id}", markup=False)


def verify_command(
    run_id: Annotated[str, typer.Argument(help="The run to check.", show_default=False)],
    journal: JournalOption = DEFAULT_JOURNAL,
) -> None:
    """Check the run's hash chain against itself and against the head file beside the journal: exit 0 when every
    record is there as written; else one line saying whether the tail is lost, writing stopped on an error, or a
    record was altered."""
    from labctl.console import out
    from labctl.journal import JournalError
    from labctl.journal.integrity import check_run

    with closing(_open(journal, incomplete_ok=True)) as j:
        try:
            integrity = check_run(j, run_id)
        except JournalError as exc:
            out.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
    out.print(integrity.message, markup=False)
    if not integrity.ok:
        raise typer.Exit(1)


def report_command(
    run_id: Annotated[str, typer.Argument(help="The run, as `labctl runs` lists it.", show_default=False)],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="HTML file to write (default: batch-record-RUN_ID.html)."),
    ] = None,
    journal: JournalOption = DEFAULT_JOURNAL,
) -> None:
    """Write the run's batch record: one HTML file with plots, portions, steps, alarms, actions, deviations
    and the checker's findings, that opens offline."""
    from labctl.console import out
    from labctl.journal import JournalError
    from labctl.report import ReportError, write_report

    target = output or Path(f"batch-record-{run_id}.html")
    with closing(_open(journal)) as j:
        try:
            write_report(j, run_id, target)
        except (JournalError, ReportError) as exc:
            out.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
    out.print(f"{target}: batch record of run {run_id}", markup=False)


def _target(output: Path | None) -> closing[TextIO] | nullcontext[TextIO]:
    if output is None:
        return nullcontext(sys.stdout)
    return closing(output.open("w", encoding="utf-8", newline=""))


def _clock(wall: str | None) -> str:
    return "—" if wall is None else wall.replace("T", " ").removesuffix("Z")[:19]


def _outcome(run: RunOverview) -> str:
    if run.ended is not None:
        return run.state or "?"
    return f"not ended (last {run.state or 'starting'}; resumable)" if run.mode == "run" else "not ended"
