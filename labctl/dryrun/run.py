"""Wire a dry run: a simulated rig served on loopback sockets, the rig's drivers opened on them by URL, the
engine on a fast-forward clock, and a journal like any other run's."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.dryrun.bench import on_the_bench
from labctl.dryrun.clock import FastForwardClock
from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.begin import begin_run
from labctl.engine.control import RunState
from labctl.engine.engine import Engine, EngineOptions, Operator, operators
from labctl.protocol.checks.config import CheckerConfig
from labctl.protocol.loader import LoadedProtocol
from labctl.protocol.model import Protocol
from labctl.rig.loader import parse_rig
from labctl.run.wiring import RunWiring
from labctl.sim.faults import FaultSchedule
from labctl.sim.serve import rig_yaml
from labctl.telemetry.attach import publishing
from labctl.telemetry.settings import MqttSettings
from simulators.clock import ManualClock
from simulators.rig import Endpoints, SimulatedRig
from simulators.world import WorldConfig
from simulators.world.config import COOLING_CLASSES

OPERATOR_TIMEOUT_S = 30 * 60.0


TIMEOUTS_S = {"huber-pb": 0.1, "quantos": 0.5, "ika-eurostar": 0.1}
"""Reply timeouts of the dry-run rig. The in-process instruments answer within a millisecond of wall time; a unit
that has lost its power or its link should not cost seconds per poll of a fast-forwarded run. Reads and settings
are retried, so a slow moment is not a lost link; a dose's own end has its own, longer timeout."""


def _rig_text(endpoints: Endpoints) -> str:
    """The served rig as `labctl sim serve` would write it, named dry-run, with the short timeouts."""
    text = rig_yaml(endpoints, 1.0).replace("rig: sim", "rig: dry-run", 1)
    for driver, timeout in TIMEOUTS_S.items():
        line = f"    driver: {driver}\n"
        text = text.replace(line, f"{line}    options: {{timeout_s: {timeout}}}\n", 1)
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")) + "\n"


def world_for(protocol: Protocol) -> WorldConfig:
    """The physics of the smallest cooling class that reaches the protocol's lowest setpoint with the checker's
    10 K margin: the −40 °C class the scale-up's reference outcomes were made with, a colder unit for MgBr."""
    low = protocol.equipment.lowest_setpoint_c()
    lowest = low if low is not None else 0.0
    for curve in COOLING_CLASSES:
        if curve.points[0][0] <= lowest - CheckerConfig().chiller_low_margin:
            return WorldConfig(cooling=curve)
    return WorldConfig(cooling=COOLING_CLASSES[-1])


@dataclass(frozen=True)
class DryRunResult:
    run_id: str
    state: RunState
    journal: Path
    ledgers: dict[str, list[dict[str, Any]]]
    faults: list[tuple[float, str]]


async def dry_run(
    loaded: LoadedProtocol,
    journal_path: Path,
    *,
    seed: int = 1,
    schedule: FaultSchedule | None = None,
    period_s: float = 1.0,
    operator: Operator | None = None,
    mqtt: MqttSettings | None = None,
    speed: float | None = None,
    started_by: str | None = None,
) -> DryRunResult:
    """`operator` replaces the simulated chemist (who only confirms prompts), e.g. to acknowledge a trip;
    `speed` paces process time to that many times wall time (for watching on a dashboard), else it flies."""
    sim_clock = ManualClock()
    sim = SimulatedRig(sim_clock, seed=seed, world_config=world_for(loaded.protocol))
    async with AsyncExitStack() as stack:
        opened = RunWiring(stack)
        endpoints = await sim.serve(huber_reply_delay_s=0.0)
        stack.push_async_callback(sim.close)
        rig = parse_rig(_rig_text(endpoints), "<dry-run rig>")
        clock = FastForwardClock(sim_clock, sim, schedule, speed=speed)
        devices = await opened.devices(rig.rig, clock.now)
        journal = opened.journal(journal_path, sync=False)
        run_id = begin_run(journal, loaded, rig, mode="dry-run", now=clock.now(), seed=seed)
        name = loaded.protocol.metadata.name
        commands = await stack.enter_async_context(
            publishing(mqtt, journal, run_id, rig=rig.rig.rig, mode="dry-run", protocol=name)
        )
        engine = Engine(
            loaded,
            devices,
            journal,
            clock,
            options=EngineOptions(
                period_s=period_s, operator_timeout_s=OPERATOR_TIMEOUT_S, started_by=started_by
            ),
            operator=operators(operator or SimulatedOperator(), commands),
        )
        clock.carry_only_while(engine.jobs_running)
        stack.enter_context(on_the_bench(sim))
        state = await engine.run()
    return DryRunResult(run_id, state, journal_path, sim.ledgers(), clock.injected)
