"""Portion-wise solid dosing: each portion waits for the permit, is journalled before its start goes out, and
is settled from the doser's own record of what it dispensed.

Exactly once: `portion.start` is committed before `QRA 61 1` is written. If the dose's outcome is lost (link
down, timeout) the start is never re-sent; the doser's last result is read instead and recorded. A shortfall
(a stopped or failed portion) is carried into the next portions' targets, never dosed blindly again.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from devices.errors import DeviceError, DeviceReplyError, DoseStartWithheld, DosingFailed, OutcomeUnknown
from devices.roles import DoseEnd, Doser, DoseResult
from labctl.engine.alarms import Level
from labctl.engine.errors import EngineError
from labctl.engine.estimators import oxidant_mol_per_g
from labctl.engine.permit import DosingPermit
from labctl.engine.step_context import StepContext
from labctl.engine.steps.heat_balance import calibrated
from labctl.engine.steps.manual import confirmed
from labctl.journal import Record
from labctl.journal.kinds import RecordKind
from labctl.masses import grams
from labctl.protocol.conditions import Signal
from labctl.protocol.steps import DoseSolid

UNJOURNALLED_ALARM = "doser-ahead-of-journal"
_STIR_BY_HAND = (
    "labctl cannot see this rig's stirrer (no stirrer instrument): confirm that the mass is stirred before "
    "{material} is dosed, and stop the run if stirring stops"
)
ACCUMULATION_ALARM = "accumulation-high"
ACCUMULATION_MARGIN_K = 2.0
"""The measured MTSR may sit this far over the cap after a portion (the fit's rise per mole settling) before a
person is called."""
RESOLVE_EVERY_S = 10.0
"""How often a portion whose result the doser could not give (still busy, the link just back) is asked again."""
RECONCILE_ALARM_S = 900.0
"""The longest a Quantos dose may run (its own timeout): past this, not knowing is a person's problem."""


@dataclass(frozen=True)
class DoseOutcome:
    """How a dose ended as far as the link could tell: `code` None = done, else the doser's error number."""

    code: int | None = None
    unknown: str | None = None
    error: str | None = None
    stopped: bool = False
    """Stopped on command (a trip or an abort), not failed by itself."""
    withheld: bool = False
    """The stop came before the start went out: the start was never sent, nothing was dispensed."""


async def _dose(doser: Doser) -> DoseOutcome:
    try:
        await doser.dose()
    except DosingFailed as exc:
        return DoseOutcome(code=exc.error_code, error=exc.message, stopped=exc.outcome is DoseEnd.STOPPED)
    except DoseStartWithheld as exc:
        return DoseOutcome(code=0, error=exc.message, stopped=True, withheld=True)
    except OutcomeUnknown as exc:
        return DoseOutcome(unknown=exc.message)
    except DeviceError as exc:
        return DoseOutcome(unknown=str(exc))
    return DoseOutcome()


class Dosing:
    def __init__(self, step: DoseSolid, ctx: StepContext, doser: Doser) -> None:
        self.step, self.ctx, self.doser = step, ctx, doser
        self.count = step.portion_count()
        self.done = 0
        self.dispensed_g = 0.0
        self.permit = DosingPermit(step.gate, step.min_interval)
        self.last_start: float | None = None
        self.first_start: float | None = None
        self.window_noted = False
        self.mol_per_g = oxidant_mol_per_g(ctx.material(step.material))
        self._blockers: list[str] = []
        self.starts = 0
        self.lost_starts = False
        """The doser holds a dose of this run the journal does not: nothing more is dosed in this run."""
        self._tag = (ctx.run_id or "run")[-6:]
        self.unresolved: tuple[float, str] | None = None
        """(target, sample id) of a portion whose result the doser did not give: asked again, never re-sent."""
        self._asked_at = 0.0

    def restore(self, records: list[Record]) -> Record | None:
        """Progress from before a restart; returns a `portion.start` whose outcome was never recorded."""
        pending: Record | None = None
        for r in records:
            if r.kind == RecordKind.PORTION_START:
                self.starts += 1
                pending = r
                self.last_start = r.t_s
                self.first_start = r.t_s if self.first_start is None else self.first_start
            elif r.kind in (RecordKind.PORTION_RESULT, RecordKind.PORTION_NOT_STARTED):
                pending = None
                self.dispensed_g += r.data.get("dispensed_g") or 0.0
                if r.data.get("outcome") in ("done", "reconciled"):
                    self.done += 1
        return pending

    async def doser_agrees(self) -> bool:
        """The doser's own last record against the journal, before any start: a journal that lost its tail (a
        damaged WAL) would otherwise re-send a start the doser already carried out."""
        try:
            last = await self.ctx.send("doser", "last-dose", self.doser.last_dose())
        except DeviceReplyError:
            return True  # `I`: no finished dose on record (or one still running, which refuses a new start)
        return not self.ahead_of_journal(last)

    def ahead_of_journal(self, last: DoseResult) -> bool:
        """One of this run's sample ids numbered beyond the journalled starts: starts were lost with the tail of
        the journal, and what they dispensed is unknown (the doser keeps only its last dose). No portion starts;
        a person decides."""
        ctx = self.ctx
        number = _sample_number(last.sample_id, self._tag)
        if self.lost_starts or number is None or number <= self.starts:
            return self.lost_starts
        self.lost_starts = True
        ctx.record(
            RecordKind.PORTION_UNJOURNALLED,
            {"doser_last_sample_id": last.sample_id, "grams": last.grams, "journalled_starts": self.starts},
        )
        ctx.set_doser_fault("the doser holds a dose the journal lost")
        ctx.raise_alarm(
            UNJOURNALLED_ALARM,
            Level.ALARM,
            f"the doser's last dose {last.sample_id} ({grams(last.grams)}) is not in the journal, which records "
            f"{self.starts} start(s): records were lost; no portion starts. Weigh what is in the flask and "
            "finish the dosing by hand",
        )
        ctx.pause_for_operator("the doser holds a dose the journal lost")
        return True

    def next_target(self) -> float:
        """The rest spread over the portions left; never more than a declared portion plus its tolerance."""
        share = (self.step.total - self.dispensed_g) / (self.count - self.done)
        return min(share, self.step.portion_mass() * (1 + self.step.tolerance / 100))

    def blockers(self) -> list[str]:
        rise = self._rise_k(
            self.next_target() * (1 + self.step.tolerance / 100)
        )  # as much as it may overdose
        reasons = self.ctx.addition_blockers() + self.permit.blockers(
            self.ctx.snapshot, self.last_start, rise
        )
        waits = f" waits for {', '.join(reasons)}" if reasons else " released"
        self.ctx.progress = f"portion {self.done + 1}/{self.count}{waits}; {grams(self.dispensed_g)} dosed"
        if reasons != self._blockers:
            self._blockers = reasons
            if reasons:
                self.ctx.record(RecordKind.PORTION_WAITING, {"portion": self.done + 1, "for": reasons})
        return reasons

    async def start_portion(self, target: float) -> str:
        """Journals the start (with the sample id the doser will record) before it can go out; returns the id."""
        ctx, n = self.ctx, self.done + 1
        ctx.record(RecordKind.PORTION_PLANNED, {"portion": n, "target_g": round(target, 4), "of": self.count})
        await ctx.send("doser", "target", self.doser.set_target(target), grams=round(target, 4))
        self.starts += 1
        sample = f"{self._tag}-{self.starts}"
        await ctx.send("doser", "sample-id", self.doser.set_sample_id(sample), sample_id=sample)
        tr = ctx.snapshot.tr_value()
        ctx.record(
            RecordKind.PORTION_START,
            {"portion": n, "target_g": round(target, 4), "Tr_C": tr, "sample_id": sample},
        )
        ctx.additions_running.add("doser")
        self._count_oxidant(target)
        now = ctx.now()
        self.last_start = now
        self.first_start = self.first_start if self.first_start is not None else now
        return sample

    async def portion(self, target: float, sample: str) -> DoseOutcome:
        """The dose and its settlement in one task, so what was dispensed is recorded even while the run is
        tripped or paused and the step itself is not being advanced."""
        outcome = await _dose(self.doser)
        await self.settle(target, sample, outcome)
        return outcome

    def _rise_k(self, grams: float) -> float:
        """The portion's adiabatic rise: per mole as the model puts it, or as the heat balance measured it if
        that is more."""
        oxidant, calorimeter = self.ctx.oxidant, self.ctx.calorimeter
        if oxidant is None or self.mol_per_g is None:
            return 0.0
        mol = grams * self.mol_per_g
        measured = calorimeter.rise_k(mol) if calorimeter is not None else None
        return max(oxidant.rise_k(mol), measured or 0.0)

    def _count_oxidant(self, grams: float) -> None:
        """Dosed oxidant into the MTSR estimates: the target at the start, the difference once the mass is known."""
        ctx = self.ctx
        if self.mol_per_g is None:
            return
        if ctx.oxidant is not None:
            ctx.oxidant.add(grams * self.mol_per_g)
        if ctx.calorimeter is not None:
            ctx.calorimeter.dosed(ctx.now(), grams * self.mol_per_g)

    async def settle(self, target: float, sample: str, outcome: DoseOutcome) -> None:
        """Record what the doser really dispensed; pause for a person on anything but a clean end."""
        ctx, n = self.ctx, self.done + 1
        ctx.additions_running.discard("doser")
        if outcome.withheld:  # nothing to read: the doser's record is an earlier dose's, or none
            detail = f"stopped before its start was sent ({outcome.error})"
            ctx.record(
                RecordKind.PORTION_NOT_STARTED,
                {"portion": n, "sample_id": sample, "dispensed_g": 0.0, "detail": detail},
            )
            self._after_failure(n, outcome, 0.0)
            return
        try:
            last = await ctx.send("doser", "last-dose", self.doser.last_dose())
        except DeviceError as exc:
            ctx.raise_alarm("doser-result-unknown", Level.ALARM, f"portion {n}: result unreadable: {exc}")
            self.record_result(target, outcome, None, _how(outcome))
            self.unresolved, self._asked_at = (target, sample), ctx.now()
            ctx.additions_running.add("doser")  # it may still be dosing: a trip must be able to stop it
            return
        self.conclude(target, sample, outcome, last, _how(outcome))

    async def resolve(self) -> None:
        """Ask the doser again for the portion it could not account for: a person resumed, so the next portion
        waits only for this answer. Its own record settles it as after a restart (`reconcile`)."""
        ctx = self.ctx
        if self.unresolved is None or ctx.now() - self._asked_at < RESOLVE_EVERY_S:
            return
        self._asked_at = ctx.now()
        target, sample = self.unresolved
        try:
            last = await ctx.send("doser", "last-dose", self.doser.last_dose())
        except DeviceError:
            return  # still busy or unreachable: the permit keeps waiting ("last result unknown")
        self.unresolved = None
        ctx.additions_running.discard("doser")
        if self.ahead_of_journal(last):
            return
        ctx.doser_answered()
        mine = last.sample_id == sample  # another dose's end says nothing about this portion
        self._conclude_from_record(target, sample, last, _code(last) if mine else None)

    def _conclude_from_record(self, target: float, sample: str, last: DoseResult, code: int | None) -> None:
        """A portion the link could not settle, settled by the doser's own record (after a restart, a resume)."""
        outcome = DoseOutcome(
            code=code,
            error=None if code is None else f"doser reported {last.stated or 'no outcome'}",
            stopped=code is not None and last.outcome is DoseEnd.STOPPED,
        )
        self.conclude(target, sample, outcome, last, "reconciled" if code is None else "failed")

    def conclude(self, target: float, sample: str, outcome: DoseOutcome, last: DoseResult, how: str) -> None:
        """The doser's last record settles the portion only if it carries this portion's sample id; otherwise
        the start never reached the doser (a refusal such as `I 5`, a link lost before the send) and nothing
        was dispensed: the earlier portion's mass is not counted twice."""
        ctx, n = self.ctx, self.done + 1
        if last.sample_id != sample:
            ctx.record(
                RecordKind.PORTION_NOT_STARTED,
                {"portion": n, "sample_id": sample, "doser_last_sample_id": last.sample_id},
            )
            if outcome.code is not None or outcome.unknown is not None:
                self._after_failure(n, outcome, 0.0)
            return
        self.record_result(target, outcome, last.grams, how)

    def record_result(self, target: float, outcome: DoseOutcome, mass: float | None, how: str) -> None:
        ctx, n = self.ctx, self.done + 1
        ctx.record(
            RecordKind.PORTION_RESULT,
            {
                "portion": n,
                "target_g": round(target, 4),
                "dispensed_g": mass,
                "code": outcome.code,
                "outcome": how,
                "detail": outcome.unknown or outcome.error,
                "Tr_C": ctx.snapshot.tr_value(),
            },
        )
        if mass is not None:
            self._count_oxidant(mass - target)
        self.dispensed_g += mass or 0.0
        if outcome.code is None and outcome.unknown is None:
            self.done += 1
            ctx.doser_answered()
            return
        self._after_failure(n, outcome, mass)

    async def reconcile(self, pending: Record) -> AsyncGenerator[None, None]:
        """A start was journalled before the restart and nothing after it: ask the doser what its last dose was.
        Its sample id says whether that dose is this portion (record it) or an earlier one (the start never went
        out, nothing was dispensed). Never re-sent either way."""
        ctx, sample = self.ctx, pending.data["sample_id"]
        ctx.record(RecordKind.PORTION_RECONCILING, {"portion": pending.data["portion"], "sample_id": sample})
        ctx.additions_running.add("doser")  # it may still be dosing: a trip must be able to stop it
        asked_since = ctx.now()
        while True:
            try:
                last = await ctx.send("doser", "last-dose", self.doser.last_dose())
                break
            except DeviceError as exc:  # busy finishing that dose (`I`), or the link still coming back
                if ctx.now() - asked_since > RECONCILE_ALARM_S:
                    ctx.raise_alarm(
                        "doser-result-unknown",
                        Level.ALARM,
                        f"portion {pending.data['portion']}: the doser has not said what it dispensed for "
                        f"{RECONCILE_ALARM_S / 60:g} min ({exc}); check the balance before going on",
                    )
                yield
        ctx.additions_running.discard("doser")
        if self.ahead_of_journal(last):
            return
        self._conclude_from_record(pending.data["target_g"], sample, last, _code(last))

    def _after_failure(self, n: int, outcome: DoseOutcome, mass: float | None) -> None:
        ctx = self.ctx
        if mass is None:
            ctx.set_doser_fault("last result unknown")
        if outcome.stopped:
            return  # the trip or abort that stopped it is already the operator's business
        what = outcome.unknown or outcome.error or "dose failed"
        ctx.raise_alarm("doser-error", Level.ALARM, f"portion {n}: {what}; dispensed {mass} g")
        ctx.pause_for_operator(f"doser error on portion {n}")

    def watch_accumulation(self) -> None:
        """With no portion running, the measured MTSR well above the gate's cap means oxidant dosed earlier is
        not reacting as it should (a stall, a mass too cold): a person is told. Cleared below the cap."""
        cap, ctx = self.step.gate_limit(Signal.MTSR), self.ctx
        measured = ctx.snapshot.mtsr_measured_c
        if cap is None or measured is None or "doser" in ctx.additions_running:
            return
        if measured > cap + ACCUMULATION_MARGIN_K:
            ctx.raise_alarm(
                ACCUMULATION_ALARM,
                Level.ALARM,
                f"the heat balance puts the MTSR at {measured:.1f} °C, above the gate's {cap:g} °C with no portion "
                "running: oxidant dosed earlier has not released its heat (stirring? a mass too cold?)",
            )
        elif measured < cap:
            ctx.clear_alarm(ACCUMULATION_ALARM)

    def note_window(self) -> None:
        window = self.step.window
        if window is None or self.window_noted or self.first_start is None:
            return
        if self.ctx.now() - self.first_start > window:
            self.window_noted = True
            self.ctx.record(RecordKind.DOSE_WINDOW_EXCEEDED, {"window_s": window, "portions_done": self.done})
            if self.step.on_window_exceeded == "pause":
                self.ctx.pause_for_operator("dosing window exceeded")


def _sample_number(sample_id: str | None, tag: str) -> int | None:
    """N of this run's `<tag>-N`; None for another run's id or one labctl did not write."""
    if sample_id is None or not sample_id.startswith(f"{tag}-"):
        return None
    number = sample_id[len(tag) + 1 :]
    return int(number) if number.isdigit() else None


def _how(outcome: DoseOutcome) -> str:
    return "unknown-reconciled" if outcome.unknown else ("done" if outcome.code is None else "failed")


def _code(last: DoseResult) -> int | None:
    """The doser's error number for a dose it did not complete (0 if it gave none); None only for a record that
    states completion: a missing or unknown outcome is a person's question, never a clean dose."""
    if last.outcome is DoseEnd.COMPLETED:
        return None
    return 0 if last.code is None else last.code


async def _before_the_first_portion(run: Dosing) -> AsyncGenerator[None, None]:
    """A person confirms a stirrer labctl cannot see; an oxidant's heat balance is calibrated."""
    ctx = run.ctx
    if ctx.devices.stirrer is None:
        async for move in confirmed(ctx, _STIR_BY_HAND.format(material=run.step.material)):
            yield move
    if run.mol_per_g is not None:
        async for move in calibrated(ctx):
            yield move


async def dose_solid(step: DoseSolid, ctx: StepContext) -> AsyncGenerator[None, None]:
    doser = ctx.devices.doser
    if doser is None:
        raise EngineError("dose_solid needs a doser and the rig has none")
    run = Dosing(step, ctx, doser)
    pending = run.restore(ctx.previous())
    if pending is not None:  # first: the doser may still be finishing that dose and refuse settings
        async for move in run.reconcile(pending):
            yield move
    await ctx.send("doser", "tolerance", doser.set_tolerance(step.tolerance), percent=step.tolerance)
    if run.lost_starts or not await run.doser_agrees():
        while True:  # never another start in this run: the person ends it
            yield
    async for move in _before_the_first_portion(run):
        yield move
    while run.done < run.count:
        run.note_window()
        run.watch_accumulation()
        await run.resolve()
        if run.blockers():
            yield
            continue
        target = run.next_target()
        sample = await run.start_portion(target)
        task = ctx.spawn(run.portion(target, sample))
        while not task.done():
            yield
        yield
    ctx.record(
        RecordKind.DOSE_COMPLETED,
        {"planned_g": step.total, "dispensed_g": round(run.dispensed_g, 4), "portions": run.count},
    )
    tolerance_g = step.total * step.tolerance / 100
    if abs(run.dispensed_g - step.total) > tolerance_g:
        ctx.raise_alarm(
            f"{ctx.step_id}-total",
            Level.WARNING,
            f"dosed {grams(run.dispensed_g)} of {grams(step.total)} planned",
        )
