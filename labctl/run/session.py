"""Open a rig, a journal and an engine for a real run, or for resuming one from its journal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from labctl.engine.clock import WallClock
from labctl.engine.control import RunState
from labctl.engine.engine import Engine, EngineOptions
from labctl.engine.errors import EngineError
from labctl.engine.resume import ResumePoint, resume_point
from labctl.journal import Journal
from labctl.protocol.loader import LoadedProtocol, parse_protocol
from labctl.protocol.source import load_yaml
from labctl.rig.connect import RigDevices, connect_rig
from labctl.rig.model import Rig
from labctl.run.console import RunConsole


@dataclass(frozen=True)
class RigSource:
    rig: Rig
    text: str


def rig_from_text(text: str, file: str) -> RigSource:
    data, _ = load_yaml(text, file)
    return RigSource(Rig.model_validate(data), text)


async def start_run(loaded: LoadedProtocol, rig: RigSource, journal_path: Path, console: Console) -> RunState:
    """The run enters the journal only once every instrument has answered: a rig that cannot be opened leaves
    nothing behind to resume."""
    clock = WallClock(rig.rig.speed)
    devices = await connect_rig(rig.rig, clock.now)
    journal = Journal(journal_path)
    try:
        run_id = journal.create_run(
            mode="run",
            protocol_file=loaded.file,
            protocol_sha256=loaded.sha256,
            protocol_text=loaded.text,
            parameters=dict(loaded.parameters),
            rig_name=rig.rig.rig,
            rig_text=rig.text,
        )
        console.print(
            f"run {run_id} (journal {journal_path}); resume with: labctl resume {run_id}", markup=False
        )
        return await _drive(loaded, devices, journal, console, clock=clock, resume=None, poll_s=rig.rig.poll)
    finally:
        journal.close()


async def resume_run(run_id: str, journal_path: Path, rig: RigSource | None, console: Console) -> RunState:
    journal = Journal(journal_path)
    try:
        info = journal.open_run(run_id)
        parameters = {name: str(value) for name, value in info.parameters.items()}
        loaded = parse_protocol(info.protocol_text, info.protocol_file, parameters)
        rig = rig or rig_from_text(info.rig_text, f"<rig of run {run_id}>")
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
        devices = await connect_rig(rig.rig, clock.now)
        return await _drive(loaded, devices, journal, console, clock=clock, resume=point, poll_s=rig.rig.poll)
    finally:
        journal.close()


async def _drive(
    loaded: LoadedProtocol,
    devices: RigDevices,
    journal: Journal,
    console: Console,
    *,
    clock: WallClock,
    resume: ResumePoint | None,
    poll_s: float,
) -> RunState:
    view = RunConsole(console)
    try:
        engine = Engine(
            loaded, devices, journal, clock, options=EngineOptions(period_s=poll_s), operator=view
        )
        view.start()
        state = await engine.run(resume)
        view(engine)  # the last notices
        return state
    finally:
        await view.stop()
        await devices.close()
