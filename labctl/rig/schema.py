"""The JSON Schema of rig files, for editors that complete and check them as they are written."""

from __future__ import annotations

from typing import Any

from labctl.rig.model import Rig
from labctl.yamlfile.schema import file_schema


def rig_schema() -> dict[str, Any]:
    return file_schema(Rig, "labctl rig")
