"""`labctl dry-run`: the protocol on the simulated rig, in seconds, with the summary a chemist would check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.cli_options import DEFAULT_JOURNAL, OperatorOption, input_file, mqtt_options, mqtt_settings
from labctl.operator_name import operator_name
from labctl.telemetry.configured import MqttOptions

if TYPE_CHECKING:
    from labctl.journal import Journal
    from labctl.sim.faults import FaultSchedule


@mqtt_options(run=True)
def dry_run_command(
    protocol: Annotated[Path, typer.Argument(help="Protocol file to run.", show_default=False)],
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated rig (noise, doser error).")] = 1,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="Fault schedule (YAML), as for labctl sim serve.")
    ] = None,
    journal: Annotated[
        Path, typer.Option("--journal", help="SQLite journal to append the run to.")
    ] = DEFAULT_JOURNAL,
    set_values: Annotated[
        list[str] | None, typer.Option("--set", help="Set a protocol parameter: NAME=VALUE (repeatable).")
    ] = None,
    speed: Annotated[
        float | None,
        typer.Option(
            "--speed",
            min=0.1,
            help="Pace process time at this many times wall time (default: as fast as possible).",
        ),
    ] = None,
    *,
    mqtt: MqttOptions,
    operator: OperatorOption = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write the run's batch record (HTML) to this file.")
    ] = None,
) -> None:
    """Run PROTOCOL against in-process simulators on a fast-forward clock and print the run's summary."""

    from labctl.checked_start import refuse_unless_clean
    from labctl.console import out
    from labctl.dryrun.run import dry_run
    from labctl.engine.control import exit_code
    from labctl.event_loop import run_fast
    from labctl.journal import Journal
    from labctl.journal.summary import summarize
    from labctl.parameters import parse_parameters
    from labctl.protocol.loader import load_protocol
    from labctl.protocol.steps import DoseSolid
    from labctl.summary_view import print_summary

    link = mqtt_settings(mqtt)
    loaded = input_file(lambda: load_protocol(protocol, parse_parameters(set_values or [])))
    schedule = input_file(lambda: _schedule(faults))
    refuse_unless_clean(loaded, None, protocol)  # a rehearsal of a protocol that may not run proves nothing
    result = run_fast(
        dry_run(
            loaded,
            journal,
            seed=seed,
            schedule=schedule,
            mqtt=link,
            speed=speed,
            started_by=operator_name(operator),
        )
    )
    j = Journal(journal)
    try:
        planned = sum(s.total for s in loaded.protocol.steps if isinstance(s, DoseSolid)) or None
        print_summary(out, summarize(j, result.run_id), planned)
        for at, name in result.faults:
            out.print(f"fault injected at {at / 60:.1f} min: {name}")
        out.print(f"journal: {journal} (run {result.run_id})")
        reported = report is None or _write_report(j, result.run_id, report)
    finally:
        j.close()
    if not result.state.clean or not reported:
        raise typer.Exit(exit_code(result.state) or 1)


def _write_report(journal: Journal, run_id: str, target: Path) -> bool:
    """A report that cannot be written is said (exit 1), and the run stays in the journal to report later."""
    from labctl.console import out
    from labctl.report import ReportError, write_report

    try:
        write_report(journal, run_id, target)
    except ReportError as exc:
        out.print(f"error: {exc}; `labctl report {run_id}` writes it from the journal", markup=False)
        return False
    out.print(f"batch record: {target}", markup=False)
    return True


def _schedule(path: Path | None) -> FaultSchedule | None:
    from labctl.sim.faults import load_fault_schedule, simulated_fault_names

    if path is None:
        return None
    return load_fault_schedule(path, simulated_fault_names())
