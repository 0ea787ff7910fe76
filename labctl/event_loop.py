"""The event loop a dry run runs on: uvloop where it exists (Linux, macOS).

A fast-forwarded dry run is almost all event-loop turns and socket calls between the drivers and the in-process
simulators; uvloop does those in C, and the scale-up's dry run takes a fifth less time with the same journal
record for record. Real runs keep asyncio's own loop: they wait on instruments, not on the loop.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

if sys.platform != "win32":  # uvloop has no Windows build
    import uvloop

T = TypeVar("T")


def run_fast(main: Coroutine[Any, Any, T]) -> T:
    if sys.platform == "win32":
        return asyncio.run(main)
    return uvloop.run(main)
