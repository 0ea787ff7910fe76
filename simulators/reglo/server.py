"""Serve a :class:`RegloICC` on TCP or a pty; every connection is a fresh session on the same pump."""

from __future__ import annotations

from collections.abc import Callable

from simulators.reglo.pump import RegloICC
from simulators.reglo.session import RegloSession
from simulators.serving import PtyServer, Send, TcpServer, WireFaults, serve_pty, serve_tcp


def session_factory(pump: RegloICC) -> Callable[[Send], RegloSession]:
    def make(send: Send) -> RegloSession:
        return RegloSession(pump, send)

    return make


async def serve_reglo_tcp(
    pump: RegloICC, host: str = "127.0.0.1", port: int = 0, faults: WireFaults | None = None
) -> TcpServer:
    return await serve_tcp(session_factory(pump), host, port, faults)


async def serve_reglo_pty(pump: RegloICC, faults: WireFaults | None = None) -> PtyServer:
    return await serve_pty(session_factory(pump), faults)
