"""One run's MQTT link: follows the journal, keeps the broker's picture of the rig current, takes commands.

Never in the way of control: the engine only appends to the journal (which wakes this task); all network work
happens here, on its own task. The journal is the queue — a cursor (the last record seq the broker confirmed)
survives an outage, so after a reconnect every event and alarm goes out, in order, and telemetry with at least
its latest values. Nothing is held in memory but one batch, so a long outage costs no memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

import aiomqtt
import structlog
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from labctl.journal import Journal, now_iso
from labctl.journal.kinds import RecordKind, families
from labctl.telemetry.commands import CommandIntake, Reply, ReplyTo, request_id
from labctl.telemetry.connection import BrokerConnection, LastWill
from labctl.telemetry.home_assistant import discovery
from labctl.telemetry.payloads import decode_object, encode
from labctl.telemetry.run_view import RunView
from labctl.telemetry.settings import MqttSettings
from labctl.telemetry.topics import ROOT, Outgoing, Topics

log = structlog.get_logger("labctl.mqtt")

REPLAYED = families("run", "step", "alarm", "prompt", "protocol", "portion", "dose")
"""Record kinds (prefixes) a resumed run's view is rebuilt from."""
BATCH = 200
"""Records read from the journal per round; readings within one round are coalesced to the latest."""


class RunPublisher:
    def __init__(
        self,
        settings: MqttSettings,
        journal: Journal,
        run_id: str,
        *,
        mode: str,
        protocol: str,
        from_seq: int = 0,
    ) -> None:
        """`from_seq`: the last record already published by an earlier session of this run (a resume)."""
        assert settings.rig is not None, "settings.with_rig(...) names the rig"
        self.settings = settings
        self.journal = journal
        self.run_id = run_id
        self.topics = Topics(settings.rig)
        self.view = RunView(self.topics, run_id, mode, protocol)
        self.intake = CommandIntake(settings.rig)
        self.published_seq = from_seq
        if from_seq:
            earlier = [r for kind in REPLAYED for r in journal.records(run_id, kind) if r.seq <= from_seq]
            self.view.replay(earlier)
        self.connection = BrokerConnection(
            settings,
            f"labctl-{self.topics.rig}-{run_id[-6:]}",
            LastWill(self.topics.status, self.view.will()),
        )
        self._pending: list[Outgoing] = []
        self._pending_end = from_seq
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._unfollow = journal.follow(lambda _seq: self._wake.set())

    async def __aenter__(self) -> RunPublisher:
        self._task = asyncio.create_task(self.connection.run(self._session), name="mqtt")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Publish what is left (within the flush timeout), say goodbye, disconnect cleanly (no will)."""
        self._unfollow()
        self._closing = True
        self.intake.refuse_waiting("the run has ended")
        self._wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            async with asyncio.timeout(self.settings.flush_timeout_s):
                await asyncio.shield(task)
        except TimeoutError:
            left = self.journal.last_seq(self.run_id) - self.published_seq
            log.warning("mqtt.unflushed", records_left=left, broker=self.connection.address)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- connection ----------------------------------------------------------------------------------------

    async def _session(self, client: aiomqtt.Client) -> bool:
        """True when the run is over and everything is published; an MqttError when the broker went away."""
        births = self.view.birth(now_iso())
        if self.settings.home_assistant:
            births += discovery(self.topics)
        await self._publish(client, births)
        await client.subscribe(self.topics.commands, qos=1)
        await client.subscribe(self.topics.alarms, qos=1)
        await client.subscribe(self.topics.prompt, qos=1)
        listener = asyncio.create_task(self._listen(client), name="mqtt-commands")
        try:
            done = await self._pump(client, listener)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        if done:
            await self._publish(client, self.view.goodbye(now_iso()))
        return done

    # --- publishing ----------------------------------------------------------------------------------------

    async def _pump(self, client: aiomqtt.Client, listener: asyncio.Task[None]) -> bool:
        while True:
            if listener.done():
                listener.result()  # the broker went away: its MqttError ends this session
            if self._pending_end == self.published_seq:
                self._wake.clear()
                self._read_batch()
            replies = self.intake.take_replies()
            if replies:
                await self._reply_all(client, replies)
            if self._pending_end > self.published_seq:
                await self._publish(client, self._pending)
                self._pending = []
                self.published_seq = self._pending_end
                continue
            if self._closing:
                return True
            waiter = asyncio.create_task(self._wake.wait())
            await asyncio.wait((waiter, listener), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()

    def _read_batch(self) -> None:
        """The next records as messages, kept until the broker has them all (a reconnect sends them again)."""
        records = self.journal.records_after(self.run_id, self._pending_end, BATCH)
        last_reading = max((i for i, r in enumerate(records) if r.kind == RecordKind.READING), default=-1)
        for i, rec in enumerate(records):
            if rec.kind != RecordKind.READING or i == last_reading:
                self._pending += self.view.on_record(rec)
        if records:
            self._pending_end = records[-1].seq
            self._pending += self._head()

    def _head(self) -> list[Outgoing]:
        """The journal's committed chain head, kept on the broker too: a journal (and its head file) rewritten
        or cut afterwards no longer matches what the lab saw."""
        head = self.journal.head
        if head is None or head.run_id != self.run_id:
            return []
        payload = {"run_id": head.run_id, "seq": head.seq, "hash": head.hash, "wall": head.wall}
        return [Outgoing(self.topics.journal_head, encode(payload), 1, True)]

    async def _publish(self, client: aiomqtt.Client, messages: list[Outgoing]) -> None:
        async with asyncio.TaskGroup() as tasks:
            for m in messages:
                tasks.create_task(client.publish(m.topic, m.payload, qos=m.qos, retain=m.retain))

    # --- commands ------------------------------------------------------------------------------------------

    async def _listen(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if message.topic.matches(self.topics.commands):
                await self._command(client, str(message.topic), payload, message)
            elif message.retain and payload:
                await self._forget_other_run(client, str(message.topic), payload)

    async def _command(
        self, client: aiomqtt.Client, topic: str, payload: bytes, message: aiomqtt.Message
    ) -> None:
        verb = topic.rsplit("/", 1)[-1]
        to, problem = self._reply_to(message.properties, payload)
        reply = (
            Reply(to, verb[:64], False, problem)
            if problem is not None
            else self.intake.receive(verb, payload, message.retain, to)
        )
        if reply is not None:
            log.warning("mqtt.command.rejected", verb=verb[:64], reason=reply.reason)
            await self._reply_all(client, [reply])

    async def _forget_other_run(self, client: aiomqtt.Client, topic: str, payload: bytes) -> None:
        """An alarm or prompt an earlier run left retained is not this run's: a dashboard would show it open."""
        body = decode_object(payload)
        if body is None or body.get("run_id") != self.run_id:
            await client.publish(topic, b"", qos=1, retain=True)

    def _reply_to(self, properties: Properties | None, payload: bytes) -> tuple[ReplyTo, str | None]:
        rid = request_id(payload)
        topic = getattr(properties, "ResponseTopic", None) if properties is not None else None
        correlation = getattr(properties, "CorrelationData", None) if properties is not None else None
        fallback = ReplyTo(self.topics.replies, correlation, rid)
        if topic is None:
            return fallback, None
        if not isinstance(topic, str) or not _publishable(topic):
            return fallback, "the response topic must be a topic name without wildcards"
        replies = self.topics.replies
        if topic.startswith(f"{ROOT}/") and not (topic == replies or topic.startswith(f"{replies}/")):
            return fallback, f"a response topic under {ROOT}/ must be under {self.topics.replies}"
        return ReplyTo(topic, correlation, rid), None

    async def _reply_all(self, client: aiomqtt.Client, replies: list[Reply]) -> None:
        time = now_iso()
        for reply in replies:
            props = None
            if reply.to.correlation is not None:
                props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho leaves it untyped
                props.CorrelationData = reply.to.correlation
            payload = encode(reply.payload(self.topics.rig, time))
            await client.publish(reply.to.topic, payload, qos=1, properties=props)


def _publishable(topic: str) -> bool:
    return 0 < len(topic.encode()) <= 1024 and not any(c in topic for c in "+#\x00")
