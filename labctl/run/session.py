"""Open a rig, a journal and an engine for a real run, or for resuming one from its journal."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from devices.rig_devices import RigDevices
from labctl.engine.begin import begin_run
from labctl.engine.clock import WallClock
from labctl.engine.control import RunState
from labctl.engine.engine import Engine, EngineOptions, operators
from labctl.engine.errors import EngineError
from labctl.engine.resume import ResumePoint, resume_point
from labctl.journal import Journal
from labctl.protocol.loader import LoadedProtocol, parse_protocol
from labctl.rig.loader import LoadedRig, parse_rig
from labctl.run.console import RunConsole
from labctl.run.wiring import RunWiring
from labctl.telemetry.attach import publishing
from labctl.telemetry.settings import MqttSettings


async def start_run(
    loaded: LoadedProtocol,
    rig: LoadedRig,
    journal_path: Path,
    console: Console,
    mqtt: MqttSettings | None = None,
    *,
    operator: str | None = None,
) -> RunState:
    """The run enters the journal only once every instrument has answered: a rig that cannot be opened leaves
    nothing behind to resume."""
    async with AsyncExitStack() as stack:
        opened = RunWiring(stack)
        clock = WallClock(rig.rig.speed)
        devices = await opened.devices(rig.rig, clock.now)
        journal = opened.journal(journal_path)
        run_id = begin_run(journal, loaded, rig, mode="run", now=clock.now())
        console.print(
            f"run {run_id} (journal {journal_path}); resume with: labctl resume {run_id}", markup=False
        )
        link = _Link(mqtt, run_id, "run", resumed=False)
        options = EngineOptions(period_s=rig.rig.poll, started_by=operator)
        return await _drive(opened, loaded, devices, journal, console, options, clock, None, link)


async def resume_run(
    run_id: str,
    journal_path: Path,
    rig: LoadedRig | None,
    console: Console,
    mqtt: MqttSettings | None = None,
    *,
    operator: str | None = None,
) -> RunState:
    async with AsyncExitStack() as stack:
        opened = RunWiring(stack)
        journal = opened.journal(journal_path)
        info = journal.open_run(run_id)
        parameters = {name: str(value) for name, value in info.parameters.items()}
        loaded = parse_protocol(info.protocol_text, info.protocol_file, parameters)
        rig = rig or parse_rig(info.rig_text, f"<rig of run {run_id}>")
        point = resume_point(journal, run_id, loaded.protocol)
        if point is None:
            raise EngineError(f"run {run_id} has ended; there is nothing to resume")
        start = point.process_time_now(rig.rig.speed, datetime.now(UTC))
        console.print(
            f"resuming run {run_id} at step {point.step_index + 1} after "
            f"{(start - point.last_t_s) / 60:.1f} min of process time down",
            markup=False,
        )
        clock = WallClock(rig.rig.speed, start=start)
        devices = await opened.devices(rig.rig, clock.now)
        link = _Link(mqtt, run_id, info.mode, resumed=True)
        options = EngineOptions(period_s=rig.rig.poll, started_by=operator)
        return await _drive(opened, loaded, devices, journal, console, options, clock, point, link)


@dataclass(frozen=True)
class _Link:
    """What the MQTT publisher of this run needs besides the journal."""

    settings: MqttSettings | None
    run_id: str
    mode: str
    resumed: bool


async def _drive(  # noqa: PLR0917  # the run's parts, each opened by its caller
    opened: RunWiring,
    loaded: LoadedProtocol,
    devices: RigDevices,
    journal: Journal,
    console: Console,
    options: EngineOptions,
    clock: WallClock,
    resume: ResumePoint | None,
    link: _Link,
) -> RunState:
    commands = await opened.stack.enter_async_context(
        publishing(
            link.settings,
            journal,
            link.run_id,
            rig=devices.name,
            mode=link.mode,
            protocol=loaded.protocol.metadata.name,
            resumed=link.resumed,
        )
    )
    view = RunConsole(console)
    opened.stack.push_async_callback(view.stop)
    engine = Engine(loaded, devices, journal, clock, options=options, operator=operators(view, commands))
    view.start()
    state = await engine.run(resume)
    view(engine)  # the last notices
    return state
