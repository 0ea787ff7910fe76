"""Temperature steps through a recording context: what they ask the chiller for, when they end, what they do
when the mass does not follow."""

from __future__ import annotations

import pytest

from labctl.engine.alarms import Level
from labctl.engine.errors import RunAborted
from labctl.engine.steps.temperature import hold, ramp, set_temperature, wait_until
from labctl.protocol.steps import Hold, Ramp, SetTemperature, WaitUntil
from tests.engine.snapshots import snap
from tests.engine.steps.context import RecordingContext, advance, drive


async def test_set_temperature_asks_for_the_setpoint_and_ends_in_its_own_cycle() -> None:
    ctx = RecordingContext()
    step = SetTemperature.model_validate(
        {"step": "set_temperature", "target": "-5 °C", "control": "internal"}
    )
    assert await drive(set_temperature(step, ctx), ctx) == 0
    assert ctx.temperatures == [(-5.0, "internal")]


def cooling_by_one_kelvin_a_second(ctx: RecordingContext) -> None:
    ctx.snapshot = snap(max(5.0, 20.0 - (ctx.t - 100.0)), at=ctx.t)


async def test_wait_until_ends_once_the_signal_has_stayed_in_tolerance_for_the_settle_time() -> None:
    ctx = RecordingContext(snapshot=snap(20.0))
    step = WaitUntil.model_validate(
        {"step": "wait_until", "target": "5 °C", "tolerance": "0.5 K", "settle": "10 s", "timeout": "1 h"}
    )
    cycles = await drive(wait_until(step, ctx), ctx, each=cooling_by_one_kelvin_a_second)
    assert cycles == 25  # 15 s to reach 5 °C, then 10 s settled
    assert ctx.records == [("wait_until.reached", {"signal": "Tr", "value_C": 5.0})]
    assert ctx.alarms == {}
    assert ctx.pauses == []


async def test_wait_until_past_its_timeout_raises_an_alarm_and_pauses_then_counts_again() -> None:
    ctx = RecordingContext(snapshot=snap(20.0))
    step = WaitUntil.model_validate(
        {"step": "wait_until", "target": "5 °C", "tolerance": "0.5 K", "timeout": "1 min"}
    )
    moves = wait_until(step, ctx)
    assert await advance(moves, ctx, 61)
    assert ctx.pauses == []
    assert await advance(moves, ctx, 1)
    message = "Tr did not reach 5.0 ± 0.5 K within 1 min"
    assert ctx.alarms == {"s1-timeout": (Level.ALARM, message)}
    assert ctx.pauses == [message]
    assert await advance(moves, ctx, 61)
    assert ctx.pauses == [message, message]
    await moves.aclose()


async def test_wait_until_with_on_timeout_abort_ends_the_run() -> None:
    ctx = RecordingContext(snapshot=snap(20.0))
    step = WaitUntil.model_validate(
        {
            "step": "wait_until",
            "target": "5 °C",
            "tolerance": "0.5 K",
            "timeout": "10 s",
            "on_timeout": "abort",
        }
    )
    with pytest.raises(RunAborted, match=r"Tr did not reach 5\.0"):
        await drive(wait_until(step, ctx), ctx)


def outside_from_103_to_105(ctx: RecordingContext) -> None:
    ctx.snapshot = snap(8.0 if 103.0 <= ctx.t <= 105.0 else 2.0, at=ctx.t)


async def test_hold_extended_by_the_time_outside_its_band() -> None:
    ctx = RecordingContext()
    step = Hold.model_validate(
        {"step": "hold", "duration": "10 s", "band": ["0 °C", "5 °C"], "on_excursion": "extend"}
    )
    cycles = await drive(hold(step, ctx), ctx, each=outside_from_103_to_105)
    assert cycles == 13
    assert ctx.records == [
        ("hold.left-band", {"Tr_C": 8.0}),
        ("hold.back-in-band", {"Tr_C": 2.0, "outside_s": 4.0}),
    ]
    assert ctx.alarms == {"s1-excursion": (Level.WARNING, "Tr 8.00 °C outside 0–5 °C for longer than 0 s")}
    assert ctx.cleared == ["s1-excursion"]
    assert ctx.pauses == []


async def test_hold_counts_time_outside_within_the_grace_and_says_nothing() -> None:
    ctx = RecordingContext()
    step = Hold.model_validate(
        {
            "step": "hold",
            "duration": "10 s",
            "band": ["0 °C", "5 °C"],
            "on_excursion": "pause",
            "grace": "1 min",
        }
    )
    assert await drive(hold(step, ctx), ctx, each=outside_from_103_to_105) == 10
    assert ctx.alarms == {}
    assert ctx.pauses == []
    assert ctx.kinds() == ["hold.left-band", "hold.back-in-band"]


async def test_hold_with_on_excursion_abort_ends_the_run() -> None:
    ctx = RecordingContext()
    step = Hold.model_validate(
        {"step": "hold", "duration": "10 s", "band": ["0 °C", "5 °C"], "on_excursion": "abort"}
    )
    with pytest.raises(RunAborted, match="outside 0–5 °C"):
        await drive(hold(step, ctx), ctx, each=outside_from_103_to_105)


async def test_ramp_writes_setpoints_from_the_one_in_force_to_the_target() -> None:
    ctx = RecordingContext(snapshot=snap(20.0, setpoint=20.0))
    step = Ramp.model_validate({"step": "ramp", "target": "10 °C", "duration": "100 s"})
    assert await drive(ramp(step, ctx), ctx, period_s=10.0) == 10
    assert ctx.temperatures == [(float(c), "process") for c in range(19, 9, -1)]


async def test_ramp_without_a_known_setpoint_goes_to_the_target_at_once() -> None:
    ctx = RecordingContext(snapshot=snap(20.0))
    step = Ramp.model_validate(
        {"step": "ramp", "target": "10 °C", "duration": "100 s", "control": "internal"}
    )
    assert await drive(ramp(step, ctx), ctx, period_s=10.0) == 10
    assert ctx.temperatures == [(10.0, "internal")]
