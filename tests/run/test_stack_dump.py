"""`kill -USR1` on a labctl that seems stuck prints where every thread is, and the process runs on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

LABCTL = Path(sys.executable).parent / "labctl"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(LABCTL), "sim", "serve", "--port-base", "0"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / ".labctl" / "sim-rig.yaml").exists():
            assert process.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_sigusr1_dumps_every_threads_stack_and_the_process_runs_on(served: subprocess.Popen[str]) -> None:
    served.send_signal(signal.SIGUSR1)
    time.sleep(1.0)
    assert served.poll() is None  # still serving
    served.kill()
    _, stderr = served.communicate(timeout=20)
    assert "Current thread" in stderr
    assert "File " in stderr
    assert "asyncio" in stderr  # the main thread, in its event loop


@pytest.mark.long  # failed in a clean-clone CI run on 2026-12-04 (no exit within 20 s); see issue 14's note
def test_sim_serve_stops_on_sigint(served: subprocess.Popen[str]) -> None:
    time.sleep(1.0)
    served.send_signal(signal.SIGINT)
    try:
        served.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        served.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        served.kill()
        pytest.fail(f"still serving 20 s after SIGINT:\n{served.communicate()[1][-6000:]}")
    assert served.returncode == 0
