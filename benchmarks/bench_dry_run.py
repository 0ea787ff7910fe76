"""How fast a dry run fast-forwards: process seconds per wall second for the KMnO4 scale-up (3.5 h, polled every
second from the first portion to the quench, every 5 s before and after and in the hold once the oxidant left could
not trip, as its steps say; seed 1 timed several times, then once on each of a few other seeds) and a 3-day MgBr cold
storage (its store step polls every 30 s while all is calm), and, measured in the same run, the cost of one bare
asyncio request/reply over a loopback socket on the same event loop (uvloop, as `labctl dry-run` runs), so a
cycle's wall time reads as "this many transactions' worth".

A dry run drives the real engine and drivers over loopback TCP against the in-process simulators: each poll is
several request/reply transactions (the chiller's Tr, Tj and status every cycle, the stirrer's speed every other,
the balance every tenth), so a cycle cannot cost less than a few bare round trips. Measured in-process
(`dry_run()`, protocol loaded beforehand, journal in a temp dir) and, separately, once as the whole
`labctl dry-run` command for the scale-up, start-up and summary included. CPU seconds are printed beside wall
seconds: on a shared machine the wall figure carries the other processes' load.

Run: .venv/bin/python benchmarks/bench_dry_run.py [--runs N] [--storage-runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from labctl.dryrun.run import dry_run
from labctl.event_loop import run_fast
from labctl.journal import Journal
from labctl.logs import configure_logging
from labctl.protocol.loader import load_protocol

ROOT = Path(__file__).parent.parent
SCALE_UP = ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"
STORAGE = ROOT / "protocols" / "mgbr-cold-storage.yaml"
STORAGE_TIME = "3 d"
LABCTL = ROOT / ".venv" / "bin" / "labctl"
SEED = 1
ROUND_TRIPS = 5000


@dataclass(frozen=True)
class Figures:
    process_s: float
    wall_s: float
    cpu_s: float
    cycles: int
    state: str

    @property
    def speed(self) -> float:
        return self.process_s / self.wall_s

    @property
    def ms_per_cycle(self) -> float:
        return self.wall_s / self.cycles * 1000

    def line(self, label: str, round_trip_ms: float) -> str:
        return (
            f"{label:8s} {self.process_s:8.0f} process-s  {self.wall_s:6.2f} wall-s ({self.cpu_s:6.2f} cpu-s)  "
            f"{self.speed:7.0f}x  {self.cycles:6d} cycles  {self.ms_per_cycle:6.3f} ms/cycle "
            f"= {self.ms_per_cycle / round_trip_ms:5.1f} round trips  ({self.state})"
        )


def one_run(protocol: Path, parameters: dict[str, str], tmp: Path, index: int, seed: int = SEED) -> Figures:
    loaded = load_protocol(protocol, parameters)
    journal_path = tmp / f"{protocol.stem}-{seed}-{index}.sqlite"
    started, cpu = time.perf_counter(), time.process_time()
    result = run_fast(dry_run(loaded, journal_path, seed=seed))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    journal = Journal(journal_path)
    try:
        cycles = sum(1 for _ in journal.records(result.run_id, kind="reading"))
        ended = [r.t_s for r in journal.records(result.run_id, kind="run.ended")]
    finally:
        journal.close()
    return Figures(ended[-1], wall, cpu, cycles, str(result.state))


async def _round_trips(n: int) -> float:
    """Seconds per request/reply: a line written on a loopback TCP stream, echoed by an asyncio server, read back."""

    finished = asyncio.Event()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
        writer.close()
        finished.set()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = b"IN_PV_00\r\n"
    for _ in range(100):  # warm-up
        writer.write(request)
        await reader.readline()
    started = time.perf_counter()
    for _ in range(n):
        writer.write(request)
        await reader.readline()
    elapsed = time.perf_counter() - started
    writer.close()
    await writer.wait_closed()
    await finished.wait()
    server.close()
    await server.wait_closed()
    return elapsed / n


def whole_command(tmp: Path) -> tuple[float, int]:
    cmd = [str(LABCTL), "dry-run", str(SCALE_UP), "--seed", str(SEED), "--journal", str(tmp / "cli.sqlite")]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started, done.returncode


def median(runs: list[Figures]) -> Figures:
    return Figures(
        statistics.median(f.process_s for f in runs),
        statistics.median(f.wall_s for f in runs),
        statistics.median(f.cpu_s for f in runs),
        int(statistics.median(f.cycles for f in runs)),
        "median",
    )


def report(title: str, runs: list[Figures], round_trip_ms: float, labels: list[str] | None = None) -> Figures:
    print(title)
    for label, figures in zip(labels or [f"run {i}" for i in range(1, len(runs) + 1)], runs, strict=True):
        print(figures.line(label, round_trip_ms))
    middle = median(runs)
    if len(runs) > 1:
        print(middle.line("median", round_trip_ms))
    return middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="in-process scale-up dry runs to time (default 3)"
    )
    parser.add_argument(
        "--seeds", type=int, default=4, help="scale-up dry runs on seeds 2, 3, ... after seed 1's (default 4)"
    )
    parser.add_argument("--storage-runs", type=int, default=1, help="3-day storage dry runs (default 1)")
    args = parser.parse_args()
    if args.runs < 1 or args.storage_runs < 1 or args.seeds < 0:
        parser.error("at least one run of each, and no negative number of seeds")
    configure_logging(level=logging.WARNING)  # as the CLI does: no per-cycle log lines
    round_trip = run_fast(_round_trips(ROUND_TRIPS))
    round_trip_ms = round_trip * 1000
    plain = asyncio.run(_round_trips(ROUND_TRIPS))
    print(
        f"bare request/reply on loopback TCP, asyncio streams on the dry run's loop (uvloop): "
        f"{round_trip * 1e6:.1f} us; on asyncio's own loop: {plain * 1e6:.1f} us ({ROUND_TRIPS} in a row)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-dry-run-") as tmp_name:
        tmp = Path(tmp_name)
        scale_up = report(
            f"{SCALE_UP.name}, seed {SEED}, in-process dry_run():",
            [one_run(SCALE_UP, {}, tmp, i) for i in range(args.runs)],
            round_trip_ms,
        )
        seeds = list(range(SEED + 1, SEED + 1 + args.seeds))
        others = [one_run(SCALE_UP, {}, tmp, 0, seed) for seed in seeds]
        if others:
            report(
                f"{SCALE_UP.name}, once on each other seed:",
                others,
                round_trip_ms,
                [f"seed {seed}" for seed in seeds],
            )
        storage = report(
            f"{STORAGE.name}, storage_time={STORAGE_TIME}, seed {SEED}, in-process dry_run():",
            [one_run(STORAGE, {"storage_time": STORAGE_TIME}, tmp, i) for i in range(args.storage_runs)],
            round_trip_ms,
        )
        cli_wall, rc = whole_command(tmp)
    print(
        f"whole `labctl dry-run` of the scale-up (subprocess, exit {rc}): {cli_wall:.2f} wall-s, "
        f"{cli_wall - scale_up.wall_s:+.2f} s over the in-process median (interpreter, imports, summary)"
    )
    slowest = min([scale_up, *others], key=lambda f: f.speed)
    print(
        f"goals: scale-up {scale_up.speed:.0f}x real time (>= 5000x; slowest seed {slowest.speed:.0f}x), "
        f"3-day storage {storage.wall_s:.1f} s wall (<= 30 s)"
    )


if __name__ == "__main__":
    main()
