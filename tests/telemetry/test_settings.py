"""`--mqtt` URLs: what a chemist types becomes broker settings, or one clear error before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.telemetry.errors import TelemetryError
from labctl.telemetry.settings import parse_mqtt_url


def test_a_plain_url_gets_the_default_port_and_no_credentials() -> None:
    s = parse_mqtt_url("mqtt://broker.lab")
    assert (s.host, s.port, s.username, s.password, s.tls) == ("broker.lab", 1883, None, None, False)


def test_credentials_are_url_decoded_and_mqtts_defaults_to_8883() -> None:
    s = parse_mqtt_url("mqtts://rig%2D3:p%40ss%3Aword@10.0.0.5")
    assert (s.username, s.password, s.port, s.tls) == ("rig-3", "p@ss:word", 8883, True)


def test_the_rig_name_given_wins_over_the_rig_file() -> None:
    assert parse_mqtt_url("mqtt://h", rig="bench-1").with_rig("other").rig == "bench-1"
    assert parse_mqtt_url("mqtt://h").with_rig("other").rig == "other"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://broker:1883", "expected mqtt://host[:port] or mqtts://host[:port]"),
        ("mqtt://:1883", "no host name"),
        ("mqtt://broker:99999", "the port must be a number from 1 to 65535"),
        ("mqtt://broker:x", "the port must be a number from 1 to 65535"),
        ("mqtt://broker/labctl", "expected no path or query"),
    ],
)
def test_a_bad_url_is_one_clear_error(url: str, message: str) -> None:
    with pytest.raises(TelemetryError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_mqtt_url(url)


@pytest.mark.parametrize("rig", ["bench/1", "bench+", "#", "two words", ""])
def test_a_rig_name_that_would_break_topic_filters_is_refused(rig: str) -> None:
    with pytest.raises(TelemetryError, match="cannot be an MQTT topic level"):
        parse_mqtt_url("mqtt://h", rig=rig)


def test_tls_files_must_exist_and_need_mqtts(tmp_path: Path) -> None:
    with pytest.raises(TelemetryError, match=r"--mqtt-ca .*: no such file"):
        parse_mqtt_url("mqtts://h", ca_file=tmp_path / "missing.pem")
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(TelemetryError, match="TLS files given, but the URL is not mqtts://"):
        parse_mqtt_url("mqtt://h", ca_file=ca)
    assert parse_mqtt_url("mqtts://h", ca_file=ca).ca_file == ca
