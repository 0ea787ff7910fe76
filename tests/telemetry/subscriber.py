"""An independent MQTT client for the tests: subscribes, keeps every message in arrival order, publishes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


@dataclass(frozen=True)
class Seen:
    topic: str
    payload: bytes
    retain: bool
    correlation: bytes | None = None

    def json(self) -> Any:
        return json.loads(self.payload)


class Subscriber:
    def __init__(
        self,
        port: int,
        *topics: str,
        username: str | None = None,
        password: str | None = None,
        v5: bool = True,
    ) -> None:
        self.client = aiomqtt.Client(
            "127.0.0.1",
            port,
            username=username,
            password=password,
            protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        )
        self.topics = topics
        self.seen: list[Seen] = []
        self._task: asyncio.Task[None] | None = None
        self._new = asyncio.Event()

    async def __aenter__(self) -> Subscriber:
        await self.client.__aenter__()
        for topic in self.topics:
            await self.client.subscribe(topic, qos=1)
        self._task = asyncio.create_task(self._collect())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
            await self._task
        with contextlib.suppress(aiomqtt.MqttError):
            await self.client.__aexit__(exc_type, exc, tb)

    async def _collect(self) -> None:
        async for m in self.client.messages:
            payload = m.payload if isinstance(m.payload, bytes) else str(m.payload or "").encode()
            corr = getattr(m.properties, "CorrelationData", None) if m.properties is not None else None
            self.seen.append(Seen(str(m.topic), payload, m.retain, corr))
            self._new.set()

    def on(self, topic: str) -> list[Seen]:
        return [s for s in self.seen if s.topic == topic]

    async def wait_for(self, found: Callable[[list[Seen]], Any], within_s: float = 20.0) -> Any:
        """Until `found(seen)` is truthy; returns its value."""
        async with asyncio.timeout(within_s):
            while True:
                value = found(self.seen)
                if value:
                    return value
                self._new.clear()
                await self._new.wait()

    async def send(
        self,
        topic: str,
        payload: dict[str, Any] | bytes,
        *,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        retain: bool = False,
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        props = None
        if response_topic is not None or correlation is not None:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if response_topic is not None:
                props.ResponseTopic = response_topic
            if correlation is not None:
                props.CorrelationData = correlation
        await self.client.publish(topic, data, qos=1, retain=retain, properties=props)


async def retained(port: int, topic: str, settle_s: float = 0.5, **login: str) -> list[Seen]:
    """What a newcomer gets on `topic` (a filter): the broker's retained messages."""
    async with Subscriber(port, topic, **login) as late:
        await asyncio.sleep(settle_s)
        return [s for s in late.seen if s.retain]
