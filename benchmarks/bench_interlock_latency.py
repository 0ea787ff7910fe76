"""Interlock reaction time: from the process-temperature reply over the `tr-high` threshold (Tr > 10 °C) arriving
at the driver to the doser stop (`QRA 61 4\r\n`) being written to the doser's transport, in wall µs and cycles.

The scale-up protocol runs as a dry run (`dry_run()`: real engine and drivers over loopback TCP, journal in a temp
dir), instrumented from this script only, by monkeypatching: `_Buffer.data_received` timestamps (perf_counter_ns)
the first PB reply `{S07vvvv\r\n` (int16, 0.01 °C) above 10.00 °C; `Port.send_unlocked` / `Exchange.send`
timestamp the first `QRA 61 4` after it; `Supervisor.poll` counts engine cycles.
Disturbance (synthetic, not chemistry): `delay` s (2–29 s, varied per trip; seed = trip number) after the third
portion starts (`Doser.start_dose` is watched), a wrapped `SimulatedRig.tick` sets the true reactor temperature
`world.state.tr_c` so high that the filtered probe (tau 10 s, 1 s steps) reads ~12.5 °C one step later. It must
cross 10 °C within one cycle: a slower rise trips `tr-rising` (dTr/dt > 1 K/min) before any reading is over 10 °C.
Once the stop is seen, the dry-run operator aborts the run, to save wall time.

With `--mqtt`, each dry run also publishes to a Mosquitto the script starts (tests/telemetry/broker.py): the
publisher shares the engine's event loop, so this shows what publishing adds between a crossing and its stop.

Run: .venv/bin/python benchmarks/bench_interlock_latency.py [--trips K] [--mqtt]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.transport import Exchange, Port, _Buffer
from labctl.dryrun.operator import SimulatedOperator
from labctl.dryrun.run import dry_run
from labctl.engine.control import Verb
from labctl.engine.engine import Engine
from labctl.engine.supervisor import Supervisor
from labctl.journal import Journal
from labctl.logs import configure_logging
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import MqttSettings, parse_mqtt_url
from simulators.rig import SimulatedRig
from simulators.world.doser import Doser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.telemetry.broker import Broker

PROTOCOL = Path(__file__).parent.parent / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"
PORTION, THRESHOLD_C, FIRST_READING_C = 3, 10.0, 12.5
PROBE_STEP = 1.0 - math.exp(-1.0 / 10.0)  # share of a step change the filtered probe shows after one 1 s step
PB_TR = re.compile(rb"\{S07([0-9A-F]{4})\r\n")
STOP = b"QRA 61 4"


@dataclass
class Trip:
    delay_s: float
    doses: int = 0
    jump_at: float | None = None
    jumped: bool = False
    cycle: int = 0
    cross_ns: int | None = None
    cross_cycle: int = 0
    stop_ns: int | None = None
    stop_cycle: int = 0
    early_stops: int = 0  # stops written before any crossing: the trip was not tr-high's
    stop_via: str = ""
    aborted: bool = False


class Bench:
    trip = Trip(0.0)  # the trip being measured
    now = 0.0  # simulated process time at the last rig tick


def install() -> None:
    on_data, send_unlocked, send = _Buffer.data_received, Port.send_unlocked, Exchange.send
    start_dose, tick, poll, operator = (
        Doser.start_dose,
        SimulatedRig.tick,
        Supervisor.poll,
        SimulatedOperator.__call__,
    )

    def data_received(self: _Buffer, data: bytes) -> None:
        on_data(self, data)
        t = Bench.trip
        for m in PB_TR.finditer(self.data) if t.jumped and t.cross_ns is None else ():
            if int(m[1], 16) - (0x10000 if m[1] >= b"8000" else 0) > THRESHOLD_C * 100:
                t.cross_ns, t.cross_cycle = time.perf_counter_ns(), t.cycle

    def stamp(data: bytes, via: str) -> None:  # called once the bytes are handed to the transport
        t = Bench.trip
        if data.startswith(STOP) and t.stop_ns is None:
            if t.cross_ns is None:
                t.early_stops += 1
            else:
                t.stop_ns, t.stop_cycle, t.stop_via = time.perf_counter_ns(), t.cycle, via

    def patched_send_unlocked(self: Port, data: bytes) -> None:
        send_unlocked(self, data)
        stamp(data, "send_unlocked (mid-dose)")

    def patched_send(self: Exchange, data: bytes) -> None:
        send(self, data)
        stamp(data, "locked exchange (no dose)")

    def patched_start_dose(self: Doser, target_g: float) -> None:
        start_dose(self, target_g)
        Bench.trip.doses += 1
        if Bench.trip.doses == PORTION:
            Bench.trip.jump_at = Bench.now + Bench.trip.delay_s

    def patched_tick(self: SimulatedRig) -> None:
        Bench.now, t = self.clock.now(), Bench.trip
        if t.jump_at is not None and not t.jumped and Bench.now >= t.jump_at - 1e-9:
            self.world.advance()
            s = self.world.state
            s.tr_c = s.tr_filtered_c + (FIRST_READING_C - s.tr_filtered_c) / PROBE_STEP
            t.jumped = True
        tick(self)

    async def patched_poll(self: Supervisor) -> Any:
        Bench.trip.cycle += 1
        return await poll(self)

    def patched_operator(self: SimulatedOperator, eng: Engine) -> None:
        if Bench.trip.stop_ns is not None and not Bench.trip.aborted:
            Bench.trip.aborted = True
            eng.command(Verb.ABORT, "benchmark", "stop measured")
        operator(self, eng)

    _Buffer.data_received = data_received  # type: ignore[method-assign]
    Port.send_unlocked = patched_send_unlocked  # type: ignore[method-assign]
    Exchange.send = patched_send  # type: ignore[method-assign]
    Doser.start_dose = patched_start_dose  # type: ignore[method-assign]
    SimulatedRig.tick = patched_tick  # type: ignore[method-assign]
    Supervisor.poll = patched_poll  # type: ignore[method-assign]
    SimulatedOperator.__call__ = patched_operator  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=20, help="trips to measure (default 20)")
    parser.add_argument("--mqtt", action="store_true", help="publish each run to a local Mosquitto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as folder:
        broker = Broker(Path(folder)) if args.mqtt else None
        if broker is not None:
            broker.start()
        try:
            measure(args.trips, None if broker is None else parse_mqtt_url(broker.url, rig="bench"))
        finally:
            if broker is not None:
                broker.stop()


def measure(trips: int, mqtt: MqttSettings | None) -> None:
    configure_logging(level=logging.ERROR)
    install()
    loaded = load_protocol(PROTOCOL)
    latencies_us: list[float] = []
    cycles: list[int] = []
    causes: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="bench-interlock-") as tmp:
        for k in range(trips):
            t = Bench.trip = Trip(delay_s=2.0 + (k * 7) % 28)
            path = Path(tmp) / f"trip-{k}.sqlite"
            result = asyncio.run(dry_run(loaded, path, seed=k + 1, mqtt=mqtt))
            with closing(Journal(path)) as journal:  # which interlock tripped first
                active = (
                    r.data["id"] for r in journal.records(result.run_id, "interlock") if r.data["active"]
                )
                causes[next(active, "none")] += 1
            if t.cross_ns is None or t.stop_ns is None or t.early_stops:
                print(f"trip {k + 1}: no crossing→stop pair (early stops {t.early_stops}), {result.state}")
                continue
            latencies_us.append((t.stop_ns - t.cross_ns) / 1000)
            cycles.append(t.stop_cycle - t.cross_cycle)
            paths[t.stop_via] += 1
    n, lat = len(latencies_us), sorted(latencies_us) or [math.nan]
    p90 = lat[min(len(lat) - 1, math.ceil(0.9 * len(lat)) - 1)]
    print(
        f"{PROTOCOL.name}: {n} of {trips} trips measured{' (publishing to MQTT)' if mqtt else ''}; first interlock to trip: {dict(causes)}"
    )
    print(f"Tr reply > {THRESHOLD_C:g} °C at the driver → `QRA 61 4` written to the doser transport:")
    print(f"  p50 {statistics.median(lat):7.0f} µs   p90 {p90:7.0f} µs   max {lat[-1]:7.0f} µs")
    print(f"  in engine cycles: {dict(Counter(cycles))} (latency in cycles: trips); stop via {dict(paths)}")
    if set(cycles) == {0}:
        print(
            "  every stop went out in the same cycle as the crossing reply: the latency is processing time only "
            "(rest of the chiller poll, interlock evaluation, durable journal writes), no cycle wait"
        )


if __name__ == "__main__":
    main()
