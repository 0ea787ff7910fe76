"""The simulated bench as a fixture (tests/engine/bench.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.engine.bench import Bench, open_bench


@pytest.fixture
async def bench() -> AsyncIterator[Bench]:
    async with open_bench() as opened:
        yield opened
