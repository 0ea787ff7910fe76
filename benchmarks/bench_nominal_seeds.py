"""Every shipped protocol, nominally, over many seeds: each must end `completed` with no trip and no alarm.

A seed changes the probe noise, the doser's metering error and the pump's delivery error; a protocol that
completes on seed 1 and trips on seed 4 is a ruined batch on some days. Prints one line per protocol and seed
(outcome, hottest Tr while dosing, minutes outside the judged band, trips, alarms) and a tally. The MgBr storage
runs with a shorter storage time (`--storage-time`, default 6 h) so the whole sweep stays in minutes.

Run: .venv/bin/python benchmarks/bench_nominal_seeds.py [--seeds 1-20] [--jobs 2] [--storage-time "6 h"]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.dryrun.run import dry_run  # noqa: E402
from labctl.journal import Journal  # noqa: E402
from labctl.logs import configure_logging  # noqa: E402
from labctl.protocol.loader import load_protocol  # noqa: E402
from tests.dryrun.nominal import NominalFigures, nominal_figures  # noqa: E402

PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))


def one(protocol: Path, seed: int, storage_time: str) -> tuple[str, int, NominalFigures, float]:
    configure_logging(level=logging.ERROR)
    parameters = {"storage_time": storage_time} if "storage" in protocol.name else None
    with tempfile.TemporaryDirectory() as tmp:
        journal_path = Path(tmp) / "journal.sqlite"
        started = time.perf_counter()
        result = asyncio.run(dry_run(load_protocol(protocol, parameters), journal_path, seed=seed))
        wall = time.perf_counter() - started
        journal = Journal(journal_path)
        try:
            figures = nominal_figures(list(journal.records(result.run_id)))
        finally:
            journal.close()
    return protocol.stem, seed, figures, wall


def seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1-20")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--storage-time", default="6 h")
    args = parser.parse_args()
    jobs = [(p, s, args.storage_time) for p in PROTOCOLS for s in seeds(args.seeds)]
    clean = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for name, seed, figures, wall in pool.map(one, *zip(*jobs, strict=True)):
            clean += figures.clean
            print(f"{figures.line(f'{name} seed {seed}')}  ({wall:5.1f} s)", flush=True)
    print(f"clean: {clean} of {len(jobs)} nominal runs")


if __name__ == "__main__":
    main()
