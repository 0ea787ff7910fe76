"""Liquid additions with the quench pump: a plain `pump` step, and the `quench` with its permissive and its
pause-above / resume-below guard. Each start is journalled before it goes out; the volume moved is read back
from the pump after every stop, so a restart only asks for what is still missing."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from devices.errors import DeviceError, OutcomeUnknown
from devices.roles import Pump, PumpMode
from labctl.engine.alarms import Level
from labctl.engine.conditions import holds
from labctl.engine.errors import EngineError
from labctl.journal import Record
from labctl.protocol.steps import ONE_PORTION, Quench
from labctl.protocol.steps import Pump as PumpStep

if TYPE_CHECKING:
    from labctl.engine.engine import Engine

MIN_VOLUME_ML = 0.05


class Transfer:
    def __init__(self, eng: Engine, pump: Pump, volume: float, rate: float | str) -> None:
        self.eng, self.pump, self.volume, self.rate = eng, pump, volume, rate
        self.moved_ml = 0.0

    @property
    def remaining(self) -> float:
        return self.volume - self.moved_ml

    async def start(self) -> bool:
        """False when the pump refused or the start's outcome is unknown (an alarm and a pause say why)."""
        eng, pump = self.eng, self.pump
        rate = await pump.max_flow() if self.rate == ONE_PORTION else float(self.rate)
        await eng.send("pump", "mode", pump.set_mode(PumpMode.VOLUME_AT_RATE))
        applied = await eng.send("pump", "rate", pump.set_rate(rate), ml_min=rate)
        if applied.limited:
            eng.raise_alarm(
                "pump-rate-limited", Level.WARNING, f"pump runs at {applied.in_force} mL/min, not {rate}"
            )
        await eng.send(
            "pump", "volume", pump.set_volume(round(self.remaining, 2)), ml=round(self.remaining, 2)
        )
        before = (await eng.send("pump", "dispensed", pump.dispensed_volume())).value
        eng.record(
            "pump.start",
            {
                "volume_ml": round(self.remaining, 2),
                "rate_ml_min": applied.in_force,
                "counter_before_ml": before,
            },
        )
        eng.additions_running.add("pump")
        try:
            await eng.send("pump", "start", pump.start())
        except OutcomeUnknown as exc:
            await self.settle()
            self._fail(f"start outcome unknown: {exc.message}")
            return False
        except DeviceError as exc:
            eng.additions_running.discard("pump")
            self._fail(f"pump did not start: {exc}")
            return False
        return True

    async def finished(self) -> bool:
        """Polled once a cycle while running; True once the pump has stopped by itself."""
        try:
            running = await self.pump.is_running()
        except DeviceError as exc:
            self.eng.raise_alarm("pump-offline", Level.ALARM, f"pump not answering: {exc}")
            return False
        if not running:
            await self.settle()
        return not running

    async def stop(self) -> None:
        await self.eng.send("pump", "stop", self.pump.stop())
        await self.settle()

    def restore(self, records: list[Record]) -> Record | None:
        """Volume moved before a restart; returns a `pump.start` whose result was never recorded."""
        pending: Record | None = None
        for r in records:
            if r.kind == "pump.start":
                pending = r
            elif r.kind in ("pump.result", "pump.not-started"):
                pending = None
                self.moved_ml = r.data.get("total_ml", self.moved_ml)
        return pending

    async def reconcile(self, pending: Record) -> AsyncGenerator[None, None]:
        """The Reglo keeps no id per run, so its volume counter is compared with the value journalled just before
        the start: unchanged means the start never went out; otherwise that run is waited for and counted.
        The start is never re-sent blindly."""
        eng = self.eng
        eng.record("pump.reconciling", {"counter_before_ml": pending.data["counter_before_ml"]})
        eng.additions_running.add("pump")
        while True:
            try:
                if not await self.pump.is_running():
                    break
            except DeviceError:
                pass
            yield
        eng.additions_running.discard("pump")
        counter = (await eng.send("pump", "dispensed", self.pump.dispensed_volume())).value
        if counter == pending.data["counter_before_ml"]:
            eng.record("pump.not-started", {"counter_ml": counter, "total_ml": round(self.moved_ml, 3)})
            return
        self.moved_ml += counter or 0.0
        eng.record(
            "pump.result", {"moved_ml": counter, "total_ml": round(self.moved_ml, 3), "reconciled": True}
        )

    async def settle(self) -> None:
        self.eng.additions_running.discard("pump")
        moved = await self.eng.send("pump", "dispensed", self.pump.dispensed_volume())
        self.moved_ml += moved.value or 0.0
        self.eng.record("pump.result", {"moved_ml": moved.value, "total_ml": round(self.moved_ml, 3)})

    def _fail(self, why: str) -> None:
        self.eng.raise_alarm("pump-error", Level.ALARM, why)
        self.eng.pause_for_operator(why)


def _pump_of(eng: Engine) -> Pump:
    if eng.devices.pump is None:
        raise EngineError("this step needs the quench pump and the rig has none")
    return eng.devices.pump


async def _resumed(transfer: Transfer, eng: Engine) -> AsyncGenerator[None, None]:
    pending = transfer.restore(eng.previous())
    if pending is not None:
        async for move in transfer.reconcile(pending):
            yield move


async def pump(step: PumpStep, eng: Engine) -> AsyncGenerator[None, None]:
    transfer = Transfer(eng, _pump_of(eng), step.volume, step.rate)
    async for move in _resumed(transfer, eng):
        yield move
    while transfer.remaining > MIN_VOLUME_ML:
        if eng.addition_blockers() or not await transfer.start():
            yield
            continue
        while not await transfer.finished():
            yield
    eng.record("pump.completed", {"planned_ml": step.volume, "moved_ml": round(transfer.moved_ml, 3)})


async def quench(step: Quench, eng: Engine) -> AsyncGenerator[None, None]:
    transfer = Transfer(eng, _pump_of(eng), step.volume, step.rate)
    async for move in _resumed(transfer, eng):
        yield move
    peak: float | None = None
    pauses = [r.kind for r in eng.previous() if r.kind in ("quench.paused", "quench.started")]
    paused = bool(pauses) and pauses[-1] == "quench.paused"
    while transfer.remaining > MIN_VOLUME_ML:
        if not _permitted(step, eng, paused) or not await transfer.start():
            yield
            continue
        eng.record(
            "quench.started", {"Tr_C": eng.snapshot.tr_value(), "remaining_ml": round(transfer.remaining, 2)}
        )
        while True:
            yield
            tr = eng.snapshot.tr_value()
            if tr is not None and (peak is None or tr > peak):
                peak = tr
            if await transfer.finished():
                break
            if step.pause_above is not None and (tr is None or tr > step.pause_above):
                await transfer.stop()
                paused = True
                eng.record("quench.paused", {"Tr_C": tr, "above_C": step.pause_above})
                break
    eng.record(
        "quench.completed",
        {"planned_ml": step.volume, "moved_ml": round(transfer.moved_ml, 3), "Tr_peak_C": peak},
    )


def _permitted(step: Quench, eng: Engine, paused: bool) -> bool:
    """The permissive; after a pause also Tr below resume_below."""
    if eng.addition_blockers():
        return False
    snap = eng.snapshot
    if not all(holds(cond, snap) for cond in step.permissive):
        return False
    if not paused or step.resume_below is None:
        return True
    tr = snap.tr_value()
    return tr is not None and tr < step.resume_below
