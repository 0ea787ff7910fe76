"""MQTT publishing: throughput to a local Mosquitto, reading-to-subscriber latency, and whether a slow, frozen or
missing broker touches the control loop.

1. Throughput: events appended to a journal as fast as the loop allows; time until an independent subscriber
   has all of them (QoS 1), and readings appended the same way (QoS 0, coalesced when the publisher is behind).
   In the same run, a bare aiomqtt loop publishes as many events of the same size (QoS 1, one after another) to
   the same broker and subscriber: labctl's publisher is printed as a ratio to it (goal >= 0.8).
2. Latency: one reading every 20 ms; from `journal.append` to the subscriber's callback (same process and clock).
3. Control loop: the shortened scale-up dry run paced at 200x wall time, with no MQTT, a healthy broker, a broker
   frozen (SIGSTOP) 1 s into the run, and a broker that is absent (nothing listening). For each reading: how
   late its cycle ran against the pace (wall time since the first reading minus process time / 200).
   Also the unpaced run's wall time with and without MQTT (the CPU the publisher takes from a dry run).

Run: .venv/bin/python benchmarks/bench_mqtt.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiomqtt  # noqa: E402

from labctl.dryrun.run import dry_run  # noqa: E402
from labctl.journal import Journal, now_iso  # noqa: E402
from labctl.logs import configure_logging  # noqa: E402
from labctl.protocol.loader import load_protocol  # noqa: E402
from labctl.telemetry.publisher import RunPublisher  # noqa: E402
from labctl.telemetry.settings import MqttSettings, parse_mqtt_url  # noqa: E402
from tests.telemetry.broker import Broker, free_port  # noqa: E402
from tests.telemetry.subscriber import Seen, Subscriber  # noqa: E402

SHORT = ROOT / "tests" / "run" / "short-dosing.yaml"
SPEED = 200.0


def _journal(path: Path) -> tuple[Journal, str]:
    journal = Journal(path)
    run_id = journal.create_run(
        mode="bench",
        protocol_file="-",
        protocol_sha256="-",
        protocol_text="",
        parameters={},
        rig_name="b",
        rig_text="",
    )
    return journal, run_id


def _settings(broker: Broker) -> MqttSettings:
    return parse_mqtt_url(broker.url, rig="bench")


async def bare_loop(broker: Broker, n: int = 5000) -> float:
    """Events per second a plain aiomqtt client gets to the subscriber: each publish awaited (QoS 1) before the
    next, payloads the size of labctl's event messages. What the broker and the client library allow here."""
    topic = "labctl/bare/events"
    payloads = [
        json.dumps(
            {
                "run_id": "20261207-000000-abcdef",
                "seq": i,
                "t_s": float(i),
                "wall": now_iso(),
                "kind": "step.progress",
            }
            | {"step": None, "data": {"i": i}}
        ).encode()
        for i in range(n)
    ]
    async with (
        Subscriber(broker.port, topic) as sub,
        aiomqtt.Client("127.0.0.1", broker.port, protocol=aiomqtt.ProtocolVersion.V5) as client,
    ):
        await asyncio.sleep(0.3)
        start = time.perf_counter()
        for payload in payloads:
            await client.publish(topic, payload, qos=1)
        await sub.wait_for(lambda seen: len(seen) >= n, within_s=120)
        elapsed = time.perf_counter() - start
    rate = n / elapsed
    print(f"bare aiomqtt: {n} events (QoS 1) in {elapsed:.2f} s = {rate:,.0f} events/s delivered")
    return rate


async def throughput(broker: Broker, tmp: Path, n: int = 5000) -> float:
    journal, run_id = _journal(tmp / "throughput.sqlite")
    async with (
        Subscriber(broker.port, "labctl/bench/events", "labctl/bench/telemetry") as sub,
        RunPublisher(_settings(broker), journal, run_id, mode="bench", protocol="-"),
    ):
        await asyncio.sleep(0.3)
        start = time.perf_counter()
        for i in range(n):
            journal.append(float(i), "step.progress", {"i": i}, durable=False)
            if i % 50 == 0:
                await asyncio.sleep(0)
        appended = time.perf_counter() - start
        await sub.wait_for(lambda seen: len(seen) >= n and _events(seen) >= n, within_s=120)
        events_s = time.perf_counter() - start
        before = len(sub.seen)
        start = time.perf_counter()
        for i in range(n):
            journal.append(float(n + i), "reading", {"Tr_C": i / 1000}, durable=False)
            await asyncio.sleep(0)
        last = {"Tr_C": (n - 1) / 1000}
        await sub.wait_for(
            lambda seen: any(
                s.topic.endswith("/telemetry") and s.json()["Tr_C"] == last["Tr_C"] for s in seen
            )
        )
        readings_s = time.perf_counter() - start
        snapshots = sum(s.topic.endswith("/telemetry") for s in sub.seen[before:])
    journal.close()
    print(
        f"throughput: {n} events (QoS 1) in {events_s:.2f} s = {n / events_s:,.0f} events/s delivered "
        f"(appending took {appended * 1000:.0f} ms)"
    )
    print(
        f"            {n} readings in {readings_s:.2f} s: {snapshots} snapshots published "
        f"({snapshots / n:.0%}, the rest coalesced), {snapshots / readings_s:,.0f} snapshots/s"
    )
    return n / events_s


def _events(seen: list[Seen]) -> int:
    return sum(s.topic.endswith("/events") for s in seen)


async def latency(broker: Broker, tmp: Path, n: int = 500) -> None:
    journal, run_id = _journal(tmp / "latency.sqlite")
    delays: list[float] = []
    sent: dict[float, float] = {}
    async with (
        Subscriber(broker.port, "labctl/bench/telemetry") as sub,
        RunPublisher(_settings(broker), journal, run_id, mode="bench", protocol="-"),
    ):
        await asyncio.sleep(0.3)
        for i in range(n):
            sent[float(i)] = time.perf_counter()
            journal.append(float(i), "reading", {"Tr_C": 1.0}, durable=False)
            await sub.wait_for(lambda seen, i=i: any(s.json()["t_s"] == float(i) for s in seen[-3:]))
            delays.append(time.perf_counter() - sent[float(i)])
            await asyncio.sleep(0.02)
    journal.close()
    ms = sorted(d * 1000 for d in delays)
    print(
        f"latency:    reading appended -> subscriber, {n} samples: p50 {ms[n // 2]:.2f} ms, "
        f"p99 {ms[int(n * 0.99)]:.2f} ms, max {ms[-1]:.2f} ms"
    )


def _lags_ms(path: Path, run_id: str, speed: float) -> list[float]:
    journal = Journal(path)
    readings = list(journal.records(run_id, "reading"))
    journal.close()
    wall0 = datetime.fromisoformat(readings[0].wall.replace("Z", "+00:00"))
    t0 = readings[0].t_s
    return sorted(
        (
            (datetime.fromisoformat(r.wall.replace("Z", "+00:00")) - wall0).total_seconds()
            - (r.t_s - t0) / speed
        )
        * 1000
        for r in readings
    )


async def control_loop(tmp: Path) -> None:
    loaded = load_protocol(SHORT)
    print(f"control loop: shortened scale-up paced at {SPEED:g}x; lag of each cycle behind the pace")
    for label in ("no MQTT", "healthy broker", "broker frozen 1 s in", "broker absent"):
        folder = tmp / label.replace(" ", "-")
        folder.mkdir()
        broker = Broker(folder)
        settings: MqttSettings | None = None
        if label != "no MQTT":
            settings = parse_mqtt_url(
                broker.url if label != "broker absent" else f"mqtt://127.0.0.1:{free_port()}", rig="bench"
            )
        if label in ("healthy broker", "broker frozen 1 s in"):
            broker.start()
        started = time.perf_counter()
        run = asyncio.create_task(dry_run(loaded, folder / "j.sqlite", mqtt=settings, speed=SPEED))
        if label == "broker frozen 1 s in":
            await asyncio.sleep(1.0)
            broker.stall()
        result = await run
        wall = time.perf_counter() - started
        broker.stop()
        lags = _lags_ms(folder / "j.sqlite", result.run_id, SPEED)
        n = len(lags)
        print(
            f"  {label:22s} {n} cycles  lag p50 {lags[n // 2]:6.2f} ms  p99 {lags[int(n * 0.99)]:6.2f} ms  "
            f"max {lags[-1]:6.2f} ms  run {wall:5.2f} s wall (incl. up to 10 s end-of-run flush)  {result.state}"
        )


async def cpu_cost(broker: Broker, tmp: Path) -> None:
    loaded = load_protocol(SHORT)
    times = {}
    for label, settings in (("no MQTT", None), ("MQTT", _settings(broker))):
        runs = []
        for i in range(3):
            start = time.perf_counter()
            await dry_run(loaded, tmp / f"cpu-{label}-{i}.sqlite", mqtt=settings)
            runs.append(time.perf_counter() - start)
        times[label] = statistics.median(runs)
    print(
        f"dry run (unpaced, median of 3): no MQTT {times['no MQTT']:.2f} s, with MQTT {times['MQTT']:.2f} s "
        f"(x{times['MQTT'] / times['no MQTT']:.2f})"
    )


async def main() -> None:
    configure_logging(json=False, level=logging.ERROR)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        broker = Broker(tmp)
        broker.start()
        try:
            bare = await bare_loop(broker)
            labctl = await throughput(broker, tmp)
            print(f"            labctl's publisher / bare aiomqtt loop: {labctl / bare:.2f} (goal >= 0.8)")
            await latency(broker, tmp)
            await cpu_cost(broker, tmp)
        finally:
            broker.stop()
        await control_loop(tmp)


if __name__ == "__main__":
    asyncio.run(main())
