"""How long loading and checking the shipped protocols takes: the cost of `labctl validate` before every run.

Run: .venv/bin/python benchmarks/bench_validate.py
"""

from __future__ import annotations

import time
from pathlib import Path

from labctl.protocol.checks import check
from labctl.protocol.loader import load_protocol

PROTOCOLS = sorted((Path(__file__).parent.parent / "protocols").glob("*.yaml"))
ROUNDS = 50


def main() -> None:
    for path in PROTOCOLS:
        load_protocol(path)  # warm imports and caches
        started = time.perf_counter()
        for _ in range(ROUNDS):
            loaded = load_protocol(path)
        loaded_at = time.perf_counter()
        for _ in range(ROUNDS):
            check(loaded)
        checked_at = time.perf_counter()
        load_ms = (loaded_at - started) / ROUNDS * 1000
        check_ms = (checked_at - loaded_at) / ROUNDS * 1000
        print(
            f"{path.name:40s} load {load_ms:6.2f} ms  check {check_ms:6.2f} ms  ratio {load_ms / check_ms:5.1f}x"
        )


if __name__ == "__main__":
    main()
