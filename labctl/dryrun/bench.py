"""What the dry run's simulated chemist sees with their own eyes: the simulated bench, not the instruments' replies.

A person asked whether the quench left the reservoir looks at the bottle; the controller cannot, and must not
in a dry run either. The bench is set for the dry run's own duration, so every stand-in chemist a test composes
(one that also acknowledges alarms, one that resumes) looks at the same bench without being handed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from simulators.rig import SimulatedRig


class Bench:
    def __init__(self, rig: SimulatedRig) -> None:
        self._rig = rig

    def delivered_ml(self, device: str, since_s: float) -> float:
        """What really reached the reactor from `device`'s reservoir in the runs started since `since_s` (as
        the pump's own ledger closed them: asked once the pump has stopped)."""
        if device != "pump":
            raise ValueError(f"nothing on the simulated bench shows what {device!r} delivered")
        runs = self._rig.reglo.ledger.records()
        return sum(r.delivered_ml for r in runs if r.started_at_s >= since_s - 1e-6)


_BENCH: ContextVar[Bench | None] = ContextVar("bench", default=None)


@contextmanager
def on_the_bench(rig: SimulatedRig) -> Iterator[None]:
    token = _BENCH.set(Bench(rig))
    try:
        yield
    finally:
        _BENCH.reset(token)


def the_bench() -> Bench | None:
    return _BENCH.get()
