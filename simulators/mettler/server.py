"""Serve a :class:`MettlerQuantos` on TCP or a pty; every connection is a fresh session on the same instrument."""

from __future__ import annotations

from collections.abc import Callable

from simulators.mettler.instrument import MettlerQuantos
from simulators.mettler.session import MettlerSession
from simulators.serving import PtyServer, Send, TcpServer, WireFaults, serve_pty, serve_tcp


def session_factory(instrument: MettlerQuantos) -> Callable[[Send], MettlerSession]:
    def make(send: Send) -> MettlerSession:
        return MettlerSession(instrument, send)

    return make


async def serve_mettler_tcp(
    instrument: MettlerQuantos, host: str = "127.0.0.1", port: int = 0, faults: WireFaults | None = None
) -> TcpServer:
    return await serve_tcp(session_factory(instrument), host, port, faults)


async def serve_mettler_pty(instrument: MettlerQuantos, faults: WireFaults | None = None) -> PtyServer:
    return await serve_pty(session_factory(instrument), faults)
