"""How long `labctl` takes to answer: `--version`, `--help` and `validate` of the scale-up, each as wall seconds
and as a ratio to a bare `python3 -c pass` measured in the same run (so a busy machine shows as a busy
baseline, not as a slow CLI). Each command runs as a person runs it: a new process of the console script.

Goals (issue 16): --version and --help <= 0.3 s, validate of one protocol <= 0.6 s.

Run: .venv/bin/python benchmarks/bench_cli_start.py [REPETITIONS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
LABCTL = Path(sys.executable).parent / "labctl"
SCALEUP = Path("protocols") / "kmno4-dihydroxylation-scaleup.yaml"
REPETITIONS = 15

COMMANDS: dict[str, list[str]] = {
    "python3 -c pass": [sys.executable, "-c", "pass"],
    "labctl --version": [str(LABCTL), "--version"],
    "labctl --help": [str(LABCTL), "--help"],
    f"labctl validate {SCALEUP.name}": [str(LABCTL), "validate", str(SCALEUP)],
}


def _seconds(command: list[str]) -> float:
    env = os.environ | {"NO_COLOR": "1", "TERM": "dumb"}
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main(repetitions: int) -> None:
    for command in COMMANDS.values():
        _seconds(command)  # bytecode written, files in the page cache
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repetitions):  # interleaved, so a burst of load on the machine touches every command alike
        for name, command in COMMANDS.items():
            times[name].append(_seconds(command))
    base_median = statistics.median(times["python3 -c pass"])
    base_min = min(times["python3 -c pass"])
    print(f"{repetitions} runs each, interleaved; ratio: to `python3 -c pass` ({sys.executable})")
    print(f"{'command':52s} {'median s':>9s} {'min s':>7s} {'median ratio':>13s} {'min ratio':>10s}")
    for name, seconds in times.items():
        median, least = statistics.median(seconds), min(seconds)
        print(f"{name:52s} {median:9.3f} {least:7.3f} {median / base_median:12.1f}x {least / base_min:9.1f}x")
    print(
        f"load average during the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else REPETITIONS)
