"""A dry run wired by hand, for tests that must reach what `dry_run()` keeps inside: the simulated rig (its
doser's memory, its thermostat's setpoint) across a controller that dies and a journal that fails."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devices.rig_devices import RigDevices
from labctl.dryrun.bench import on_the_bench
from labctl.dryrun.clock import FastForwardClock
from labctl.dryrun.run import _rig_text, world_for
from labctl.engine.begin import begin_run
from labctl.engine.control import RunState
from labctl.engine.engine import Engine, EngineOptions, Operator
from labctl.engine.resume import ResumePoint
from labctl.journal import Journal
from labctl.protocol.loader import LoadedProtocol, load_protocol
from labctl.rig.connect import connect_rig
from labctl.rig.loader import LoadedRig, parse_rig
from labctl.sim.faults import FaultSchedule
from simulators.clock import ManualClock
from simulators.rig import SimulatedRig

OPTIONS = EngineOptions(operator_timeout_s=30 * 60.0)


@dataclass
class WiredRig:
    loaded: LoadedProtocol
    sim: SimulatedRig
    rig: LoadedRig
    clock: FastForwardClock

    async def devices(self) -> RigDevices:
        return await connect_rig(self.rig.rig, self.clock.now)

    def begin(self, journal: Journal) -> str:
        return begin_run(journal, self.loaded, self.rig, mode="dry-run", now=self.clock.now(), seed=1)

    def engine(self, devices: RigDevices, journal: Journal, operator: Operator) -> Engine:
        return Engine(self.loaded, devices, journal, self.clock, options=OPTIONS, operator=operator)

    async def run(self, engine: Engine, resume: ResumePoint | None = None) -> RunState:
        """As `dry_run()` runs it: the simulated chemist sees this bench."""
        with on_the_bench(self.sim):
            return await engine.run(resume)


async def wired(
    protocol: Path, seed: int = 1, schedule: FaultSchedule | None = None, *, without: tuple[str, ...] = ()
) -> WiredRig:
    """`without`: instruments the rig file leaves out (a stirrer turned by a motor labctl cannot read), while
    the simulated bench still has them."""
    loaded = load_protocol(protocol)
    sim_clock = ManualClock()
    sim = SimulatedRig(sim_clock, seed=seed, world_config=world_for(loaded.protocol))
    text = _rig_text(await sim.serve(huber_reply_delay_s=0.0))
    for role in without:
        text = _leave_out(text, role)
    rig = parse_rig(text, "<rig>")
    return WiredRig(loaded, sim, rig, FastForwardClock(sim_clock, sim, schedule))


def _leave_out(rig_text: str, role: str) -> str:
    lines = rig_text.splitlines(keepends=True)
    start = lines.index(f"  {role}:\n")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    return "".join(lines[:start] + lines[end:])
