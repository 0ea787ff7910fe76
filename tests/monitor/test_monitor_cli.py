"""`labctl monitor --once` against a real broker: a rig that ran a dry run and a rig whose controller vanished."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from labctl.dryrun.run import dry_run
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker, free_port
from tests.telemetry.subscriber import Subscriber

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"


async def _monitor(*args: str) -> tuple[int | None, str]:
    """`labctl monitor` in its own process, on a wide terminal; never a traceback."""
    monitor = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from labctl.cli import main; main()", "monitor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"COLUMNS": "220", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    stdout, stderr = await monitor.communicate()
    assert b"Traceback" not in stderr, stderr.decode()
    return monitor.returncode, stdout.decode()


async def test_the_monitor_shows_every_rig_on_the_broker(tmp_path: Path, broker: Broker) -> None:
    result = await dry_run(
        load_protocol(SHORT), tmp_path / "j.sqlite", mqtt=parse_mqtt_url(broker.url, rig="bench-a")
    )
    async with Subscriber(broker.port) as other:
        await other.send(
            "labctl/bench-b/status",
            {"online": False, "state": "lost", "run_id": "x", "protocol": "MgBr storage"},
            retain=True,
        )
        await other.send(
            "labctl/bench-b/alarms/chiller-lost",
            {"id": "chiller-lost", "level": "trip", "state": "raised", "run_id": "x"},
            retain=True,
        )
    code, text = await _monitor("--mqtt", broker.url, "--once", "--wait", "1")
    assert code == 0, text
    row_a = next(line for line in text.splitlines() if "bench-a" in line)
    row_b = next(line for line in text.splitlines() if "bench-b" in line)
    assert "completed (offline)" in row_a
    assert "KMnO4 dihydroxylation, shortened" in row_a
    assert "stir-cold-excursion (alarm, cleared)" not in row_a
    assert "lost" in row_b
    assert "chiller-lost (trip, raised)" in row_b
    assert result.run_id


async def test_an_unreachable_broker_is_one_message_and_exit_1(tmp_path: Path) -> None:
    code, text = await _monitor("--mqtt", f"mqtt://127.0.0.1:{free_port()}", "--once")
    assert code == 1
    assert "error: cannot reach the broker 127.0.0.1:" in text
