"""Serve a simulated rig until stopped: tick the world, apply scheduled faults, keep the ledger file current."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from labctl.sim.faults import FaultSchedule
from labctl.telemetry.settings import MqttSettings
from labctl.telemetry.simulator import SimulatorPublisher
from simulators.clock import ScaledClock
from simulators.rig import Endpoints, Ports, SimulatedRig

log = structlog.get_logger("labctl.sim")

TICK_S = 0.25


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    speed: float = 1.0
    seed: int = 0
    pty: bool = False
    rig_out: Path | None = None
    ledger_out: Path | None = None
    duration_s: float | None = None
    mqtt: MqttSettings | None = None


def rig_yaml(endpoints: Endpoints, speed: float) -> str:
    """Connection info in the format of rigs/sim.yaml, so `labctl run --rig` can use the served rig."""
    urls = endpoints.urls()
    ptys = endpoints.ptys
    lines = [
        "# Written by 'labctl sim serve': a simulated rig served on real byte streams.",
        f"# Speed: {speed:g}x wall time. Huber on Modbus TCP: driver huber-modbus, port {urls['chiller_modbus']}",
    ]
    if ptys:
        lines.append(
            "# Pseudo-terminals: " + ", ".join(f"{role} {path}" for role, path in sorted(ptys.items()))
        )
    lines += [
        "rig: sim",
        "description: Simulated bench rig served by labctl sim serve.",
        f"speed: {speed:g}",
        "instruments:",
        "  chiller:",
        "    driver: huber-pb",
        "    model: Unistat 705 (simulated)",
        f"    port: {urls['chiller']}",
        "    capabilities:",
        "      temperature_range: [-75 °C, 250 °C]",
        "      process_control: true",
        "  doser:",
        "    driver: quantos",
        f"    port: {urls['balance']}",
        "  balance:",
        "    driver: mt-sics",
        f"    port: {urls['balance']}",
        "  quench_pump:",
        "    driver: reglo-icc",
        f"    port: {urls['pump']}",
        "  stirrer:",
        "    driver: ika-eurostar",
        "    model: EUROSTAR 60 control (simulated)",
        f"    port: {urls['stirrer']}",
        "",
    ]
    return "\n".join(lines)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


async def serve(options: ServeOptions, schedule: FaultSchedule, ready: asyncio.Event | None = None) -> None:
    """Run until cancelled (or ``duration_s`` of process time); the rig's servers close on the way out."""
    clock = ScaledClock(options.speed)
    rig = SimulatedRig(clock, seed=options.seed)
    endpoints = await rig.serve(options.host, options.ports, options.pty)
    try:
        if options.rig_out is not None:
            _write_atomically(options.rig_out, rig_yaml(endpoints, options.speed))
        log.info(
            "sim.serving",
            speed=options.speed,
            **endpoints.urls(),
            **{f"pty_{k}": v for k, v in endpoints.ptys.items()},
        )
        if ready is not None:
            ready.set()
        if options.mqtt is None:
            await _run(rig, clock, options, schedule)
            return
        async with SimulatorPublisher(options.mqtt.with_rig("sim"), lambda: truth(rig)) as publisher:
            await _run(rig, clock, options, schedule, publisher.fault_injected)
    finally:
        await rig.close()
        _dump_ledger(rig, options.ledger_out)


async def _run(
    rig: SimulatedRig,
    clock: ScaledClock,
    options: ServeOptions,
    schedule: FaultSchedule,
    injected: Callable[[str, float], None] | None = None,
) -> None:
    pending = schedule.ordered()
    last_ledger = ""
    while options.duration_s is None or clock.now() < options.duration_s:
        now = clock.now()
        while pending and pending[0].at <= now:
            fault = pending.pop(0)
            rig.inject(fault.fault)
            log.warning("sim.fault", fault=fault.fault, at_s=fault.at, process_time_s=round(now, 1))
            if injected is not None:
                injected(fault.fault, now)
        rig.tick()
        last_ledger = _dump_ledger(rig, options.ledger_out, last_ledger)
        await asyncio.sleep(TICK_S)


def truth(rig: SimulatedRig) -> dict[str, Any]:
    """The world as it is (not as any instrument reports it), in the units of the journal's field names."""
    state = rig.world.state
    return {
        "t_s": round(state.t_s, 3),
        "Tr_C": round(state.tr_c, 3),
        "Tj_C": round(state.tj_c, 3),
        "Tbath_C": round(state.tb_c, 3),
        "kmno4_dosed_mol": round(state.kmno4_dosed_mol, 6),
        "kmno4_undissolved_mol": round(state.n_solid_mol, 6),
        "q_reaction_W": round(state.q_reaction_w, 2),
        "q_unit_W": round(state.q_unit_w, 2),
        "mgbr_fraction": round(state.mgbr_fraction, 6),
        "dosed_g": round(rig.mettler.ledger.total_dispensed_g(), 4),
    }


def _dump_ledger(rig: SimulatedRig, path: Path | None, previous: str = "") -> str:
    if path is None:
        return previous
    text = json.dumps(rig.ledgers(), indent=2, sort_keys=True)
    if text != previous:
        _write_atomically(path, text + "\n")
    return text
