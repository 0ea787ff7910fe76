"""``labctl sim``: serve a simulated rig for a real controller, list the faults it knows, read its ledgers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labctl.cli_options import input_file, mqtt_options, mqtt_settings
from labctl.telemetry.configured import MqttOptions

sim_app = typer.Typer(help="Simulated rigs: serve one for a real controller, list faults, read ledgers.")


@sim_app.command("serve")
@mqtt_options(run=False)
def sim_serve(
    speed: Annotated[
        float, typer.Option("--speed", min=0.001, help="Process seconds per wall second.")
    ] = 1.0,
    faults: Annotated[
        Path | None, typer.Option("--faults", help="YAML fault schedule (see 'labctl sim faults').")
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port_base: Annotated[
        int,
        typer.Option(
            "--port-base",
            help="Chiller PB on BASE, Modbus BASE+1, balance BASE+2, pump BASE+3, stirrer BASE+4; 0: free ports.",
        ),
    ] = 8101,
    pty: Annotated[
        bool, typer.Option("--pty", help="Also serve each instrument on a pseudo-terminal.")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the world's randomness.")] = 0,
    rig_out: Annotated[
        Path, typer.Option("--rig-out", help="Where to write the rig file of the served endpoints.")
    ] = Path(".labctl/sim-rig.yaml"),
    ledger_out: Annotated[
        Path, typer.Option("--ledger", help="Where to keep the doser and pump ledgers (JSON) up to date.")
    ] = Path(".labctl/sim-ledger.json"),
    duration: Annotated[
        float | None,
        typer.Option("--duration", help="Stop after this many process seconds (default: run until Ctrl-C)."),
    ] = None,
    *,
    mqtt: MqttOptions,
) -> None:
    """Serve a simulated rig (world + Huber + Mettler/Quantos + Reglo) on TCP ports, like terminal servers.

    With --mqtt, the world's truth (true Tr, jacket, bath, KMnO4 undissolved, dosed mass) and each injected
    fault go to labctl/sim/simulator, next to what a controller publishes under labctl/sim/."""
    import asyncio

    from rich.markup import escape

    from labctl.console import out
    from labctl.sim.faults import FaultSchedule, load_fault_schedule, simulated_fault_names
    from labctl.sim.serve import ServeOptions, serve
    from simulators.rig import Ports

    known = simulated_fault_names()
    schedule = (
        input_file(lambda: load_fault_schedule(faults, known)) if faults is not None else FaultSchedule()
    )
    b = port_base
    ports = Ports(b, b + 1, b + 2, b + 3, b + 4) if b else Ports()
    link = mqtt_settings(mqtt)
    options = ServeOptions(host, ports, speed, seed, pty, rig_out, ledger_out, duration, link)
    ready = asyncio.Event()

    async def announce() -> None:
        await ready.wait()
        out.print(escape(rig_out.read_text(encoding="utf-8")))
        out.print(f"ledger: {escape(str(ledger_out))}  (labctl sim ledger {escape(str(ledger_out))})")

    async def main_task() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(announce())
            group.create_task(serve(options, schedule, ready))

    try:
        asyncio.run(main_task())
    except KeyboardInterrupt:
        out.print("stopped")
    except OSError as exc:
        out.print(f"[red]error[/red]: cannot serve: {escape(str(exc))}")
        raise typer.Exit(1) from None


@sim_app.command("faults")
def sim_faults() -> None:
    """List the faults a simulated rig can suffer (names for --faults schedules)."""
    from labctl.console import out
    from labctl.sim.faults import simulated_fault_names

    for name in simulated_fault_names():
        out.print(name)


@sim_app.command("ledger")
def sim_ledger(
    ledger: Annotated[Path, typer.Argument(help="The ledger file 'labctl sim serve' keeps.")] = Path(
        ".labctl/sim-ledger.json"
    ),
) -> None:
    """What the simulated doser and pump physically dispensed, by their own records."""
    import json

    from rich.markup import escape

    from labctl.console import out

    try:
        data = json.loads(ledger.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        out.print(f"[red]error[/red]: cannot read ledger {escape(str(ledger))}: {escape(str(exc))}")
        raise typer.Exit(1) from None
    doses = data.get("doser", [])
    runs = data.get("pump", [])
    for i, dose in enumerate(doses, start=1):
        out.print(escape(f"dose {i}: " + ", ".join(f"{k}={v}" for k, v in dose.items())))
    for i, run in enumerate(runs, start=1):
        out.print(escape(f"pump run {i}: " + ", ".join(f"{k}={v}" for k, v in run.items())))
    total = sum(float(d.get("dispensed_g", 0.0) or 0.0) for d in doses)
    out.print(f"{len(doses)} dose(s), {total:.3f} g dispensed; {len(runs)} pump run(s)")
