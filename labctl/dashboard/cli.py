"""`labctl dashboard --mqtt ws://broker:9001`: serve the page; each browser connects to the broker itself."""

from __future__ import annotations

from typing import Annotated

import typer


def dashboard_command(
    mqtt: Annotated[
        str,
        typer.Option(
            "--mqtt",
            help="The broker's WebSocket listener as the browser reaches it: ws://host:port or wss://host:port.",
            show_default=False,
        ),
    ],
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to serve the page on (0 as port: any free one).")
    ] = "127.0.0.1:8080",
) -> None:
    """Serve the live dashboard: every rig's state, step, temperatures with the band, dosing, alarms, prompt and
    pause / resume / abort. People sign in on the page with their broker login; the broker's ACL decides."""
    from labctl.console import out
    from labctl.dashboard.server import make_server
    from labctl.dashboard.settings import DashboardError, broker_address, listen_address

    try:
        broker = broker_address(mqtt)
        host, port = listen_address(listen)
        server = make_server(host, port, broker)
    except DashboardError as exc:
        out.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        out.print(f"error: --listen {listen}: {exc.strerror}", markup=False)
        raise typer.Exit(1) from None
    bound_host, bound_port = host, server.server_port
    out.print(
        f"dashboard: http://{bound_host}:{bound_port}/ (broker {broker.url}); Ctrl-C stops", markup=False
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
