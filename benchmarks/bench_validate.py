"""How long loading and checking the shipped protocols takes: the cost of `labctl validate` before every run.
And how long a hostile file takes to be refused (a device, a pipe, nesting thousands of levels deep): each
should cost milliseconds, not the seconds (or the hang) it once did.

Run: .venv/bin/python benchmarks/bench_validate.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from labctl.errors import InputFileError
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


def _hostile(folder: Path) -> dict[str, Path]:
    files = {
        "flow lists 5000 deep": "a: " + "[" * 5000 + "]" * 5000,
        "flow maps 5000 deep": "a: " + "{a: " * 5000 + "1" + "}" * 5000,
        "empty lists, 250 kB": "a: [" + "[], " * 62_000 + "]",
        "keys, 200 kB": "".join(f"k{i}: {i}\n" for i in range(20_000)),
        "one plain scalar, 250 kB": "a: " + "x" * 250_000,
        "comments, 250 kB": "# nothing\n" * 25_000 + "a: 1",
        "block 400 deep": "".join("  " * i + "a:\n" for i in range(400)),
        "alias bomb": "\n".join(
            ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
            + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 12)]
        ),
    }
    paths = {name: folder / f"{i}.yaml" for i, name in enumerate(files)}
    for name, text in files.items():
        paths[name].write_text(text + "\n", encoding="utf-8")
    paths["/dev/zero"] = Path("/dev/zero")
    os.mkfifo(folder / "fifo.yaml")
    paths["a pipe nobody writes to"] = folder / "fifo.yaml"
    return paths


def hostile() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _hostile(Path(tmp)).items():
            started = time.perf_counter()
            try:
                load_protocol(path)
                said = "accepted"
            except InputFileError as exc:
                said = exc.problems[0].message
            print(f"{name:40s} refused in {(time.perf_counter() - started) * 1000:7.1f} ms  ({said})")


if __name__ == "__main__":
    main()
    hostile()
