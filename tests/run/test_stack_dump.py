"""`kill -USR1` on a labctl that seems stuck prints where every thread is, and the process runs on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

LABCTL = Path(sys.executable).parent / "labctl"


def test_sigusr1_dumps_every_threads_stack_and_the_process_runs_on(tmp_path: Path) -> None:
    served = subprocess.Popen(
        [str(LABCTL), "sim", "serve", "--port-base", "0"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / ".labctl" / "sim-rig.yaml").exists():
            assert served.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.1)
        served.send_signal(signal.SIGUSR1)
        time.sleep(1.0)
        assert served.poll() is None  # still serving
        served.send_signal(signal.SIGINT)
        _, stderr = served.communicate(timeout=20)
    finally:
        if served.poll() is None:
            served.kill()
            served.communicate()
    assert "Current thread" in stderr
    assert "File " in stderr
    assert "asyncio" in stderr
