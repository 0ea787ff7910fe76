"""The fault matrix (tests/dryrun/fault_matrix.py), whole: every named fault in every shipped protocol at its
worst moment, with a chemist standing by. One line per cell: Tr max from the fault on (measured; "—" when the
probe never read), recovered (the run completed after the fault was put right), the outcome, the alarms in the
order raised, and what broke the matrix's rules. Too slow for the suite (about 120 dry runs); the suite runs a
selection (tests/dryrun/test_fault_matrix.py).

Run: .venv/bin/python benchmarks/bench_fault_matrix.py [--jobs 2] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.logs import configure_logging  # noqa: E402
from tests.dryrun.fault_matrix import CELLS, judge  # noqa: E402


def one(index: int) -> tuple[str, bool, float]:
    configure_logging(level=logging.CRITICAL)
    cell = CELLS[index]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        try:
            run = asyncio.run(cell.run(Path(tmp)))
        except Exception:  # a dry run that dies is a finding: said with its traceback, the matrix goes on
            crashed = f"{cell.target.name:13s} {cell.fault.label:31s} CRASHED:\n{traceback.format_exc()}"
            return crashed, False, time.perf_counter() - started
        verdict = judge(cell, run)
    return verdict.line(), not verdict.problems, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="cells whose protocol or fault label contains this")
    args = parser.parse_args()
    chosen = [i for i, c in enumerate(CELLS) if args.only in f"{c.target.name} {c.fault.label}"]
    started = time.perf_counter()
    ok = 0
    with ProcessPoolExecutor(args.jobs) as pool:
        for line, good, wall in pool.map(one, chosen):
            ok += good
            print(f"{line}  ({wall:.0f} s)", flush=True)
    print(f"{ok}/{len(chosen)} cells keep every rule; {time.perf_counter() - started:.0f} s")
    sys.exit(0 if ok == len(chosen) else 1)


if __name__ == "__main__":
    main()
