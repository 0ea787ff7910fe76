"""The Reglo ICC's own logic per channel: settings, the max-flow limit from tubing, runs, and event lines.

Choices where the manual is silent *(ours)*: settings changed while running apply at the next start; ``H`` on a
running channel is a no-op ``*``; tubing accepts 0.05–3.17 mm (the Ismatec range); flow and volume settings are
stored as given (the max-flow check happens at ``H``, as the spec says); ``:`` reads the volume the head has moved
since the last start.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.clock import Clock
from simulators.plant import PumpPlant
from simulators.reglo.ledger import RunLedger, RunRecord
from simulators.reglo.numbers import format_type1

LineSink = Callable[[str], None]

_REF_ID_MM, _REF_FLOW = 2.06, 20.0
_EXPONENT = math.log(31.0 / 20.0) / math.log(2.79 / 2.06)
"""Power law through the spec's two anchor points (2.06 mm ≈ 20 mL/min, 2.79 mm ≈ 31 mL/min at 100 rpm)."""

_STOP_CODES = {"complete": "A", "manual stop": "1", "overtemperature": "2", "occlusion": "3"}


def max_flow_ml_min(tubing_mm: float) -> float:
    return float(_REF_FLOW * (tubing_mm / _REF_ID_MM) ** _EXPONENT)


@dataclass
class Channel:
    number: int
    plant: PumpPlant
    mode: str = "O"
    tubing_mm: float = 2.79
    flow_ml_min: float = 10.0
    volume_ml: float = 10.0
    clockwise: bool = True
    last_error: str | None = None
    run: RunRecord | None = None
    next_status_s: float = field(default=0.0)

    def max_flow(self) -> float:
        return max_flow_ml_min(self.tubing_mm)


class RegloICC:
    """One pump; channels map to plants. A connected session attaches as the sink for event lines."""

    model_line = "REGLO ICC 0208 306"

    def __init__(self, plants: PumpPlant | dict[int, PumpPlant], clock: Clock, pump_address: int = 1) -> None:
        plant_map = plants if isinstance(plants, dict) else {1: plants}
        self.clock = clock
        self.pump_address = pump_address
        self.channels = {n: Channel(n, p) for n, p in plant_map.items()}
        self.channel_addressing = False
        self.events_on = False
        self._ledger = RunLedger()
        self._sink: LineSink | None = None

    @property
    def ledger(self) -> RunLedger:
        """Brought up to date first, so an outside check never sees a finished run as running."""
        self.update()
        return self._ledger

    def attach(self, sink: LineSink) -> None:
        self._sink = None
        self.update()
        self._sink = sink

    def detach(self, sink: LineSink) -> None:
        if self._sink is sink:
            self._sink = None

    def _event(self, line: str) -> None:
        if self.events_on and self._sink is not None:
            self._sink(line)

    def start(self, ch: Channel) -> bool:
        """``False`` (reply ``-``) when the channel cannot run; the reason is kept for ``xe``."""
        if ch.run is not None:
            return True
        limit = ch.max_flow()
        if ch.flow_ml_min <= 0 or ch.flow_ml_min > limit:
            ch.last_error = f"R {format_type1(limit)}"
            return False
        if ch.mode == "O" and ch.volume_ml <= 0:
            ch.last_error = f"V {format_type1(ch.volume_ml)}"
            return False
        now = self.clock.now()
        target = ch.volume_ml if ch.mode == "O" else None
        ch.plant.advance()
        ch.plant.run(ch.flow_ml_min, target)
        ch.run = self._ledger.open(ch.number, now, ch.mode, ch.flow_ml_min, target)
        ch.next_status_s = now + 1.0
        return True

    def stop(self, ch: Channel) -> None:
        """A host stop: no ``^X`` event (the host knows why it stopped)."""
        ch.plant.advance()
        if ch.run is not None:
            ch.plant.stop()
            self._close(ch, "host stop")

    def running(self, ch: Channel) -> bool:
        return ch.run is not None

    def _close(self, ch: Channel, cause: str) -> RunRecord:
        record, ch.run = ch.run, None
        assert record is not None
        record.ended_at_s = self.clock.now()
        record.commanded_ml = ch.plant.commanded_ml()
        record.delivered_ml = ch.plant.delivered_ml()
        record.cause = cause
        return record

    def update(self) -> None:
        now = self.clock.now()
        for ch in self.channels.values():
            ch.plant.advance()
            if ch.run is None:
                continue
            if not ch.plant.running():
                cause = ch.plant.stop_cause() or "complete"
                record = self._close(ch, cause)
                code = _STOP_CODES.get(cause, "1")
                self._event(f"^X{ch.number}|{format_type1(record.commanded_ml)}|{code}")
            elif now >= ch.next_status_s:
                ch.next_status_s += 1.0
                if ch.next_status_s <= now:
                    ch.next_status_s = now + 1.0
                direction = "J" if ch.clockwise else "K"
                moved = format_type1(ch.plant.commanded_ml())
                self._event(f"^U{ch.number}|{format_type1(ch.flow_ml_min)}|{direction}|{moved}")
