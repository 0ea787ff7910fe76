"""Every kind of record a run's journal holds: one vocabulary for the engine that writes and the report, telemetry,
resume and summaries that read, so a misspelt kind fails where it is written instead of matching nothing."""

from __future__ import annotations

from enum import StrEnum

from labctl.errors import LabctlError


class RecordKind(StrEnum):
    # the run
    PROTOCOL_LOADED = "protocol.loaded"
    PROTOCOL_CHECKED = "protocol.checked"
    RUN_STARTED = "run.started"
    RUN_RESUMED = "run.resumed"
    RUN_STATE = "run.state"
    RUN_ENDED = "run.ended"
    BATCH_COMPROMISED = "batch.compromised"
    # steps
    STEP_STARTED = "step.started"
    STEP_PROGRESS = "step.progress"
    STEP_COMPLETED = "step.completed"
    WAIT_UNTIL_REACHED = "wait_until.reached"
    HOLD_LEFT_BAND = "hold.left-band"
    HOLD_BACK_IN_BAND = "hold.back-in-band"
    SETPOINT_STEP = "setpoint.step"
    SETPOINT_RESTORED = "setpoint.restored"
    SETPOINT_BACK_IN_BAND = "setpoint.back-in-band"
    STIR = "stir"
    CHARGE_CONFIRMED = "charge.confirmed"
    # solid dosing
    PORTION_PLANNED = "portion.planned"
    PORTION_WAITING = "portion.waiting"
    PORTION_START = "portion.start"
    PORTION_RESULT = "portion.result"
    PORTION_NOT_STARTED = "portion.not-started"
    PORTION_RECONCILING = "portion.reconciling"
    PORTION_UNJOURNALLED = "portion.unjournalled"
    DOSE_WINDOW_EXCEEDED = "dose.window-exceeded"
    DOSE_COMPLETED = "dose.completed"
    # the heat balance
    CALORIMETRY_CALIBRATED = "calorimetry.calibrated"
    CALORIMETRY_REJECTED = "calorimetry.rejected"
    CALORIMETRY_WAIVED = "calorimetry.waived"
    # pumped additions
    PUMP_START = "pump.start"
    PUMP_RESULT = "pump.result"
    PUMP_NOT_STARTED = "pump.not-started"
    PUMP_RECONCILING = "pump.reconciling"
    PUMP_STOPPED_SHORT = "pump.stopped-short"
    PUMP_COMPLETED = "pump.completed"
    # quench
    QUENCH_STARTED = "quench.started"
    QUENCH_PAUSED = "quench.paused"
    QUENCH_CONFIRMED = "quench.confirmed"
    QUENCH_UNCONFIRMED = "quench.unconfirmed"
    QUENCH_INCOMPLETE = "quench.incomplete"
    QUENCH_COMPLETED = "quench.completed"
    # supervision
    READING = "reading"
    INTERLOCK = "interlock"
    ALARM_RAISED = "alarm.raised"
    ALARM_ACKNOWLEDGED = "alarm.acknowledged"
    ALARM_CONDITION_GONE = "alarm.condition-gone"
    ALARM_CLEARED = "alarm.cleared"
    CHILLER_RECOVERING = "chiller.recovering"
    CHILLER_RECOVERED = "chiller.recovered"
    CHILLER_RECOVERY_FAILED = "chiller.recovery-failed"
    CHILLER_RECOVERY_REFUSED = "chiller.recovery-refused"
    CHILLER_RESTARTED = "chiller.restarted"
    CHILLER_JACKET_CONTROL = "chiller.jacket-control"
    CHILLER_PROCESS_CONTROL = "chiller.process-control"
    STIRRING_LOST = "stirring.lost"
    STIRRING_RESTORED = "stirring.restored"
    STIRRER_RESTART = "stirrer.restart"
    # people and instruments
    PROMPT_OPENED = "prompt.opened"
    PROMPT_CONFIRMED = "prompt.confirmed"
    PROMPT_DECLINED = "prompt.declined"
    OPERATOR_COMMAND = "operator.command"
    COMMAND = "command"
    COMMAND_REPLY = "command.reply"
    COMMAND_FAILED = "command.failed"
    # the journal itself
    JOURNAL_WRITE_FAILED = "journal.write-failed"
    JOURNAL_COMMANDS_UNJOURNALLED = "journal.commands-unjournalled"

    @property
    def family(self) -> str:
        """The part before the first dot (`alarm` of `alarm.raised`): what `Journal.records` selects by prefix."""
        return self.value.partition(".")[0]


class UnknownRecordKind(LabctlError, ValueError):
    """A record kind outside the vocabulary: a writer's typo or a kind nobody added to RecordKind."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"{kind!r} is not a journal record kind (labctl.journal.kinds.RecordKind)")


def record_kind(kind: RecordKind | str) -> RecordKind:
    """The vocabulary's member for `kind`; UnknownRecordKind for any other string."""
    try:
        return RecordKind(kind)
    except ValueError:
        raise UnknownRecordKind(str(kind)) from None


def families(*names: str) -> tuple[str, ...]:
    """Family names (`alarm`, `portion`) as `Journal.records` selects them by prefix, each checked to name at
    least one kind: a misspelt family would select nothing, silently."""
    known = {k.family for k in RecordKind}
    for name in names:
        if name not in known:
            raise UnknownRecordKind(name)
    return names


def of_family(name: str) -> frozenset[RecordKind]:
    """Every kind of one family: `of_family("alarm")` is raised, acknowledged, condition-gone and cleared."""
    return frozenset(k for k in RecordKind if k.family == families(name)[0])
