"""The ``labctl`` command. Thin: parses arguments, calls the packages, turns labctl errors into exit codes."""

from __future__ import annotations

import faulthandler
import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labctl.dashboard.cli import dashboard_command
from labctl.dryrun.cli import dry_run_command
from labctl.errors import LabctlError
from labctl.history.cli import export_command, report_command, runs_command, verify_command
from labctl.monitor.cli import monitor_command
from labctl.run.cli import resume_command, run_command
from labctl.sim.cli import sim_app

if TYPE_CHECKING:
    from labctl.protocol.checks import CheckerConfig, Finding
    from labctl.rig.model import Rig

app = typer.Typer(
    name="labctl",
    help="Run checked chemistry protocols on a bench rig, or as dry runs against simulators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from labctl import __version__

        typer.echo(f"labctl {__version__}")
        raise typer.Exit()


_LOGLESS = frozenset({"validate", "schema"})
"""Commands that log only info events and import nothing that logs: below --log-json they leave structlog
(a tenth of a second to import) unimported."""


@app.callback()
def main_options(
    ctx: typer.Context,
    log_json: Annotated[bool, typer.Option("--log-json", help="Log JSON lines to stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    # JSON logs are for machines (CI, the journal): one event per file. A person reads the report on stdout,
    # so the pretty logs on a terminal stay at warnings.
    if not log_json and ctx.invoked_subcommand in _LOGLESS:
        return
    from labctl.logs import configure_logging

    configure_logging(json=log_json, level=logging.INFO if log_json else logging.WARNING)


@app.command()
def validate(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Protocol files to check.", show_default=False)],
    rig_file: Annotated[
        Path | None, typer.Option("--rig", help="Check against this rig's declared capabilities.")
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option("--thresholds", help="YAML file overriding the checker's thresholds.")
    ] = None,
    set_values: Annotated[
        list[str] | None, typer.Option("--set", help="Set a protocol parameter: NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Load and check protocols; exit 0 only when clean: no error and no unacknowledged warning."""
    from labctl.console import print_problems
    from labctl.errors import InputFileError
    from labctl.parameters import parse_parameters
    from labctl.protocol.checks import CheckerConfig, load_checker_config
    from labctl.rig import load_rig

    log = _InfoLog(enabled=bool(ctx.find_root().params.get("log_json")))
    try:
        rig = load_rig(rig_file).rig if rig_file is not None else None
        config = load_checker_config(thresholds) if thresholds is not None else CheckerConfig()
    except InputFileError as exc:
        print_problems(exc)
        log.info("input.invalid", file=exc.problems[0].location.file, problems=len(exc.problems))
        raise typer.Exit(1) from None
    parameters = parse_parameters(set_values or [])
    failed = [file for file in files if not _validate_one(file, rig, config, parameters, log)]
    if failed:
        raise typer.Exit(1)


def _validate_one(
    file: Path, rig: Rig | None, config: CheckerConfig, parameters: dict[str, str], log: _InfoLog
) -> bool:
    from rich.markup import escape

    from labctl.console import out, print_problems
    from labctl.errors import InputFileError
    from labctl.protocol.checks import Severity, check
    from labctl.protocol.loader import load_protocol

    try:
        findings = check(load_protocol(file, parameters), rig, config)
    except InputFileError as exc:
        print_problems(exc)
        out.print(f"{escape(str(file))}: [red]invalid[/red] ({len(exc.problems)} problem(s))")
        log.info("protocol.invalid", file=str(file), problems=len(exc.problems))
        return False
    for finding in findings:
        out.print(_styled(finding))
    counts = {s: sum(f.severity is s for f in findings) for s in Severity}
    ok = not any(f.severity.fails for f in findings)
    summary = ", ".join(f"{n} {s}(s)" for s, n in counts.items() if n) or "no findings"
    out.print(f"{escape(str(file))}: {'[green]ok[/green]' if ok else '[red]failed[/red]'} ({summary})")
    log.info("protocol.checked", file=str(file), ok=ok, **{str(s): n for s, n in counts.items()})
    return ok


@dataclass(frozen=True)
class _InfoLog:
    """validate's info events: logged with --log-json, else dropped before structlog is imported."""

    enabled: bool

    def info(self, event: str, **fields: object) -> None:
        if self.enabled:
            import structlog

            structlog.get_logger("labctl.cli").info(event, **fields)


_COLOURS = {"error": "red", "warning": "yellow", "acknowledged": "green", "info": "cyan"}


def _styled(finding: Finding) -> str:
    from rich.markup import escape

    colour = _COLOURS[finding.severity.value]
    where = f"{escape(str(finding.location))}: " if finding.location else ""
    key = f"{finding.key}: " if finding.key else ""
    return f"{where}[{colour}]{finding.severity}[/{colour}]\\[{finding.rule}] {escape(key + finding.message)}"


@app.command()
def schema(
    kind: Annotated[str, typer.Option("--kind", help="protocol or rig")] = "protocol",
) -> None:
    """Print the JSON Schema of protocol (or rig) files, for editor autocompletion."""
    import json

    from labctl.protocol.schema import protocol_schema
    from labctl.rig.schema import rig_schema

    schemas = {"protocol": protocol_schema, "rig": rig_schema}
    if kind not in schemas:
        raise typer.BadParameter(f"expected one of {', '.join(schemas)}", param_hint="--kind")
    typer.echo(json.dumps(schemas[kind](), indent=2, ensure_ascii=False))


app.command("dry-run")(dry_run_command)
app.command("run")(run_command)
app.command("resume")(resume_command)
app.command("monitor")(monitor_command)
app.command("dashboard")(dashboard_command)
app.command("runs")(runs_command)
app.command("export")(export_command)
app.command("report")(report_command)
app.command("verify")(verify_command)
app.add_typer(sim_app, name="sim")


def main() -> None:
    # `kill -USR1 PID` on a labctl that seems stuck: every thread's stack goes to stderr, and it runs on.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        app()
    except LabctlError as exc:
        from rich.markup import escape

        from labctl.console import out

        out.print(f"[red]error[/red]: {escape(str(exc))}")
        raise SystemExit(1) from None
