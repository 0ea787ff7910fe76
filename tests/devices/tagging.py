"""Serving a tagging unit (a test instrument whose replies say which request they answer) over a real byte
stream, for the late-reply tests of every driver."""

from __future__ import annotations

from collections.abc import Callable

from simulators import serving
from simulators.serving import Send, WireFaults


async def serve_unit(
    kind: str, session: Callable[[Send], serving.ByteSession], faults: WireFaults
) -> tuple[serving.TcpServer | serving.PtyServer, str]:
    """The server and the URL a driver opens: a TCP socket, or a pseudo-terminal as a serial port."""
    if kind == "tcp":
        tcp = await serving.serve_tcp(session, faults=faults)
        return tcp, f"socket://127.0.0.1:{tcp.port}"
    pty = await serving.serve_pty(session, faults)
    return pty, pty.slave_path
