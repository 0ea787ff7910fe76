"""`--mqtt-config FILE`: broker, login, rig and TLS files kept in one place; mistakes located; options win."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from labctl.errors import InputFileError
from labctl.telemetry.config_file import load_mqtt_config
from labctl.telemetry.configured import MqttOptions

LABCTL = Path(sys.executable).parent / "labctl"
SCALE_UP = Path(__file__).resolve().parents[2] / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"


def test_a_config_file_gives_the_settings_and_tls_files_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_text("x")
    config = tmp_path / "mqtt.yaml"
    config.write_text(
        "url: mqtts://rig1:s3cret@broker.lab\nrig: bench-1\nca: certs/ca.crt\nhome_assistant: true\n"
    )
    settings = MqttOptions(config=config).settings()
    assert settings is not None
    assert (settings.host, settings.port, settings.username, settings.password) == (
        "broker.lab",
        8883,
        "rig1",
        "s3cret",
    )
    assert (settings.rig, settings.ca_file, settings.home_assistant) == (
        "bench-1",
        tmp_path / "certs" / "ca.crt",
        True,
    )


def test_options_given_on_the_command_line_win_over_the_file(tmp_path: Path) -> None:
    config = tmp_path / "mqtt.yaml"
    config.write_text("url: mqtt://broker.lab\nrig: bench-1\n")
    settings = MqttOptions("mqtt://other:1884", rig="bench-2", config=config).settings()
    assert settings is not None
    assert (settings.host, settings.port, settings.rig) == ("other", 1884, "bench-2")


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("url: mqtt://h\nrgi: b\n", ":2:1:", "unknown key 'rgi'"),
        ("rig: b\n", ":1:1:", "url"),
        ("url: http://h\n", ":1:6:", "expected mqtt://host[:port]"),
        ("url: mqtt://h\nrig: a/b\n", ":2:6:", "cannot be an MQTT topic level"),
        ("- url\n", ":1:1:", "expected a mapping with url:"),
    ],
)
def test_a_broken_config_file_is_a_located_problem(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    config = tmp_path / "mqtt.yaml"
    config.write_text(text)
    with pytest.raises(InputFileError) as caught:
        load_mqtt_config(config)
    (problem,) = caught.value.problems
    assert str(problem).startswith(str(config) + where), str(problem)
    assert message in str(problem)


def _dry_run(tmp_path: Path, *mqtt: str) -> subprocess.CompletedProcess[str]:
    """`labctl dry-run` of the scale-up with the given MQTT options; it must refuse before creating a journal."""
    done = subprocess.run(
        [str(LABCTL), "dry-run", str(SCALE_UP), "--journal", str(tmp_path / "j.sqlite"), *mqtt],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "j.sqlite").exists()
    return done


def test_the_cli_says_where_the_config_file_is_wrong_and_starts_nothing(tmp_path: Path) -> None:
    config = tmp_path / "mqtt.yaml"
    config.write_text("url: mqtt://h\nport: 1883\n")
    done = _dry_run(tmp_path, "--mqtt-config", str(config))
    assert done.returncode == 2
    assert f"{config}:2:1: error[KEY-UNKNOWN] port: unknown key 'port'" in done.stdout


def test_a_bad_broker_url_is_one_message_before_anything_starts(tmp_path: Path) -> None:
    done = _dry_run(tmp_path, "--mqtt", "http://broker")
    assert done.returncode == 2
    assert (
        done.stdout.strip()
        == "error: --mqtt 'http://broker': expected mqtt://host[:port] or mqtts://host[:port]"
    )
