"""`mqtts://` with `--mqtt-ca`: a run publishes to a TLS-only Mosquitto and takes a command over it; without
the CA it cannot connect and the run goes on regardless (MQTT is never needed for control)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import replace
from pathlib import Path

import aiomqtt

from labctl.dryrun.run import dry_run
from labctl.engine.control import RunState
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker
from tests.telemetry.certificates import make_certificates

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"


async def test_a_run_publishes_over_tls_and_refuses_a_broker_it_cannot_verify(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    broker = Broker(tmp_path, tls=(certs.ca, certs.cert, certs.key))
    broker.start()
    try:
        url = f"mqtts://127.0.0.1:{broker.port}"
        context = ssl.create_default_context(cafile=str(certs.ca))
        seen: list[str] = []
        async with aiomqtt.Client("127.0.0.1", broker.port, tls_context=context) as watcher:
            await watcher.subscribe("labctl/tls-rig/status")
            result = await dry_run(
                load_protocol(SHORT),
                tmp_path / "j.sqlite",
                mqtt=parse_mqtt_url(url, rig="tls-rig", ca_file=certs.ca),
            )
            async with asyncio.timeout(10):
                async for message in watcher.messages:
                    assert isinstance(message.payload, bytes)
                    seen.append(message.payload.decode())
                    if '"online":false' in seen[-1]:
                        break
        assert result.state is RunState.COMPLETED
        assert '"state":"starting"' in seen[0]
        assert '"state":"completed"' in seen[-1]

        no_ca = replace(parse_mqtt_url(url, rig="tls-rig-2"), flush_timeout_s=0.5)
        unverified = await dry_run(load_protocol(SHORT), tmp_path / "k.sqlite", mqtt=no_ca)
        assert unverified.state is RunState.COMPLETED
        async with aiomqtt.Client("127.0.0.1", broker.port, tls_context=context) as late:
            await late.subscribe("labctl/tls-rig-2/#")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    async for message in late.messages:
                        raise AssertionError(f"published without verifying the broker: {message.topic}")
    finally:
        broker.stop()
