"""JSON Schemas of the input files, generated from the models so they cannot drift from what is accepted."""

from __future__ import annotations

from typing import Any

from labctl.protocol.model import Protocol
from labctl.rig.model import Rig

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def protocol_schema() -> dict[str, Any]:
    schema = Protocol.model_json_schema(mode="validation")
    schema["$schema"] = SCHEMA_URI
    schema["title"] = "labctl protocol"
    return schema


def rig_schema() -> dict[str, Any]:
    schema = Rig.model_json_schema(mode="validation")
    schema["$schema"] = SCHEMA_URI
    schema["title"] = "labctl rig"
    return schema
