"""`labctl run` and `labctl resume`: thin wrappers that turn outcomes into exit codes."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from labctl.cli_options import (
    DEFAULT_JOURNAL,
    JournalOption,
    OperatorOption,
    input_file,
    mqtt_options,
    mqtt_settings,
)
from labctl.operator_name import operator_name
from labctl.telemetry.configured import MqttOptions

if TYPE_CHECKING:
    from labctl.engine.control import RunState


@mqtt_options(run=True)
def run_command(
    protocol: Annotated[Path, typer.Argument(help="Protocol file to run.", show_default=False)],
    rig_file: Annotated[Path, typer.Option("--rig", help="Rig file: which instrument on which port.")],
    journal: JournalOption = DEFAULT_JOURNAL,
    set_values: Annotated[
        list[str] | None, typer.Option("--set", help="Set a protocol parameter: NAME=VALUE (repeatable).")
    ] = None,
    *,
    mqtt: MqttOptions,
    operator: OperatorOption = None,
) -> None:
    """Run PROTOCOL on the rig's instruments (real ports or `labctl sim serve` endpoints).

    Type `pause`, `resume`, `abort [reason]`, `ack ALARM` or `confirm` (a prompt) and Enter while it runs."""
    from labctl.checked_start import refuse_unless_clean
    from labctl.console import out
    from labctl.parameters import parse_parameters
    from labctl.protocol.loader import load_protocol
    from labctl.rig import load_rig
    from labctl.run.session import start_run

    link = mqtt_settings(mqtt)
    loaded = input_file(lambda: load_protocol(protocol, parse_parameters(set_values or [])))
    rig = input_file(lambda: load_rig(rig_file))
    refuse_unless_clean(loaded, rig.rig, protocol)
    _exit_for(_interruptible(start_run(loaded, rig, journal, out, link, operator=operator_name(operator))))


@mqtt_options(run=True)
def resume_command(
    run_id: Annotated[str, typer.Argument(help="The run to continue, as `labctl run` printed it.")],
    journal: JournalOption = DEFAULT_JOURNAL,
    rig_file: Annotated[
        Path | None,
        typer.Option("--rig", help="Rig file, if the instruments moved; default: the run's own rig."),
    ] = None,
    *,
    mqtt: MqttOptions,
    operator: OperatorOption = None,
) -> None:
    """Continue a run after labctl was killed or the power failed: completed steps are not repeated, a dose
    whose result was never recorded is settled from the doser's own record and never re-sent."""
    from labctl.console import out
    from labctl.rig import load_rig
    from labctl.run.session import resume_run

    link = mqtt_settings(mqtt)
    source = input_file(lambda: load_rig(rig_file)) if rig_file is not None else None
    _exit_for(
        _interruptible(resume_run(run_id, journal, source, out, link, operator=operator_name(operator)))
    )


def _interruptible(run: Coroutine[Any, Any, RunState]) -> RunState:
    """Ctrl-C cancels the run: the engine stops additions and sets the safe setpoint on its way out."""
    import asyncio

    from labctl.console import out

    try:
        return asyncio.run(run)
    except KeyboardInterrupt:
        out.print(
            "interrupted: additions stopped, chiller at the safe setpoint; `labctl resume RUN_ID` continues"
        )
        raise typer.Exit(130) from None


def _exit_for(state: RunState) -> None:
    from labctl.console import out
    from labctl.engine.control import exit_code

    out.print(f"run {state}")
    if not state.clean:
        raise typer.Exit(exit_code(state))
