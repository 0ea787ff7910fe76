"""Payload encoding shared by every topic: compact sorted JSON out, and a guarded parse of what others publish."""

from __future__ import annotations

import json
from typing import Any


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def decode_object(payload: bytes) -> dict[str, Any] | None:
    """A payload someone else published, as a JSON object, or None for anything else (however hostile)."""
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def plain(value: object) -> bytes:
    """A signal's payload a gauge can bind to: a bare number (or true/false, or a word); empty = no reading."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"true" if value else b"false"
    return str(value).encode()
