"""MgBr storage at −60 °C through chiller power losses of several lengths, with labctl bringing the unit back:
how warm the batch gets and whether it survives. Too slow for the suite (a dead link costs its read timeouts on
every poll of a fast-forwarded run); the suite runs a 30 s blip.

Run: .venv/bin/python benchmarks/bench_power_blips.py [--outages 10,120,600,1800]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.logs import configure_logging  # noqa: E402
from tests.dryrun.conftest import MGBR_STORAGE, run_dry  # noqa: E402

OFF_S = 49 * 60 + 60 * 60  # an hour into the storage hold


async def one(outage_s: float) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = await run_dry(
            Path(tmp),
            MGBR_STORAGE,
            faults=[(OFF_S, "chiller.power-off"), (OFF_S + outage_s, "chiller.power-on")],
            parameters={"storage_time": "3 h"},
        )
        wall = time.perf_counter() - started
    tr = [r.data["Tr_C"] for r in run.of("reading") if r.t_s >= OFF_S and r.data["Tr_C"] is not None]
    recovered = [r.t_s - OFF_S - outage_s for r in run.of("chiller.recovered")]
    return (
        f"outage {outage_s / 60:5.1f} min  Tr max {max(tr):7.2f} °C  "
        f"recovered {recovered[0] if recovered else float('nan'):4.0f} s after power  "
        f"batch {'compromised' if run.of('batch.compromised') else 'intact':11s}  {run.result.state}  ({wall:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outages", default="10,120,600,1800")
    args = parser.parse_args()
    configure_logging(level=logging.ERROR)
    for outage in args.outages.split(","):
        print(asyncio.run(one(float(outage))), flush=True)


if __name__ == "__main__":
    main()
