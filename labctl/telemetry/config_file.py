"""An MQTT config file (`--mqtt-config FILE`), so a rig's PC keeps its broker, login and TLS files in one place
instead of on every command line (and the password out of the shell history).

    url: mqtts://labctl-bench-1:secret@broker.lab:8883
    rig: bench-1            # optional: topic name, default the rig file's name
    ca: certs/ca.crt        # optional TLS files, relative to this file
    home_assistant: true    # optional

Command-line options given as well win over the file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from labctl.telemetry.errors import TelemetryError
from labctl.telemetry.settings import parse_mqtt_url, topic_level
from labctl.yamlfile.document import expect_mapping, load_yaml_file
from labctl.yamlfile.problems import validated


class MqttConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="mqtt[s]://[user:pass@]host[:port]")
    rig: str | None = None
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    home_assistant: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        try:
            parse_mqtt_url(url)
        except TelemetryError as exc:
            raise ValueError(str(exc).removeprefix("--mqtt ")) from None
        return url

    @field_validator("rig")
    @classmethod
    def _rig(cls, rig: str | None) -> str | None:
        if rig is not None:
            try:
                topic_level(rig, "rig")
            except TelemetryError as exc:
                raise ValueError(str(exc)) from None
        return rig


def load_mqtt_config(path: Path) -> MqttConfigFile:
    raw, source = load_yaml_file(path)
    data = expect_mapping(raw, str(path), "expected a mapping with url:")
    config = validated(MqttConfigFile, data, source)
    here = path.resolve().parent
    return config.model_copy(
        update={
            name: here / value
            for name in ("ca", "cert", "key")
            if (value := getattr(config, name)) is not None and not value.is_absolute()
        }
    )
