"""The JSON Schema of protocol files, for editors that complete and check them as they are written."""

from __future__ import annotations

from typing import Any

from labctl.protocol.model import Protocol
from labctl.yamlfile.schema import file_schema


def protocol_schema() -> dict[str, Any]:
    return file_schema(Protocol, "labctl protocol")
