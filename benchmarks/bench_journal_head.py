"""What the head file (`<journal>.head`, replaced atomically after every commit) costs a journal.

Only commits write it: a durable record (a command, a portion, a state change: a few per minute in a run) and
each batch of 50 readings. Measured on this machine's disk, in the journal's own directory:

1. durable appends: time per record with the head file and with it switched off (median of each);
2. readings: time per reading with batches of 50, with and without;
3. the head file's write alone (temporary file, fsync, rename, fsync of the directory).

Run: .venv/bin/python benchmarks/bench_journal_head.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labctl.journal import Journal  # noqa: E402
from labctl.journal.head import Head, HeadState, write_head  # noqa: E402
from labctl.journal.journal import BATCH  # noqa: E402

DURABLE = 200
READINGS = 50 * BATCH
PORTION = {"portion": 1, "target_g": 4.75}


def _journal(directory: Path, head: bool) -> Journal:
    j = Journal(directory / f"journal-{head}.sqlite")
    j.create_run(
        mode="run", protocol_file="p.yaml", protocol_sha256="0" * 64, protocol_text="steps: []\n",
        parameters={}, rig_name="bench", rig_text="name: bench\n",
    )  # fmt: skip
    if not head:
        j._save_head = lambda *, failure=False: None  # type: ignore[method-assign]
    return j


def _per_call(n: int, call: Callable[[int], object]) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
        directory = Path(tmp)
        durable: dict[bool, float] = {}
        readings: dict[bool, float] = {}
        for head in (False, True):
            j = _journal(directory, head)
            times = _per_call(DURABLE, lambda i, j=j: j.append(float(i), "portion.start", PORTION))
            durable[head] = statistics.median(times)
            reading = {"Tr_C": 2.1, "Tj_C": -3.0, "mass_g": 12.5}
            start = time.perf_counter()
            for i in range(READINGS):
                j.append(float(i), "reading", reading, durable=False)
            readings[head] = (time.perf_counter() - start) / READINGS
            j.close()
        state = HeadState({"r": Head("r", 1, "0" * 64, "2026-01-01T00:00:00.000Z")})
        alone = statistics.median(_per_call(DURABLE, lambda _: write_head(directory / "x.sqlite", state)))
    print(f"durable append:  {durable[False] * 1e3:7.3f} ms without head file, {durable[True] * 1e3:7.3f} ms with"
          f"  (x{durable[True] / durable[False]:.2f})")  # fmt: skip
    print(f"reading append:  {readings[False] * 1e6:7.1f} us without head file, {readings[True] * 1e6:7.1f} us with"
          f"  (x{readings[True] / readings[False]:.2f}; batches of {BATCH})")  # fmt: skip
    print(f"head file write: {alone * 1e3:7.3f} ms (median of {DURABLE})")


if __name__ == "__main__":
    main()
