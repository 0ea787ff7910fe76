"""Fixtures shared across the packages' tests: a real Mosquitto on a free port (MQTT, the monitor)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.telemetry.broker import Broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    folder = tmp_path / "broker"
    folder.mkdir()
    b = Broker(folder)
    b.start()
    try:
        yield b
    finally:
        b.stop()
