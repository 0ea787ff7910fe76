"""Liquid additions with the quench pump. Each start is journalled before it goes out; the volume moved is read
back from the pump after every stop, so a restart only asks for what is still missing. A run the pump ended
short of its volume (occlusion, over-temperature, a stop at the pump) is an alarm that holds the run for a
person: the pump is never restarted by itself, so a blocked line cannot become a restart loop."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

from devices.errors import DeviceError, OutcomeUnknown
from devices.roles import Pump, PumpMode, PumpStop
from labctl.engine.alarms import Level
from labctl.engine.errors import EngineError
from labctl.engine.step_context import StepContext
from labctl.engine.supervisor import OFFLINE_EVERY
from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.protocol.steps import ONE_PORTION
from labctl.protocol.steps import Pump as PumpStep

MIN_VOLUME_ML = 0.05
SHORT_FRACTION = 0.01
"""A run that moved less than its volume by more than this (and MIN_VOLUME_ML) stopped short."""
SHORT_ALARM = "pump-stopped-short"
SILENT_PAUSE_S = 60.0
"""A pump silent this long while it should be pumping holds the run for a person."""


class Transfer:
    def __init__(self, ctx: StepContext, pump: Pump, volume: float, rate: float | str) -> None:
        self.ctx, self.pump, self.volume, self.rate = ctx, pump, volume, rate
        self.moved_ml = 0.0
        self.requested_ml = 0.0
        self.stopped_short = False
        """The last run ended by itself short of its volume; set until the next start."""
        self._silent_since: float | None = None
        self._skip = 0

    @property
    def remaining(self) -> float:
        return self.volume - self.moved_ml

    async def start(self) -> bool:
        """False when the pump refused or the start's outcome is unknown (an alarm and a pause say why)."""
        ctx, pump = self.ctx, self.pump
        try:
            rate_in_force, before = await self._prepare()
        except DeviceError as exc:  # settings only: nothing was started
            self._fail(f"the pump did not take its settings ({exc}); nothing was started")
            return False
        ctx.record(
            RecordKind.PUMP_START,
            {
                "volume_ml": round(self.remaining, 2),
                "rate_ml_min": rate_in_force,
                "counter_before_ml": before,
            },
        )
        ctx.additions_running.add("pump")
        try:
            await ctx.send("pump", "start", pump.start())
        except OutcomeUnknown as exc:
            with contextlib.suppress(DeviceError):  # a count it cannot read stays uncounted: a person decides
                await self.settle()
            self._fail(f"start outcome unknown: {exc.message}")
            return False
        except DeviceError as exc:
            ctx.additions_running.discard("pump")
            self._fail(f"pump did not start: {exc}")
            return False
        ctx.clear_alarm(SHORT_ALARM)  # a person resumed and the pump runs again
        return True

    async def _prepare(self) -> tuple[float, float | None]:
        """Mode, rate and volume written, and the counter read just before the start: (rate in force, counter)."""
        ctx, pump = self.ctx, self.pump
        rate = await pump.max_flow() if self.rate == ONE_PORTION else float(self.rate)
        await ctx.send("pump", "mode", pump.set_mode(PumpMode.VOLUME_AT_RATE))
        applied = await ctx.send("pump", "rate", pump.set_rate(rate), ml_min=rate)
        if applied.limited:
            ctx.raise_alarm(
                "pump-rate-limited", Level.WARNING, f"pump runs at {applied.in_force} mL/min, not {rate}"
            )
        self.requested_ml = round(self.remaining, 2)
        self.stopped_short = False
        await ctx.send("pump", "volume", pump.set_volume(self.requested_ml), ml=self.requested_ml)
        before = (await ctx.send("pump", "dispensed", pump.dispensed_volume())).value
        return applied.in_force, before

    async def finished(self) -> bool:
        """Polled once a cycle while running; True once the pump has stopped by itself. A pump that does not
        answer is asked only every OFFLINE_EVERY cycles (each unanswered question costs its timeout, and the
        cycle also watches Tr), and after SILENT_PAUSE_S it is stopped as far as it can be and a person called."""
        if self._skip > 0:
            self._skip -= 1
            return False
        try:
            running = await self.pump.is_running()
            moved = None if running else await self.settle()
        except DeviceError as exc:  # running or not, count unknown: asked again later (reads only)
            await self._silent(exc)
            return False
        self._silent_since = None
        if moved is not None:
            await self._judge(moved)
        return not running

    async def _silent(self, exc: DeviceError) -> None:
        ctx = self.ctx
        ctx.raise_alarm("pump-offline", Level.ALARM, f"pump not answering: {exc}")
        self._skip = OFFLINE_EVERY - 1
        if self._silent_since is None:
            self._silent_since = ctx.now()
        silent_s = ctx.now() - self._silent_since
        if silent_s >= SILENT_PAUSE_S:
            self._silent_since = None
            await ctx.stop_additions("pump not answering")
            ctx.pause_for_operator(
                f"the pump has not answered for {silent_s:.0f} s while it pumps: it may still be running, and "
                "what it delivered is unknown. Check the pump and the line, then resume"
            )

    async def stop(self) -> bool:
        """False when the pump did not confirm its stop, or its count after it: it may still be running, or
        has moved an unknown volume, so an alarm and a pause leave it to a person."""
        try:
            await self.ctx.send("pump", "stop", self.pump.stop())
            await self.settle()
        except DeviceError as exc:
            self._fail(f"the pump did not confirm its stop and count ({exc}): check that it has stopped")
            return False
        return True

    def restore(self, records: list[Record]) -> Record | None:
        """Volume moved before a restart; returns a `pump.start` whose result was never recorded."""
        pending: Record | None = None
        for r in records:
            if r.kind == RecordKind.PUMP_START:
                pending = r
            elif r.kind in (RecordKind.PUMP_RESULT, RecordKind.PUMP_NOT_STARTED):
                pending = None
                self.moved_ml = r.data.get("total_ml", self.moved_ml)
        return pending

    async def reconcile(self, pending: Record) -> AsyncGenerator[None, None]:
        """The Reglo keeps no id per run, so its volume counter is compared with the value journalled just before
        the start: unchanged means the start never went out; otherwise that run is waited for and counted.
        The start is never re-sent blindly."""
        ctx = self.ctx
        ctx.record(RecordKind.PUMP_RECONCILING, {"counter_before_ml": pending.data["counter_before_ml"]})
        ctx.additions_running.add("pump")
        while True:
            try:
                if not await self.pump.is_running():
                    break
            except DeviceError:
                pass
            yield
        ctx.additions_running.discard("pump")
        counter = (await ctx.send("pump", "dispensed", self.pump.dispensed_volume())).value
        if counter == pending.data["counter_before_ml"]:
            ctx.record(
                RecordKind.PUMP_NOT_STARTED, {"counter_ml": counter, "total_ml": round(self.moved_ml, 3)}
            )
            return
        self.moved_ml += counter or 0.0
        ctx.record(
            RecordKind.PUMP_RESULT,
            {"moved_ml": counter, "total_ml": round(self.moved_ml, 3), "reconciled": True},
        )

    async def settle(self) -> float | None:
        """Count what the run moved; None when the pump's counter has no value (nothing is counted then)."""
        self.ctx.additions_running.discard("pump")
        moved = await self.ctx.send("pump", "dispensed", self.pump.dispensed_volume())
        if moved.value is not None:
            self.moved_ml += moved.value
        self.ctx.record(
            RecordKind.PUMP_RESULT, {"moved_ml": moved.value, "total_ml": round(self.moved_ml, 3)}
        )
        return moved.value

    async def _judge(self, moved: float | None) -> None:
        """A run that ended by itself must have moved what it was asked for; otherwise a person decides."""
        wanted = self.requested_ml
        if moved is not None and moved >= wanted * (1 - SHORT_FRACTION) - MIN_VOLUME_ML:
            return
        self.stopped_short = True
        stop = await self._stop_cause()
        cause = "the pump gave no reason" if stop is None else f"pump says: {stop.meaning}"
        moved_text = "an unknown volume" if moved is None else f"{moved:g} mL"
        self.ctx.record(
            RecordKind.PUMP_STOPPED_SHORT,
            {
                "requested_ml": wanted,
                "moved_ml": moved,
                "total_ml": round(self.moved_ml, 3),
                "planned_ml": self.volume,
                "code": None if stop is None else stop.code,
                "cause": cause,
            },
        )
        why = (
            f"the pump stopped after {moved_text} of {wanted:g} mL ({cause}); "
            f"{self.moved_ml:g} of {self.volume:g} mL delivered. Check the tubing and the reservoir, "
            "acknowledge, then resume to pump the rest"
        )
        self.ctx.raise_alarm(SHORT_ALARM, Level.ALARM, why)
        self.ctx.pause_for_operator(why)

    async def _stop_cause(self) -> PumpStop | None:
        try:
            return await self.ctx.send("pump", "last-stop", self.pump.last_stop())
        except DeviceError:
            return None

    def _fail(self, why: str) -> None:
        self.ctx.raise_alarm("pump-error", Level.ALARM, why)
        self.ctx.pause_for_operator(why)


def pump_of(ctx: StepContext) -> Pump:
    if ctx.devices.pump is None:
        raise EngineError("this step needs the quench pump and the rig has none")
    return ctx.devices.pump


async def resumed(transfer: Transfer, ctx: StepContext) -> AsyncGenerator[None, None]:
    pending = transfer.restore(ctx.previous())
    if pending is not None:
        async for move in transfer.reconcile(pending):
            yield move


async def pump(step: PumpStep, ctx: StepContext) -> AsyncGenerator[None, None]:
    transfer = Transfer(ctx, pump_of(ctx), step.volume, step.rate)
    async for move in resumed(transfer, ctx):
        yield move
    while transfer.remaining > MIN_VOLUME_ML:
        if ctx.addition_blockers() or not await transfer.start():
            yield
            continue
        while not await transfer.finished():
            yield
    ctx.record(
        RecordKind.PUMP_COMPLETED, {"planned_ml": step.volume, "moved_ml": round(transfer.moved_ml, 3)}
    )
