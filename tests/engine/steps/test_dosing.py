"""Portion-wise dosing against the simulated Quantos over its socket: each start journalled before it goes
out, each portion settled from the doser's own record, nothing started while a gate is shut."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from devices.errors import DeviceTimeout
from devices.mettler import QuantosDoser, open_quantos
from devices.roles import DoseEnd, DoseResult
from labctl.engine.steps.dosing import RESOLVE_EVERY_S, Dosing, _code, dose_solid
from labctl.engine.supervisor import Supervisor
from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.protocol.steps import DoseSolid
from tests.devices.held_quantos import held_quantos
from tests.devices.peer import Expect, ScriptedPeer, Send
from tests.engine.bench import Bench
from tests.engine.steps.context import RecordingContext, advance, drive_on_bench


def dose(**fields: Any) -> DoseSolid:
    return DoseSolid.model_validate(
        {
            "step": "dose_solid",
            "material": "kmno4",
            "total": "0.6 g",
            "portions": 3,
            "min_interval": "30 s",
            "tolerance": "3 %",
            "gate": ["Tr <= 40 °C"],
            **fields,
        }
    )


@pytest.fixture
async def supervisor(bench: Bench) -> Supervisor:
    """The chiller regulating (the permit asks for it); no stirrer instrument in the snapshot: stirring is not
    what these tests are about."""
    assert bench.devices.chiller is not None
    await bench.devices.chiller.start_temperature_control()
    return Supervisor(bench.devices.chiller, bench.clock, 1.0, None, balance=bench.devices.balance)


async def test_each_portion_is_journalled_before_its_start_and_settled_from_the_dosers_record(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    await drive_on_bench(dose_solid(dose(), ctx), ctx, bench, supervisor)
    commands = [s.command for s in ctx.sent]
    assert commands[:2] == ["tolerance", "last-dose"]
    assert commands[2:] == ["target", "sample-id", "last-dose"] * 3
    assert [d["portion"] for d in ctx.data("portion.start")] == [1, 2, 3]
    tag = ctx.run_id[-6:] if ctx.run_id else ""
    assert [d["sample_id"] for d in ctx.data("portion.start")] == [f"{tag}-1", f"{tag}-2", f"{tag}-3"]
    results = ctx.data("portion.result")
    assert [r["outcome"] for r in results] == ["done"] * 3
    assert all(r["dispensed_g"] == pytest.approx(0.2, rel=0.03) for r in results)
    doser_ledger = bench.sim.ledgers()["doser"]
    assert [round(r["dispensed_g"], 4) for r in results] == [round(e["dispensed_g"], 4) for e in doser_ledger]
    completed = ctx.data("dose.completed")
    assert completed == [
        {"planned_g": 0.6, "dispensed_g": round(sum(r["dispensed_g"] for r in results), 4), "portions": 3}
    ]
    assert ctx.additions_running == set()
    assert ctx.doser_answers == 3


async def test_portions_keep_the_minimum_interval_between_starts(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    await drive_on_bench(dose_solid(dose(min_interval="2 min"), ctx), ctx, bench, supervisor)
    starts = ctx.times("portion.start")
    assert len(starts) == 3
    assert all(later - earlier >= 120.0 for earlier, later in itertools.pairwise(starts))


async def test_no_portion_starts_while_the_gate_is_shut_and_the_wait_is_journalled(
    bench: Bench, supervisor: Supervisor
) -> None:
    ctx = RecordingContext(devices=bench.devices)
    ctx.snapshot = await supervisor.poll()
    moves = dose_solid(dose(gate=["Tr <= -50 °C"]), ctx)
    assert await advance(moves, ctx, 20)
    assert ctx.data("portion.start") == []
    assert [s.command for s in ctx.sent] == ["tolerance", "last-dose"]
    waiting = ctx.data("portion.waiting")
    assert len(waiting) == 1
    assert waiting[0]["portion"] == 1
    assert any("Tr <= -50" in reason for reason in waiting[0]["for"])
    assert ctx.progress is not None
    assert ctx.progress.startswith("portion 1/3 waits for")
    await moves.aclose()


async def test_a_run_blocker_holds_the_portion_like_a_gate(bench: Bench, supervisor: Supervisor) -> None:
    ctx = RecordingContext(devices=bench.devices, blockers=["run paused"])
    ctx.snapshot = await supervisor.poll()
    moves = dose_solid(dose(), ctx)
    assert await advance(moves, ctx, 5)
    assert ctx.data("portion.waiting") == [{"portion": 1, "for": ["run paused"]}]
    assert ctx.data("portion.start") == []
    await moves.aclose()


def _record(sample_id: str, outcome: bytes | None) -> list[Send]:
    """The Quantos' `QRD 2 4 12` answer: this portion's 0.2 g, with the outcome line as given (None: none)."""
    lines = [b"<Sample_ID>" + sample_id.encode() + b"</Sample_ID>", b'<Content Unit="mg">200.0</Content>']
    if outcome is not None:
        lines.append(b"<Outcome>" + outcome + b"</Outcome>")
    return [Send(b"QRD 2 4 12 B\r\n"), *(Send(line + b"\r\n") for line in lines), Send(b"QRD 2 4 12 A\r\n")]


async def _doser_answering(*steps: Expect | Send) -> tuple[ScriptedPeer, QuantosDoser]:
    peer = await ScriptedPeer(list(steps)).start()
    _, doser = await open_quantos(peer.url, timeout_s=1.0, dose_timeout_s=120.0)
    return peer, doser


def _journalled_start(ctx: RecordingContext, sample: str) -> Record:
    data = {"portion": 1, "target_g": 0.2, "sample_id": sample}
    return Record(1, ctx.run_id or "", 90.0, "", RecordKind.PORTION_START, "s1", data)


@pytest.mark.parametrize(
    ("stated", "how"),
    [
        (b"complete", "reconciled"),
        (None, "failed"),
        (b"", "failed"),
        (b"running", "failed"),
        (b"ok", "failed"),
    ],
)
async def test_after_a_restart_only_a_record_stating_completion_settles_the_portion_as_done(
    stated: bytes | None, how: str
) -> None:
    """The link lost the dose's end; the doser's record is the only evidence. Without an outcome it states (no
    tag, an empty one, a word the driver does not know) the portion is not counted done: a person is asked."""
    ctx = RecordingContext()
    sample = f"{ctx.run_id[-6:] if ctx.run_id else 'run'}-1"
    peer, doser = await _doser_answering(Expect(b"QRD 2 4 12\r\n"), *_record(sample, stated))
    try:
        run = Dosing(dose(), ctx, doser)
        pending = run.restore([_journalled_start(ctx, sample)])
        assert pending is not None
        async for _ in run.reconcile(pending):
            pass
        await peer.finish()
    finally:
        await doser.close()
        await peer.stop()
    [result] = ctx.data("portion.result")
    assert result["outcome"] == how
    assert result["dispensed_g"] == pytest.approx(0.2)
    assert run.dispensed_g == pytest.approx(0.2)
    if how == "reconciled":
        assert run.done == 1
        assert result["code"] is None
        assert ctx.alarms == {}
        assert ctx.pauses == []
    else:
        assert run.done == 0
        assert result["code"] == 0
        assert "doser-error" in ctx.alarms
        assert ctx.pauses == ["doser error on portion 1"]


async def test_a_portion_resolved_from_a_record_without_an_outcome_is_not_done() -> None:
    """The resume path (`resolve`): the same record, asked again after the result was first unreadable."""
    ctx = RecordingContext()
    sample = f"{ctx.run_id[-6:] if ctx.run_id else 'run'}-1"
    peer, doser = await _doser_answering(Expect(b"QRD 2 4 12\r\n"), *_record(sample, None))
    try:
        run = Dosing(dose(), ctx, doser)
        run.restore([_journalled_start(ctx, sample)])
        run.unresolved = (0.2, sample)
        ctx.t += RESOLVE_EVERY_S
        await run.resolve()
        await peer.finish()
    finally:
        await doser.close()
        await peer.stop()
    [result] = ctx.data("portion.result")
    assert (result["outcome"], result["code"], run.done) == ("failed", 0, 0)
    assert result["detail"] == "doser reported no outcome"
    assert ctx.pauses == ["doser error on portion 1"]


async def test_a_stop_before_the_start_went_out_is_a_stopped_portion_of_nothing() -> None:
    """A trip's stop while the portion's start waits for a fence's answer: the start is withheld (the simulator
    never sees it), the portion is journalled as not started with 0 g, no doser alarm or pause comes on top of
    the trip, and the whole portion is still to be dosed."""
    async with held_quantos("tcp") as rig:
        ctx = RecordingContext()
        run = Dosing(dose(), ctx, rig.doser)
        sample = await run.start_portion(0.2)
        sics = rig.doser._sics
        sics.retries, sics.timeout_s = 0, 0.1
        rig.wire.holding = True  # a weight read given up on: the start must send a fence first
        with pytest.raises(DeviceTimeout):
            await rig.balance.immediate_weight()
        sics.timeout_s = 2.0
        task = ctx.spawn(run.portion(0.2, sample))
        await rig.wire.received_line("I2")
        await rig.doser.stop()
        await rig.wire.received_line("QRA 61 4")
        rig.wire.release()
        async with asyncio.timeout(5):
            outcome = await task
        assert "QRA 61 1" not in rig.wire.received
        assert rig.unit.ledger.records() == []
    assert outcome.stopped
    assert outcome.withheld
    [not_started] = ctx.data("portion.not-started")
    assert (not_started["portion"], not_started["sample_id"], not_started["dispensed_g"]) == (1, sample, 0.0)
    assert ctx.data("portion.result") == []
    assert ctx.alarms == {}
    assert ctx.pauses == []
    assert ctx.doser_fault is None
    assert [s.command for s in ctx.sent] == ["target", "sample-id"]  # nothing to read back
    assert ctx.additions_running == set()
    assert (run.done, run.dispensed_g) == (0, 0.0)
    assert run.next_target() == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("outcome", "code", "expected"),
    [
        (DoseEnd.COMPLETED, None, None),
        (None, None, 0),
        (DoseEnd.UNKNOWN, None, 0),
        (DoseEnd.FAILED, 7, 7),
        (DoseEnd.STOPPED, 8, 8),
    ],
)
def test_only_a_record_stating_completion_is_a_clean_end(
    outcome: DoseEnd | None, code: int | None, expected: int | None
) -> None:
    """Any doser's record, not only the Quantos': one that states no outcome is not a clean end either."""
    assert _code(DoseResult("abcdef-1", 0.2, outcome, 0.0, code)) == expected


async def test_a_stop_that_reached_the_doser_before_the_start_is_a_stop_not_a_doser_error() -> None:
    """The Quantos answers the start `I 8` at once (the trip's stop came first): nothing was dispensed, the
    doser's record is still the earlier portion's, and no doser alarm or pause comes on top of the trip."""
    ctx = RecordingContext()
    tag = ctx.run_id[-6:] if ctx.run_id else "run"
    peer, doser = await _doser_answering(
        Expect(b"QRA 61 1\r\n"),
        Send(b"QRA 61 1 I 8\r\n"),
        Expect(b"QRD 2 4 12\r\n"),
        *_record(f"{tag}-1", b"complete"),
    )
    try:
        run = Dosing(dose(), ctx, doser)
        outcome = await run.portion(0.2, f"{tag}-2")
        await peer.finish()
    finally:
        await doser.close()
        await peer.stop()
    assert outcome.stopped
    assert outcome.code == 8
    [not_started] = ctx.data("portion.not-started")
    assert (not_started["sample_id"], not_started["doser_last_sample_id"]) == (f"{tag}-2", f"{tag}-1")
    assert ctx.alarms == {}
    assert ctx.pauses == []
    assert (run.done, run.dispensed_g) == (0, 0.0)
