"""`labctl sim serve --mqtt`: the simulated world's truth next to what the controller believes.

A dashboard can then show the true reactor temperature beside the controller's reading, and when each fault was
injected: the picture a dry-run review needs ("the probe was unplugged at 27.5 min; the controller saw no Tr and
tripped, it never read the jacket instead"). Published under the rig the served rig file names
(`labctl/<rig>/simulator`), latest values only, with its own status and last will.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiomqtt

from labctl.journal import now_iso
from labctl.telemetry.connection import BrokerConnection, LastWill
from labctl.telemetry.payloads import encode
from labctl.telemetry.settings import MqttSettings
from labctl.telemetry.topics import Topics

INTERVAL_S = 1.0
"""Wall seconds between truth snapshots."""
MAX_FAULTS = 1000
CLOSE_TIMEOUT_S = 3.0


class SimulatorPublisher:
    def __init__(self, settings: MqttSettings, truth: Callable[[], dict[str, Any]]) -> None:
        assert settings.rig is not None, "settings.with_rig(...) names the rig"
        self.topic = f"{Topics(settings.rig).root}/simulator"
        self.truth = truth
        self._faults: deque[dict[str, Any]] = deque(maxlen=MAX_FAULTS)
        self._wake = asyncio.Event()
        self.connection = BrokerConnection(
            settings,
            f"labctl-sim-{settings.rig}",
            LastWill(f"{self.topic}/status", encode({"online": False, "state": "lost"})),
        )
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def fault_injected(self, name: str, t_s: float) -> None:
        self._faults.append({"fault": name, "t_s": round(t_s, 3), "time": now_iso()})
        self._wake.set()

    async def __aenter__(self) -> SimulatorPublisher:
        self._task = asyncio.create_task(self.connection.run(self._session), name="mqtt-sim")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Say "stopped" (a clean end leaves no will) if the broker takes it within a few seconds."""
        self._closing = True
        self._wake.set()
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await asyncio.shield(self._task)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _session(self, client: aiomqtt.Client) -> bool:
        await client.publish(f"{self.topic}/status", encode({"online": True, "state": "serving"}), 1, True)
        while True:
            while self._faults:
                fault = self._faults[0]
                await client.publish(f"{self.topic}/faults", encode(fault), qos=1)
                self._faults.popleft()
            snapshot = {**self.truth(), "time": now_iso()}
            await client.publish(self.topic, encode(snapshot), qos=0, retain=True)
            if self._closing:
                await client.publish(
                    f"{self.topic}/status", encode({"online": False, "state": "stopped"}), 1, True
                )
                return True
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(INTERVAL_S):
                    await self._wake.wait()
