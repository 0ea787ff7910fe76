"""Temperature steps: setpoints, waiting for a temperature, holding a band, and software ramps.

A ramp is written as a sequence of setpoints by labctl rather than the unit's own ramp (5A, E-grade
"Exclusive"): if labctl stops, the unit stays at the last setpoint written instead of running on unattended.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from labctl.engine.alarms import Level
from labctl.engine.errors import RunAborted
from labctl.engine.step_context import StepContext
from labctl.engine.steps.timed import Progress, elapsed_before
from labctl.journal.kinds import RecordKind
from labctl.protocol.steps import Hold, Ramp, SetTemperature, WaitUntil

RAMP_RESOLUTION_K = 0.1


async def set_temperature(step: SetTemperature, ctx: StepContext) -> AsyncGenerator[None, None]:
    await ctx.set_temperature(step.target, step.control)
    return
    yield  # finishes within its own cycle


async def wait_until(step: WaitUntil, ctx: StepContext) -> AsyncGenerator[None, None]:
    started = ctx.now()
    settled_since: float | None = None
    while True:
        snap, now = ctx.snapshot, ctx.now()
        value = snap.tr_value() if step.signal == "Tr" else snap.tj_value()
        if value is not None and abs(value - step.target) <= step.tolerance:
            settled_since = now if settled_since is None else settled_since
            if now - settled_since >= step.settle:
                ctx.record(RecordKind.WAIT_UNTIL_REACHED, {"signal": step.signal, "value_C": round(value, 3)})
                return
        else:
            settled_since = None
        if now - started > step.timeout:
            message = f"{step.signal} did not reach {step.target} ± {step.tolerance} K within {step.timeout / 60:g} min"
            ctx.raise_alarm(f"{ctx.step_id}-timeout", Level.ALARM, message)
            if step.on_timeout == "abort":
                raise RunAborted(message, "labctl")
            ctx.pause_for_operator(message)
            started = ctx.now()
        yield


async def hold(step: Hold, ctx: StepContext) -> AsyncGenerator[None, None]:
    low, high = step.band
    remaining, last, progress = step.duration - elapsed_before(ctx), ctx.now(), Progress(ctx)
    outside_since: float | None = None
    alarm_id = f"{ctx.step_id}-excursion"
    while remaining > 1e-9:
        yield
        now = ctx.now()
        dt, last = now - last, now
        progress.note(step.duration - remaining)
        tr = ctx.snapshot.tr_value()
        if tr is not None and low <= tr <= high:
            if outside_since is not None:
                ctx.record(
                    RecordKind.HOLD_BACK_IN_BAND,
                    {"Tr_C": round(tr, 3), "outside_s": round(now - outside_since, 1)},
                )
                ctx.clear_alarm(alarm_id)
            outside_since = None
            remaining -= dt
            continue
        if outside_since is None:
            outside_since = now - dt
            ctx.record(RecordKind.HOLD_LEFT_BAND, {"Tr_C": None if tr is None else round(tr, 3)})
        beyond_grace = now - outside_since > step.grace
        if not (beyond_grace and step.on_excursion == "extend"):
            remaining -= dt
        if beyond_grace:
            _excursion(step, ctx, alarm_id, tr)


def _excursion(step: Hold, ctx: StepContext, alarm_id: str, tr: float | None) -> None:
    low, high = step.band
    shown = "unknown" if tr is None else f"{tr:.2f} °C"
    message = f"Tr {shown} outside {low:g}–{high:g} °C for longer than {step.grace:g} s"
    if step.on_excursion == "abort":
        raise RunAborted(message, "labctl")
    ctx.raise_alarm(alarm_id, Level.ALARM if step.on_excursion != "extend" else Level.WARNING, message)
    if step.on_excursion == "pause":
        ctx.pause_for_operator(message)


async def ramp(step: Ramp, ctx: StepContext) -> AsyncGenerator[None, None]:
    start_t = ctx.now()
    start_c = ctx.snapshot.setpoint if ctx.snapshot.setpoint is not None else ctx.step_setpoint
    if start_c is None:
        await ctx.set_temperature(step.target, step.control)
        start_c = step.target
    written = start_c
    while True:
        fraction = min(1.0, (ctx.now() - start_t) / step.duration)
        value = round(start_c + (step.target - start_c) * fraction, 2)
        if abs(value - written) >= RAMP_RESOLUTION_K or (fraction >= 1.0 and value != written):
            await ctx.set_temperature(value, step.control)
            written = value
        if fraction >= 1.0:
            return
        yield
