"""Serve a :class:`Eurostar` on TCP or a pty; every connection is a fresh session on the same unit."""

from __future__ import annotations

from collections.abc import Callable

from simulators.ika.session import EurostarSession
from simulators.ika.unit import Eurostar
from simulators.serving import PtyServer, Send, TcpServer, WireFaults, serve_pty, serve_tcp


def session_factory(unit: Eurostar) -> Callable[[Send], EurostarSession]:
    def make(send: Send) -> EurostarSession:
        return EurostarSession(unit, send)

    return make


async def serve_ika_tcp(
    unit: Eurostar, host: str = "127.0.0.1", port: int = 0, faults: WireFaults | None = None
) -> TcpServer:
    return await serve_tcp(session_factory(unit), host, port, faults)


async def serve_ika_pty(unit: Eurostar, faults: WireFaults | None = None) -> PtyServer:
    return await serve_pty(session_factory(unit), faults)
