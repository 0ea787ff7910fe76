"""Home Assistant discovery: retained configs whose topics are the ones labctl really publishes."""

from __future__ import annotations

from pathlib import Path

from labctl.dryrun.run import dry_run
from labctl.protocol.loader import load_protocol
from labctl.telemetry.settings import parse_mqtt_url
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import retained

SHORT = Path(__file__).resolve().parents[1] / "run" / "short-dosing.yaml"


async def test_discovery_configs_bind_to_the_rigs_published_topics(tmp_path: Path, broker: Broker) -> None:
    settings = parse_mqtt_url(broker.url, rig="bench-7", home_assistant=True)
    await dry_run(load_protocol(SHORT), tmp_path / "j.sqlite", mqtt=settings)
    configs = {s.topic: s.json() for s in await retained(broker.port, "homeassistant/#")}
    published = {s.topic: s for s in await retained(broker.port, "labctl/bench-7/#")}

    tr = configs["homeassistant/sensor/labctl_bench_7_Tr_C/config"]
    assert tr["state_topic"] == "labctl/bench-7/telemetry/Tr_C"
    assert (tr["unit_of_measurement"], tr["device_class"], tr["state_class"]) == (
        "°C",
        "temperature",
        "measurement",
    )
    assert tr["availability_topic"] == "labctl/bench-7/status"
    assert tr["device"]["identifiers"] == ["labctl_bench-7"]
    link = configs["homeassistant/binary_sensor/labctl_bench_7_chiller_online/config"]
    assert (link["payload_on"], link["payload_off"]) == ("true", "false")
    assert published[link["state_topic"]].payload in (b"true", b"false")
    state = configs["homeassistant/sensor/labctl_bench_7_run_state/config"]
    assert state["state_topic"] == "labctl/bench-7/status"
    assert "availability_topic" not in state

    assert len({c["unique_id"] for c in configs.values()}) == len(configs) >= 10
    for config in configs.values():
        if "telemetry/" in config["state_topic"] and config["state_topic"].split("/")[-1] not in (
            "mgbr_lost_pct",
        ):
            assert config["state_topic"] in published, config["state_topic"]
