"""How fast a dry run fast-forwards the scale-up protocol: process seconds per wall second, and wall time per cycle.

A dry run drives the real engine and drivers over loopback TCP against the in-process simulators, one supervision
cycle per simulated second, so its speed is bounded by the per-cycle cost (socket round trips, event-loop turns,
journal writes), not by the physics. Measured in-process (`dry_run()`, protocol loaded beforehand, journal in a
temp dir) and, separately, once as the whole `labctl dry-run` command, start-up and summary included.

Run: .venv/bin/python benchmarks/bench_dry_run.py [--runs N]
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
from labctl.journal import Journal
from labctl.logs import configure_logging
from labctl.protocol.loader import load_protocol

ROOT = Path(__file__).parent.parent
PROTOCOL = ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"
LABCTL = ROOT / ".venv" / "bin" / "labctl"
SEED = 1


@dataclass(frozen=True)
class Figures:
    process_s: float
    wall_s: float
    cycles: int
    state: str

    @property
    def speed(self) -> float:
        return self.process_s / self.wall_s

    @property
    def ms_per_cycle(self) -> float:
        return self.wall_s / self.cycles * 1000

    def line(self, label: str) -> str:
        return (
            f"{label:8s} {self.process_s:8.0f} process-s  {self.wall_s:6.2f} wall-s  {self.speed:7.0f}x  "
            f"{self.cycles:6d} cycles  {self.ms_per_cycle:6.3f} ms/cycle  ({self.state})"
        )


def one_run(tmp: Path, index: int) -> Figures:
    loaded = load_protocol(PROTOCOL)
    journal_path = tmp / f"run-{index}.sqlite"
    started = time.perf_counter()
    result = asyncio.run(dry_run(loaded, journal_path, seed=SEED))
    wall = time.perf_counter() - started
    journal = Journal(journal_path)
    try:
        cycles = sum(1 for _ in journal.records(result.run_id, kind="reading"))
        ended = [r.t_s for r in journal.records(result.run_id, kind="run.ended")]
    finally:
        journal.close()
    return Figures(ended[-1], wall, cycles, str(result.state))


def whole_command(tmp: Path) -> tuple[float, int]:
    cmd = [str(LABCTL), "dry-run", str(PROTOCOL), "--seed", str(SEED), "--journal", str(tmp / "cli.sqlite")]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="in-process dry runs to time (default 3)")
    args = parser.parse_args()
    configure_logging(level=logging.WARNING)  # as the CLI does: no per-cycle log lines
    print(f"{PROTOCOL.name}, seed {SEED}, in-process dry_run():")
    with tempfile.TemporaryDirectory(prefix="bench-dry-run-") as tmp_name:
        tmp = Path(tmp_name)
        runs = [one_run(tmp, i) for i in range(args.runs)]
        for i, figures in enumerate(runs, 1):
            print(figures.line(f"run {i}"))
        median = Figures(
            statistics.median(f.process_s for f in runs),
            statistics.median(f.wall_s for f in runs),
            int(statistics.median(f.cycles for f in runs)),
            "median",
        )
        print(median.line("median"))
        cli_wall, rc = whole_command(tmp)
    print(
        f"whole `labctl dry-run` command (subprocess, exit {rc}): {cli_wall:.2f} wall-s, "
        f"{cli_wall - median.wall_s:+.2f} s over the in-process median (interpreter, imports, summary)"
    )


if __name__ == "__main__":
    main()
