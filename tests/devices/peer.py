"""A scripted instrument on a real TCP socket, for byte-exact driver tests.

Like pymeasure's expected_protocol, but over an actual byte stream so the driver's transport, framing and
timeouts are exercised too.  Any byte the script did not expect is recorded as a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expect:
    data: bytes


@dataclass(frozen=True)
class Send:
    data: bytes


@dataclass(frozen=True)
class Close:
    pass


Step = Expect | Send | Close


@dataclass
class ScriptedPeer:
    script: list[Step]
    step_timeout_s: float = 5.0
    received: bytearray = field(default_factory=bytearray)
    failures: list[str] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    connections: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def start(self) -> ScriptedPeer:
        self._server = await asyncio.start_server(self._on_connect, "127.0.0.1", 0)
        return self

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        self.connections += 1
        if self.connections > 1:
            self.failures.append("unexpected second connection")
        try:
            await self._run(reader, writer)
        finally:
            self._tasks.discard(task)

    async def _run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for i, step in enumerate(self.script):
            if isinstance(step, Expect):
                try:
                    async with asyncio.timeout(self.step_timeout_s):
                        got = await reader.readexactly(len(step.data))
                except (TimeoutError, asyncio.IncompleteReadError) as exc:
                    partial = getattr(exc, "partial", b"")
                    self.received += partial
                    self.failures.append(f"step {i}: expected {step.data!r}, got {partial!r} then {exc!r}")
                    self.done.set()
                    return
                self.received += got
                if got != step.data:
                    self.failures.append(f"step {i}: expected {step.data!r}, got {got!r}")
                    self.done.set()
                    return
            elif isinstance(step, Send):
                writer.write(step.data)
                await writer.drain()
            else:
                writer.close()
                self.done.set()
                return
        self.done.set()
        extra = await reader.read(4096)
        while extra:
            self.received += extra
            self.failures.append(f"unexpected bytes after the script: {extra!r}")
            extra = await reader.read(4096)

    async def finish(self, settle_s: float = 0.05) -> None:
        """Assert the whole script ran and nothing else arrived (settle_s lets a stray write land)."""
        async with asyncio.timeout(self.step_timeout_s):
            await self.done.wait()
        await asyncio.sleep(settle_s)
        assert not self.failures, self.failures

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
