"""A controller that dies without a goodbye (kill -9) leaves its retained last will on the status topic."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Subscriber, retained

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"
LABCTL = [sys.executable, "-c", "from labctl.cli import main; main()"]


async def test_killing_the_controller_publishes_its_last_will(tmp_path: Path, broker: Broker) -> None:
    async with Subscriber(broker.port, "labctl/bench-9/status") as watcher:
        controller = await asyncio.create_subprocess_exec(
            *LABCTL,
            *("dry-run", str(SHORT), "--speed", "5", "--journal", str(tmp_path / "j.sqlite")),
            *("--mqtt", broker.url, "--mqtt-rig", "bench-9"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            running = await watcher.wait_for(
                lambda seen: [s.json() for s in seen if s.json()["state"] == "running"]
            )
            os.kill(controller.pid, signal.SIGKILL)
            lost = await watcher.wait_for(
                lambda seen: [s.json() for s in seen if s.json()["state"] == "lost"]
            )
        finally:
            if controller.returncode is None:
                controller.kill()
            await controller.wait()
    assert running[0]["online"] is True
    assert lost[0]["online"] is False
    assert lost[0]["run_id"] == running[0]["run_id"]
    assert "without saying goodbye" in lost[0]["reason"]
    (status,) = await retained(broker.port, "labctl/bench-9/status")
    assert json.loads(status.payload)["state"] == "lost"
