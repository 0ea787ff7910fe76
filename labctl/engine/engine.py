"""The run: steps one after another, each advanced once per supervision cycle, under interlocks and operator
control, with every decision in the journal.

One cycle = sleep one poll period on the engine clock → poll → interlocks (trip actions go out here, before any
step gets its turn) → commands and the operator → the current step's next move. Steps are async generators
that `yield` to wait for the next cycle, so a step never waits on the clock itself and a dry run stays
deterministic. Long instrument jobs (a dose) run as tasks the engine owns; the step watches them finish.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import structlog

from devices.errors import DeviceError
from devices.rig_devices import RigDevices
from devices.roles import ControlMode
from labctl.engine.accumulation import OxidantModel
from labctl.engine.alarms import Alarm, AlarmBoard, Level
from labctl.engine.calorimeter import Calorimeter
from labctl.engine.chiller_guard import ChillerGuard
from labctl.engine.chiller_recovery import ChillerRecovery
from labctl.engine.clock import EngineClock
from labctl.engine.control import CommandResult, Delivery, Prompt, RunState, Verb
from labctl.engine.errors import EngineError, JournalLost, RunAborted
from labctl.engine.estimators import Estimators
from labctl.engine.identities import identify_instruments
from labctl.engine.interlocks import Change, InterlockMonitor
from labctl.engine.notices import notice
from labctl.engine.resume import ResumePoint, step_bands, step_ids
from labctl.engine.snapshot import Snapshot
from labctl.engine.step_temperature import StepTemperature
from labctl.engine.steps import HANDLERS
from labctl.engine.stirring_guard import StirringGuard
from labctl.engine.supervisor import Supervisor, reading_record
from labctl.engine.transitions import check_transition
from labctl.journal import Journal, JournalWriteError, Record
from labctl.journal.kinds import RecordKind
from labctl.protocol.loader import LoadedProtocol
from labctl.protocol.model import Action, Material, Protocol
from labctl.protocol.steps import Step

log = structlog.get_logger("labctl.engine")
T = TypeVar("T")

_LEVELS = {
    Action.WARN: Level.WARNING,
    Action.ALARM: Level.ALARM,
    Action.HOLD: Level.HOLD,
    Action.TRIP: Level.TRIP,
    Action.EMERGENCY: Level.EMERGENCY,
    Action.COMPROMISE: Level.COMPROMISED,
}


DRAIN_CYCLES = 30


class OperatorAbsent(EngineError):
    """A dry run waited longer than allowed for an operator decision nobody is there to make."""


@dataclass(frozen=True)
class EngineOptions:
    period_s: float = 1.0
    operator_timeout_s: float | None = None
    """Dry runs only: end the run (state halted, rig safe) after waiting this long for a person."""
    started_by: str | None = None
    """The person responsible for the run, as the batch record names them (None: not given)."""


Operator = Callable[["Engine"], None]
"""Called once per cycle; a dry run's simulated operator answers prompts through the control API."""


def operators(*hooks: Operator | None) -> Operator | None:
    """Several operator hooks (the console and MQTT commands), each called once per cycle, in this order."""
    present = [hook for hook in hooks if hook is not None]
    if len(present) <= 1:
        return present[0] if present else None

    def each(engine: Engine) -> None:
        for hook in present:
            hook(engine)

    return each


class Engine:
    def __init__(
        self,
        loaded: LoadedProtocol,
        devices: RigDevices,
        journal: Journal,
        clock: EngineClock,
        *,
        options: EngineOptions | None = None,
        operator: Operator | None = None,
    ) -> None:
        self.loaded = loaded
        self.protocol: Protocol = loaded.protocol
        self.devices = devices
        self.journal = journal
        self.clock = clock
        self.options = options or EngineOptions()
        self.operator = operator
        self.state = RunState.STARTING
        self.step_id: str | None = None
        self.alarms = AlarmBoard()
        self.prompt: Prompt | None = None
        self.estimators = Estimators(self.protocol)
        self._step_index = 0
        self.supervisor = Supervisor(
            devices.chiller,
            clock,
            self.options.period_s,
            self.estimators.oxidant,
            balance=devices.balance,
            balance_busy=lambda: "doser" in self.additions_running,
            stirrer=devices.stirrer,
            calorimeter=self.estimators.calorimeter,
        )
        self.interlocks = InterlockMonitor(self.protocol.interlocks)
        self.step_temperature = StepTemperature(self, step_bands(self.protocol))
        self.additions_running: set[str] = set()
        """'doser' / 'pump' while an addition may be flowing: what a trip must stop."""
        self.compromised = False
        self._abort: RunAborted | None = None
        self._waiting_since: float | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._spawned: set[asyncio.Task[Any]] = set()
        self.chiller_guard = ChillerGuard(self)
        self.chiller_recovery = ChillerRecovery(self)
        self.stirring_guard = StirringGuard(self)
        self._previous: dict[str, list[Record]] = {}
        self._notices: list[str] = []
        self._last_poll = clock.now()
        self.progress: str | None = None
        """What the current step is doing or waiting for, in a few words (the next gate of a dose)."""
        self._prompts = 0
        self.journal_failure: JournalWriteError | None = None
        """The first write the journal refused: from then on the run only makes the rig safe and ends."""
        self.sent_unjournalled: list[str] = []

    # --- StepContext (what steps use) and the guards' contexts -----------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    @property
    def snapshot(self) -> Snapshot:
        return self.supervisor.snapshot

    @property
    def oxidant(self) -> OxidantModel | None:
        return self.estimators.oxidant

    @property
    def calorimeter(self) -> Calorimeter | None:
        return self.estimators.calorimeter

    @property
    def run_id(self) -> str | None:
        return self.journal.run_id

    def material(self, material_id: str) -> Material | None:
        return self.protocol.material(material_id)

    async def run_stirrer(self, rpm: float | None) -> None:
        await self.stirring_guard.run_at(rpm)

    def set_doser_fault(self, fault: str) -> None:
        self.supervisor.set_doser_fault(fault)

    def doser_answered(self) -> None:
        self.supervisor.doser_answered()

    def record(self, kind: RecordKind, data: dict[str, Any], *, durable: bool = True) -> None:
        """A record the journal refuses ends the run (JournalLost): the thing it announced does not happen. Once
        it has failed, later records are still offered (they land once the disk has room) but no longer stop
        anything, so the safe state can still be commanded."""
        try:
            self.journal.append(self.now(), kind, data, step=self.step_id, durable=durable)
        except JournalWriteError as exc:
            if self.journal_failure is not None:
                return
            self.journal_failure = exc
            log.error("journal.write-failed", error=str(exc), kind=kind)
            raise JournalLost(exc, []) from None
        line = notice(self.now(), self.step_id, kind, data)
        if line is not None:
            self._notices.append(line)

    def drain_notices(self) -> list[str]:
        """Lines for a person, one per journal record that matters, since the last call."""
        lines, self._notices = self._notices, []
        return lines

    async def send(self, device: str, command: str, call: Awaitable[T], **data: Any) -> T:
        """Journal a command before it goes out and its reply after: what changes the world is written first."""
        self.record(RecordKind.COMMAND, {"device": device, "command": command, **data})
        try:
            result = await call
        except DeviceError as exc:
            self.record(RecordKind.COMMAND_FAILED, {"device": device, "command": command, "error": str(exc)})
            raise
        if self.journal_failure is not None:
            facts = " ".join(f"{name}={value}" for name, value in data.items())
            self.sent_unjournalled.append(f"{device} {command} {facts}".strip())
        self.record(RecordKind.COMMAND_REPLY, {"device": device, "command": command, "reply": _plain(result)})
        return result

    def jobs_running(self) -> bool:
        """Whether a background job (a dose, a pump run) is still under way."""
        return bool(self._spawned)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        assert self._tasks is not None, "the engine is not running"
        task = self._tasks.create_task(coro)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)
        return task

    def raise_alarm(self, alarm_id: str, level: Level, message: str) -> None:
        alarm = Alarm(alarm_id, level, message, self.now(), _reading(self.snapshot))
        if self.alarms.raise_(alarm):
            log.warning("alarm.raised", alarm=alarm_id, level=str(level), message=message)
            self.record(RecordKind.ALARM_RAISED, alarm.as_dict())

    def clear_alarm(self, alarm_id: str) -> None:
        """The alarm's condition is gone; nothing to say when it was never raised or already gone."""
        alarm = self.alarms.get(alarm_id)
        if alarm is None or not alarm.active:
            return
        cleared = self.alarms.condition_gone(alarm_id)
        self.record(
            RecordKind.ALARM_CLEARED if cleared else RecordKind.ALARM_CONDITION_GONE, {"id": alarm_id}
        )

    def open_prompt(
        self, message: str, delivery: Delivery | None = None, on_decline: Callable[[str], None] | None = None
    ) -> Prompt:
        self._prompts += 1
        prompt = Prompt(
            f"{self.step_id}#{self._prompts}",
            self.step_id or "",
            message,
            self.now(),
            delivery=delivery,
            on_decline=on_decline,
        )
        self.prompt = prompt
        facts: dict[str, Any] = {"id": prompt.id, "message": message}
        if delivery is not None:
            facts["delivery"] = asdict(delivery)
        self.record(RecordKind.PROMPT_OPENED, facts)
        return prompt

    def pause_for_operator(self, reason: str) -> None:
        if self.state is RunState.RUNNING:
            self._set_state(RunState.PAUSED, reason, "labctl")

    def addition_blockers(self) -> list[str]:
        """Why no addition may start now, beyond a step's own gate: pause, trip, active `hold` interlocks."""
        blockers = [f"run {self.state}"] if self.state is not RunState.RUNNING else []
        blockers += [f"interlock {i.id} ({i.when})" for i in self.interlocks.active(Action.HOLD)]
        if self.step_temperature.returning:
            blockers.append("Tr back in its band after the resume")
        if self.chiller_recovery.blocks_additions:
            blockers.append("jacket control (process probe missing)")
        return blockers

    @property
    def step_kind(self) -> str | None:
        """The current step's kind (`dose_solid`, …); None before the first step."""
        return self.protocol.steps[self._step_index].step if self.step_id is not None else None

    async def stop_additions(self, because: str) -> None:
        await self._stop_additions(because=because)

    async def trip(self, why: str) -> None:
        """A trip the engine itself decides (stirring lost): additions already stopped, full cooling, wait."""
        await self._trip(why, RunState.TRIPPED)

    @property
    def step_setpoint(self) -> float | None:
        return self.step_temperature.setpoint

    async def set_temperature(self, target: float, control: str) -> None:
        """The temperature the current step asks for: journalled as the step's, so a resume returns to it."""
        if self.devices.chiller is None:
            raise EngineError("this step needs a chiller and the rig has none")
        self.step_temperature.chosen(target, control)
        self.record(RecordKind.SETPOINT_STEP, {"setpoint_C": target, "control": control})
        await self.apply_temperature(target, control)

    async def apply_temperature(self, target: float, control: str, *, start: bool = False) -> None:
        """Control mode, setpoint, and temperature control running: what a step chose, the way back to it, or
        the unit brought back. Without a process probe the jacket is regulated instead, never the mass."""
        chiller = self.devices.chiller
        if chiller is None:
            raise EngineError("this step needs a chiller and the rig has none")
        jacket = self.chiller_recovery.jacket
        if jacket is not None:
            target, control = min(target, jacket.setpoint), "internal"
        mode = ControlMode.PROCESS if control == "process" else ControlMode.INTERNAL
        await self.send("chiller", "control-mode", chiller.set_control_mode(mode), mode=mode.name.lower())
        applied = await self.send("chiller", "setpoint", chiller.set_setpoint(target), setpoint_C=target)
        self.supervisor.note_setpoint(applied.in_force)
        if applied.limited:
            self.raise_alarm(
                "setpoint-limited",
                Level.ALARM,
                f"chiller limited setpoint {target} °C to {applied.in_force} °C",
            )
        status = self.snapshot.status
        if start or status is None or not status.temperature_control:
            await self.send("chiller", "start-temperature-control", chiller.start_temperature_control())

    # --- control API -------------------------------------------------------------------------------------------

    def command(self, verb: Verb, by: str, target: str | None = None) -> CommandResult:
        result = self._decide(verb, by, target)
        self.record(
            RecordKind.OPERATOR_COMMAND,
            {
                "verb": str(verb),
                "by": by,
                "target": target,
                "accepted": result.accepted,
                "reason": result.reason,
            },
        )
        return result

    def _decide(self, verb: Verb, by: str, target: str | None) -> CommandResult:
        if self.state.finished:
            return CommandResult.no(verb, f"the run has ended ({self.state})")
        match verb:
            case Verb.PAUSE:
                if self.state is not RunState.RUNNING:
                    return CommandResult.no(verb, f"run is {self.state}, not running")
                self._decline_delivery(by)
                self._set_state(RunState.PAUSED, "operator pause", by)
            case Verb.RESUME:
                return self._resume(by)
            case Verb.ABORT:
                self._abort = RunAborted(target or "operator abort", by)
            case Verb.ACK_ALARM:
                return self._acknowledge(target, by)
            case Verb.CONFIRM_PROMPT:
                prompt = self.prompt
                if prompt is None or prompt.answered or (target is not None and target != prompt.id):
                    return CommandResult.no(verb, "no such prompt is waiting")
                prompt.answered_by = by
                self.prompt = None
                self.record(RecordKind.PROMPT_CONFIRMED, {"id": prompt.id, "by": by})
        return CommandResult.ok(verb)

    def _decline_delivery(self, by: str) -> None:
        """A pause while a person is asked whether an addition arrived is their answer: it did not."""
        prompt = self.prompt
        if prompt is None or prompt.delivery is None:
            return
        prompt.declined_by = by
        self.prompt = None
        self.record(RecordKind.PROMPT_DECLINED, {"id": prompt.id, "by": by})
        if prompt.on_decline is not None:
            prompt.on_decline(by)

    def _resume(self, by: str) -> CommandResult:
        if self.state is not RunState.PAUSED:
            why = "acknowledge the trip first" if self.state in (RunState.TRIPPED, RunState.EMERGENCY) else ""
            return CommandResult.no(
                Verb.RESUME, f"run is {self.state}, not paused" + (f": {why}" if why else "")
            )
        active = self.interlocks.active(Action.TRIP, Action.EMERGENCY)
        if active:
            return CommandResult.no(Verb.RESUME, f"interlock {active[0].id} still active ({active[0].when})")
        held = self.stirring_guard.resume_blocker
        if held is not None:
            return CommandResult.no(Verb.RESUME, held)
        self._set_state(RunState.RUNNING, "operator resume", by)
        self.step_temperature.pending = True
        return CommandResult.ok(Verb.RESUME)

    def _acknowledge(self, alarm_id: str | None, by: str) -> CommandResult:
        if alarm_id is None:
            return CommandResult.no(Verb.ACK_ALARM, "which alarm? give its id")
        alarm = self.alarms.acknowledge(alarm_id, by)
        if alarm is None:
            return CommandResult.no(Verb.ACK_ALARM, f"no unacknowledged alarm {alarm_id!r}")
        self.record(RecordKind.ALARM_ACKNOWLEDGED, {"id": alarm_id, "by": by})
        if not alarm.active:
            self.record(RecordKind.ALARM_CLEARED, {"id": alarm_id})
        if self.state in (RunState.TRIPPED, RunState.EMERGENCY) and not self.alarms.unacknowledged(
            Level.TRIP, Level.EMERGENCY
        ):
            self._set_state(RunState.PAUSED, "trip acknowledged; resume when safe", by)
        return CommandResult.ok(Verb.ACK_ALARM)

    def _set_state(self, state: RunState, reason: str, by: str) -> None:
        if state is self.state:
            return
        check_transition(self.state, state)
        log.info("run.state", state=str(state), reason=reason, by=by)
        self.record(
            RecordKind.RUN_STATE, {"from": str(self.state), "to": str(state), "reason": reason, "by": by}
        )
        self.state = state
        self._waiting_since = None if state is RunState.RUNNING else self.now()

    # --- the run -------------------------------------------------------------------------------------------------

    async def run(self, resume: ResumePoint | None = None) -> RunState:
        instruments = await identify_instruments(self.devices)
        if resume is None:
            self.record(
                RecordKind.RUN_STARTED,
                {
                    "protocol": self.protocol.metadata.name,
                    "rig": self.devices.name,
                    "operator": self.options.started_by,
                    "instruments": instruments,
                },
            )
        else:
            self._restore(resume, instruments)
        try:
            try:
                async with asyncio.TaskGroup() as tasks:
                    self._tasks = tasks
                    await self._steps(resume)
            except asyncio.CancelledError:
                self._set_state(
                    RunState.FAILED, "interrupted (the controller was stopped); resumable", "labctl"
                )
                raise
            except BaseException as exc:
                self._set_state(RunState.FAILED, f"{type(exc).__name__}: {exc}", "labctl")
                if self.journal_failure is None:
                    raise
        finally:
            self._tasks = None
            await self._leave_safe()
            self.record(RecordKind.RUN_ENDED, {"state": str(self.state), "compromised": self.compromised})
        if self.journal_failure is not None:
            self._say_what_went_unjournalled()
            raise JournalLost(self.journal_failure, self.sent_unjournalled)
        return self.state

    def _say_what_went_unjournalled(self) -> None:
        """Offered to the journal in case the disk has room again by now; the error names it either way."""
        failure = str(self.journal_failure)
        self.record(
            RecordKind.JOURNAL_COMMANDS_UNJOURNALLED, {"sent": self.sent_unjournalled, "failure": failure}
        )

    async def _steps(self, resume: ResumePoint | None) -> None:
        """All steps in order (from the resume point on); an abort or an absent operator ends the run here, with
        its instrument jobs stopped and cancelled, so the task group only ever sees real failures."""
        first = resume.step_index if resume is not None else 0
        try:
            await self._observe()
            await self.chiller_guard.program()
            if self.state is not RunState.STARTING:
                pass  # the first poll already tripped the run: it waits for a person, whatever came before
            elif resume is None or resume.state is RunState.RUNNING:
                await self._reapply_setpoint(resume)
                self._set_state(RunState.RUNNING, "start" if resume is None else "resumed", "labctl")
            else:
                self._set_state(resume.state, "resumed as it was left: waiting for an operator", "labctl")
            ids = step_ids(self.protocol)
            for index in range(first, len(ids)):
                self._step_index = index
                step = self.protocol.steps[index]
                await self._run_step(ids[index], step)
            if self.state in (RunState.TRIPPED, RunState.EMERGENCY):
                # resumed tripped after its last step: it ends only once a person has let it go on
                await self._cycle()
            self._set_state(*self._outcome())
        except RunAborted as exc:
            await self._stop_additions(because="abort")
            self._set_state(RunState.ABORTED, exc.reason, exc.by)
        except OperatorAbsent as exc:
            await self._stop_additions(because="no operator")
            self._set_state(RunState.HALTED, str(exc), "labctl")
        except JournalLost:
            await self._stop_additions(because="journal write failure")  # before a dose is let finish
            raise
        finally:
            await self._drain()

    def _outcome(self) -> tuple[RunState, str, str]:
        """All steps done; what that means for the batch is said in the state, never a bare `completed`."""
        if self.compromised:
            return RunState.COMPROMISED, "all steps done; the batch was marked compromised", "labctl"
        waiting = [a.id for a in self.alarms.unacknowledged()]
        if waiting:
            return (
                RunState.COMPLETED_WITH_DEVIATIONS,
                f"all steps done; never acknowledged: {', '.join(waiting)}",
                "labctl",
            )
        return RunState.COMPLETED, "all steps done", "labctl"

    def _restore(self, resume: ResumePoint, instruments: dict[str, dict[str, str | None]]) -> None:
        self._previous = resume.previous
        self.compromised = resume.compromised
        self.estimators.restore(resume.unreacted_mol, resume.heat_balance, resume.step_index)
        for record in resume.alarms:
            data = record.data
            alarm = Alarm(
                data["id"], Level(data["level"]), data["message"], record.t_s, data.get("reading", {})
            )
            alarm.acknowledged_by = "(before restart)" if data["id"] in resume.acknowledged else None
            self.alarms.raise_(alarm)
        if resume.step_setpoint is not None:
            self.step_temperature.chosen(*resume.step_setpoint)
        self.stirring_guard.restore(resume.stirrer_held, self.now())
        self.record(
            RecordKind.RUN_RESUMED,
            {
                "step_index": resume.step_index,
                "state": str(resume.state),
                "open_alarms": [r.data["id"] for r in resume.alarms],
                "stirrer_restart_held": resume.stirrer_held is not None,
                "by": self.options.started_by,
                "instruments": instruments,
            },
        )

    async def _reapply_setpoint(self, resume: ResumePoint | None) -> None:
        """The unit's watchdog may have moved it to the safe setpoint while labctl was down."""
        if resume is not None and resume.step_setpoint is not None:
            await self.set_temperature(*resume.step_setpoint)

    def previous(self) -> list[Record]:
        """The current step's records from before a restart; empty on a first run."""
        return self._previous.get(self.step_id or "", [])

    async def _drain(self) -> None:
        """Instrument jobs still running when the steps end (a stopped dose finishing) get a little process
        time to report what they did, then are cancelled."""
        for _ in range(DRAIN_CYCLES):
            if not self._spawned:
                return
            await self.clock.sleep(self.options.period_s)
        for task in list(self._spawned):
            task.cancel()

    async def _run_step(self, step_id: str, step: Step) -> None:
        if self.state is not RunState.RUNNING:
            await self._cycle()  # a step never begins while the run is paused or tripped
        self.step_id = step_id
        self.progress = None
        self.supervisor.for_step(step.supervision_period(), step.supervision_conditions())
        self.record(RecordKind.STEP_STARTED, {"kind": step.step})
        self.estimators.step_started(step)
        async with contextlib.aclosing(HANDLERS.moves(step, self)) as moves:
            async for _ in moves:
                await self._cycle()
        self.estimators.step_completed(step)
        self.record(RecordKind.STEP_COMPLETED, {"kind": step.step})

    async def _cycle(self) -> None:
        while True:
            period = self.supervisor.pace(
                calm=self.state is RunState.RUNNING and not self.alarms.open_alarms()
            )
            await self.clock.sleep(self._last_poll + period - self.now())
            await self._observe()
            if self.operator is not None:
                self.operator(self)
            if self._abort is not None:
                raise self._abort
            if self.state is RunState.RUNNING:
                await self.step_temperature.restore()
                return
            self._check_waiting()

    def _check_waiting(self) -> None:
        limit = self.options.operator_timeout_s
        since = self._waiting_since
        if limit is not None and since is not None and self.now() - since > limit:
            raise OperatorAbsent(f"no operator answered within {limit / 60:g} min while {self.state}")

    async def _observe(self) -> None:
        self._last_poll = self.now()
        await self.chiller_guard.feed()
        snap = await self.supervisor.poll()
        compromise = self.estimators.observe(snap, self._step_index)
        if compromise is not None and not self.compromised:
            self.raise_alarm(compromise.alarm_id, Level.COMPROMISED, compromise.message)
            self.compromised = True
            self.record(RecordKind.BATCH_COMPROMISED, compromise.facts)
        self.record(
            RecordKind.READING, reading_record(snap) | self.estimators.reading_fields(), durable=False
        )
        for change in self.interlocks.evaluate(snap, self.step_id):
            await self._interlock_changed(change)
        if self.state is RunState.RUNNING:
            await self.step_temperature.advance()  # after the interlocks: a trip's stops go out first
        await self.chiller_recovery.check()
        await self.stirring_guard.check()

    async def _interlock_changed(self, change: Change) -> None:
        lock = change.interlock
        stopping = change.active and lock.action in (Action.TRIP, Action.EMERGENCY)
        if stopping:
            await self._stop_additions(because=lock.id)  # before anything else is written: latency matters
        self.record(RecordKind.INTERLOCK, {"id": lock.id, "when": str(lock.when), "active": change.active})
        if not change.active:
            self.clear_alarm(lock.id)
            return
        self.raise_alarm(lock.id, _LEVELS[lock.action], lock.message or f"{lock.when}")
        if stopping:
            await self._trip(lock.id, RunState.TRIPPED if lock.action is Action.TRIP else RunState.EMERGENCY)
        elif lock.action is Action.COMPROMISE and not self.compromised:
            self.compromised = True
            self.record(RecordKind.BATCH_COMPROMISED, {"interlock": lock.id})

    async def _trip(self, why: str, state: RunState) -> None:
        """Additions are already stopped; full cooling, and wait for a person: never resumes by itself."""
        self.step_temperature.stop()
        await self.chiller_guard.full_cooling()
        if not (self.state is RunState.EMERGENCY and state is RunState.TRIPPED):
            self._set_state(state, f"interlock {why}", "labctl")

    async def _stop_additions(self, because: str = "end of run") -> None:
        """Each stop is journalled before it goes out, like every command that changes the world."""
        if "doser" in self.additions_running and self.devices.doser is not None:
            with contextlib.suppress(DeviceError):
                await self.send("doser", "stop", self.devices.doser.stop(), because=because)
        if "pump" in self.additions_running and self.devices.pump is not None:
            with contextlib.suppress(DeviceError):
                await self.send("pump", "stop", self.devices.pump.stop(), because=because)

    async def _leave_safe(self) -> None:
        """Additions stopped; after anything but a completed run the chiller goes to the safe setpoint. The
        chiller is never switched off."""
        with contextlib.suppress(Exception):
            await self._stop_additions()
        if not self.state.clean:
            with contextlib.suppress(Exception):
                await self.chiller_guard.full_cooling()
        await self.chiller_guard.disarm()


def _plain(value: object) -> object:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    fields = getattr(value, "__dataclass_fields__", None)
    if fields is not None:
        return {name: _plain(getattr(value, name)) for name in fields}
    return str(value)


def _reading(snap: Snapshot) -> dict[str, Any]:
    rec = reading_record(snap)
    return {k: rec[k] for k in ("Tr_C", "Tj_C", "dTr_dt_K_min", "MTSR_C")}
