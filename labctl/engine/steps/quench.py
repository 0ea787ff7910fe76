"""The quench: a pump addition behind its permissive, paused if the mass heats up, and judged by what the rig
can confirm. The pump's counter says what the head turned, not what arrived: with an empty reservoir it counts
the full volume. Where the protocol says what the reactor must show (`confirm: rise`), the quench counts as
delivered only when Tr has risen that much; otherwise the run holds with the quench marked not confirmed, and a
person's resume pumps it again (excess bisulfite is harmless; active permanganate left in the batch is not).

A rise shows that some of it arrived, not all (a reservoir that runs dry part-way still warms the mass), and a
rig without a balance under the reservoir measures no volume: so a person always looks and confirms that the
volume left the reservoir. Pausing instead is their "no": the quench is marked not confirmed and pumped again
in full on the resume."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from functools import partial
from typing import Any

from labctl.engine.alarms import Level
from labctl.engine.conditions import holds
from labctl.engine.control import Delivery
from labctl.engine.step_context import StepContext
from labctl.engine.steps.pumping import MIN_VOLUME_ML, Transfer, pump_of, resumed
from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.protocol.steps import Quench, QuenchConfirmation

UNCONFIRMED_ALARM = "quench-unconfirmed"


@dataclass
class QuenchWatch:
    """Tr at the quench's (latest) first start and its highest reading since."""

    start_c: float | None = None
    peak_c: float | None = None
    paused: bool = False
    since_s: float | None = None
    """When this attempt's pump first started: what a person checks arrived is what left the reservoir since."""

    @classmethod
    def from_records(cls, records: list[Record]) -> QuenchWatch:
        """A restarted controller picks up the reference and the peak from the journal."""
        watch = cls()
        for r in records:
            if r.kind == RecordKind.QUENCH_UNCONFIRMED:
                watch = cls()
            elif r.kind == RecordKind.QUENCH_STARTED:
                watch.started(r.data.get("Tr_C"), r.t_s)
                watch.paused = False
            elif r.kind == RecordKind.QUENCH_PAUSED:
                watch.paused = True
            elif r.kind == RecordKind.READING:
                watch.observe(r.data.get("Tr_C"))
        return watch

    def started(self, tr: Any, at_s: float) -> None:
        if self.since_s is None:
            self.since_s = at_s
        if self.start_c is None and isinstance(tr, int | float):
            self.start_c = float(tr)
        self.observe(tr)

    def observe(self, tr: Any) -> None:
        if self.start_c is not None and isinstance(tr, int | float):
            self.peak_c = float(tr) if self.peak_c is None else max(self.peak_c, float(tr))

    @property
    def rise_k(self) -> float | None:
        if self.start_c is None or self.peak_c is None:
            return None
        return round(self.peak_c - self.start_c, 2)

    def confirmed(self, confirm: QuenchConfirmation) -> bool:
        rise = self.rise_k
        return rise is not None and rise >= confirm.rise


async def quench(step: Quench, ctx: StepContext) -> AsyncGenerator[None, None]:
    transfer = Transfer(ctx, pump_of(ctx), step.volume, step.rate)
    async for move in resumed(transfer, ctx):
        yield move
    watch = QuenchWatch.from_records(ctx.previous())
    if _unconfirmed_before(ctx.previous()):
        transfer.moved_ml = 0.0
    while True:
        async for move in _deliver(step, ctx, transfer, watch):
            yield move
        if step.confirm is not None:
            async for move in _await_rise(step.confirm, ctx, watch):
                yield move
            if not watch.confirmed(step.confirm):
                _not_confirmed(step, step.confirm, ctx, transfer, watch)
                transfer.moved_ml, watch = 0.0, QuenchWatch()
                continue
        looked = ctx.open_prompt(
            _look_at_the_reservoir(step, transfer, watch),
            _delivery(step, ctx, watch),
            on_decline=partial(_not_seen, step, ctx, transfer, watch),
        )
        while not (looked.answered or looked.declined):
            yield
        if looked.answered:
            break
        transfer.moved_ml, watch = 0.0, QuenchWatch()
    ctx.record(
        RecordKind.QUENCH_COMPLETED,
        {
            "planned_ml": step.volume,
            "moved_ml": round(transfer.moved_ml, 3),
            "Tr_peak_C": watch.peak_c,
            "confirmed_by": _confirmed_by(step, watch),
            "seen_by": looked.answered_by,
        },
    )


async def _deliver(
    step: Quench, ctx: StepContext, transfer: Transfer, watch: QuenchWatch
) -> AsyncGenerator[None, None]:
    while transfer.remaining > MIN_VOLUME_ML:
        if not _permitted(step, ctx, watch.paused) or not await transfer.start():
            yield
            continue
        ctx.clear_alarm(UNCONFIRMED_ALARM)  # a person resumed: the quench is pumped again
        tr = ctx.snapshot.tr_value()
        ctx.record(RecordKind.QUENCH_STARTED, {"Tr_C": tr, "remaining_ml": round(transfer.remaining, 2)})
        watch.started(tr, ctx.now())
        watch.paused = False
        while True:
            yield
            tr = ctx.snapshot.tr_value()
            watch.observe(tr)
            if await transfer.finished():
                if transfer.stopped_short:
                    _incomplete(step, ctx, transfer)
                break
            if step.pause_above is not None and (tr is None or tr > step.pause_above):
                await transfer.stop()
                watch.paused = True
                ctx.record(RecordKind.QUENCH_PAUSED, {"Tr_C": tr, "above_C": step.pause_above})
                break


async def _await_rise(
    confirm: QuenchConfirmation, ctx: StepContext, watch: QuenchWatch
) -> AsyncGenerator[None, None]:
    """After the pump's last run, up to `within` for Tr to show the quench; a missing reading shows nothing."""
    until = ctx.now() + confirm.within
    while not watch.confirmed(confirm) and ctx.now() < until:
        yield
        watch.observe(ctx.snapshot.tr_value())
    if watch.confirmed(confirm):
        ctx.record(
            RecordKind.QUENCH_CONFIRMED,
            {"rise_K": watch.rise_k, "Tr_start_C": watch.start_c, "Tr_peak_C": watch.peak_c},
        )


def _incomplete(step: Quench, ctx: StepContext, transfer: Transfer) -> None:
    ctx.record(
        RecordKind.QUENCH_INCOMPLETE,
        {
            "planned_ml": step.volume,
            "delivered_ml": round(transfer.moved_ml, 3),
            "missing_ml": round(transfer.remaining, 3),
            "why": "the pump stopped short",
        },
    )


def _not_confirmed(
    step: Quench, confirm: QuenchConfirmation, ctx: StepContext, transfer: Transfer, watch: QuenchWatch
) -> None:
    rise = "no reading" if watch.rise_k is None else f"{watch.rise_k:g} K"
    _record_unconfirmed(
        step,
        ctx,
        transfer,
        watch,
        expected_rise_K=confirm.rise,
        Tr_start_C=watch.start_c,
        Tr_peak_C=watch.peak_c,
    )
    why = (
        f"the pump counted {transfer.moved_ml:g} mL but Tr rose {rise} (at least {confirm.rise:g} K expected "
        f"within {confirm.within / 60:g} min): the quench was not seen arriving and the batch is NOT quenched. "
        f"Check the reservoir and the line, acknowledge, then resume to pump {step.volume:g} mL again"
    )
    ctx.raise_alarm(UNCONFIRMED_ALARM, Level.ALARM, why)
    ctx.pause_for_operator(why)


def _look_at_the_reservoir(step: Quench, transfer: Transfer, watch: QuenchWatch) -> str:
    rise = "" if watch.rise_k is None else f", Tr rose {watch.rise_k:g} K"
    return (
        f"Quench: the pump counted {transfer.moved_ml:g} of {step.volume:g} mL{rise}. Look at the reservoir and "
        f"confirm only if {step.volume:g} mL left it. If less did, pause instead: labctl pumps {step.volume:g} mL "
        "again when you resume (excess bisulfite is harmless; permanganate left active is not)."
    )


def _delivery(step: Quench, ctx: StepContext, watch: QuenchWatch) -> Delivery:
    since = watch.since_s if watch.since_s is not None else ctx.now()
    return Delivery("pump", step.volume, since)


def _not_seen(step: Quench, ctx: StepContext, transfer: Transfer, watch: QuenchWatch, by: str) -> None:
    why = "a person saw less than the volume leave the reservoir"
    _record_unconfirmed(step, ctx, transfer, watch, seen_by=by, why=why)
    ctx.raise_alarm(
        UNCONFIRMED_ALARM,
        Level.ALARM,
        f"{by} saw less than {step.volume:g} mL leave the reservoir (the pump counted {transfer.moved_ml:g} mL): "
        f"the batch is NOT quenched. Check the reservoir and the line, acknowledge, then resume to pump "
        f"{step.volume:g} mL again",
    )


def _record_unconfirmed(
    step: Quench, ctx: StepContext, transfer: Transfer, watch: QuenchWatch, **what_says_so: Any
) -> None:
    """`quench.unconfirmed`, whether the rise or a person said it did not arrive: pumped again in full."""
    ctx.record(
        RecordKind.QUENCH_UNCONFIRMED,
        {
            "planned_ml": step.volume,
            "counted_ml": round(transfer.moved_ml, 3),
            "delivered": "not confirmed",
            "rise_K": watch.rise_k,
            **what_says_so,
        },
    )


def _confirmed_by(step: Quench, watch: QuenchWatch) -> str:
    seen = "a person at the reservoir"
    if step.confirm is None:
        return f"pump counter and {seen}"
    return f"pump counter, Tr rise {watch.rise_k:g} K (at least {step.confirm.rise:g} K) and {seen}"


def _unconfirmed_before(records: list[Record]) -> bool:
    """The last run of this quench before a restart was not confirmed: it is pumped again in full."""
    kinds = [r.kind for r in records if r.kind in (RecordKind.QUENCH_UNCONFIRMED, RecordKind.QUENCH_STARTED)]
    return bool(kinds) and kinds[-1] == RecordKind.QUENCH_UNCONFIRMED


def _permitted(step: Quench, ctx: StepContext, paused: bool) -> bool:
    """The permissive; after a pause also Tr below resume_below."""
    if ctx.addition_blockers():
        return False
    snap = ctx.snapshot
    if not all(holds(cond, snap) for cond in step.permissive):
        return False
    if not paused or step.resume_below is None:
        return True
    tr = snap.tr_value()
    return tr is not None and tr < step.resume_below
