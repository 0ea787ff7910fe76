"""JSON Schemas of input files, generated from their models so they cannot drift from what is accepted."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def file_schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    schema["$schema"] = SCHEMA_URI
    schema["title"] = title
    return schema
