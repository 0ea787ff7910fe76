"""Staying connected to a broker: reconnect with back-off, a will set on every connect, a session per connection.

Shared by the run's publisher and the simulator's; both hand over a session coroutine that returns True when
it has nothing more to do and raises (an `MqttError`) when the broker goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import aiomqtt
import structlog

from labctl.telemetry.settings import MqttSettings

log = structlog.get_logger("labctl.mqtt")
_CLIENT_LOG = logging.getLogger("labctl.mqtt.client")
_CLIENT_LOG.setLevel(
    logging.ERROR
)  # paho's chatter ("N pending publish calls"); our own events say what matters

BACKOFF_S = (0.2, 30.0)
PUBLISH_TIMEOUT_S = 10.0
INFLIGHT = 100
"""QoS 1 messages on the wire at once (paho's default is 20): events catch up faster after an outage."""

Session = Callable[[aiomqtt.Client], Awaitable[bool]]


@dataclass(frozen=True)
class LastWill:
    topic: str
    payload: bytes


class BrokerConnection:
    def __init__(self, settings: MqttSettings, client_id: str, will: LastWill) -> None:
        self.settings = settings
        self.client_id = client_id
        self.will = will
        self.connections = 0
        self._abandoned: set[asyncio.Future[None]] = set()

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def run(self, session: Session) -> None:
        """Until `session` says it is done; a lost or unreachable broker is retried, never raised."""
        backoff = BACKOFF_S[0]
        while True:
            try:
                async with self._connected() as client:
                    self.connections += 1
                    backoff = BACKOFF_S[0]
                    log.info("mqtt.connected", broker=self.address, client=self.client_id)
                    if await session(client):
                        return
            except* aiomqtt.MqttError as group:
                log.warning("mqtt.disconnected", broker=self.address, error=str(group.exceptions[0]))
            await asyncio.sleep(backoff)
            backoff = min(2 * backoff, BACKOFF_S[1])

    @contextlib.asynccontextmanager
    async def _connected(self) -> AsyncIterator[aiomqtt.Client]:
        """A connect attempt is never cancelled half-way: aiomqtt would leave the socket behind, and paho's next
        callback on it would raise in the event loop. An abandoned attempt finishes on its own and is closed."""
        client = self._client()
        entering = asyncio.ensure_future(client.__aenter__())
        try:
            await asyncio.shield(entering)
        except asyncio.CancelledError:
            entering.add_done_callback(lambda done: self._close_abandoned(client, done))
            raise
        try:
            yield client
        finally:
            await client.__aexit__(None, None, None)

    def _close_abandoned(self, client: aiomqtt.Client, entering: asyncio.Future[aiomqtt.Client]) -> None:
        if entering.cancelled() or entering.exception() is not None:
            return
        closing = asyncio.ensure_future(client.__aexit__(None, None, None))
        self._abandoned.add(closing)
        closing.add_done_callback(self._abandoned.discard)

    def _client(self) -> aiomqtt.Client:
        s = self.settings
        return aiomqtt.Client(
            s.host,
            s.port,
            username=s.username,
            password=s.password,
            identifier=self.client_id,
            protocol=aiomqtt.ProtocolVersion.V5,
            will=aiomqtt.Will(self.will.topic, self.will.payload, qos=1, retain=True),
            keepalive=s.keepalive_s,
            timeout=PUBLISH_TIMEOUT_S,
            tls_params=s.tls_parameters(),
            logger=_CLIENT_LOG,
            max_inflight_messages=INFLIGHT,
        )
