"""`labctl sim serve --mqtt`: the world's truth and each injected fault on labctl/sim/simulator, and a clean
stop said on its status topic."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Subscriber, retained

LABCTL = Path(sys.executable).parent / "labctl"
TOPIC = "labctl/sim/simulator"


async def test_the_simulator_publishes_its_truth_and_the_faults_it_injects(
    tmp_path: Path, broker: Broker
) -> None:
    (tmp_path / "faults.yaml").write_text("faults:\n  - at: 20 s\n    fault: chiller.compressor-failure\n")
    async with Subscriber(broker.port, f"{TOPIC}/#", TOPIC) as watcher:
        served = await asyncio.create_subprocess_exec(
            str(LABCTL),
            *("sim", "serve", "--port-base", "0", "--speed", "20", "--duration", "40"),
            *("--faults", "faults.yaml", "--mqtt", broker.url),
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await served.communicate()
        assert served.returncode == 0, stderr.decode()
        await watcher.wait_for(
            lambda seen: [s for s in seen if s.topic == f"{TOPIC}/status" and b"stopped" in s.payload]
        )
    faults = [s.json() for s in watcher.on(f"{TOPIC}/faults")]
    assert [f["fault"] for f in faults] == ["chiller.compressor-failure"]
    assert 20.0 <= faults[0]["t_s"] < 21.0
    truths = [s.json() for s in watcher.on(TOPIC)]
    assert len(truths) >= 2
    times = [t["t_s"] for t in truths]
    assert times == sorted(times)
    assert times[-1] >= 40.0 - 0.25 * 20  # the world ticks every 0.25 s of wall time
    assert all(isinstance(t["Tr_C"], float) and -60 < t["Tr_C"] < 60 for t in truths)
    assert {"Tj_C", "Tbath_C", "kmno4_undissolved_mol", "dosed_g", "q_unit_W"} <= set(truths[-1])
    statuses = [s.json()["state"] for s in watcher.on(f"{TOPIC}/status")]
    assert statuses[0] == "serving"
    assert statuses[-1] == "stopped"
    (last,) = await retained(broker.port, TOPIC)
    assert last.json()["t_s"] == times[-1]
