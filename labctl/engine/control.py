"""The one in-process control surface: pause, resume, abort, acknowledge an alarm, confirm a prompt.

The CLI, a dry run's simulated operator and (later) MQTT all call these; each call answers at once with
accepted or rejected and a reason, and an accepted command is journalled with who sent it. Effects on the
instruments happen in the engine's own cycle, never in the caller's task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class RunState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    TRIPPED = "tripped"
    EMERGENCY = "emergency"
    COMPLETED = "completed"
    """Every step done, nothing left open: no alarm waiting for a person, the batch intact."""
    COMPLETED_WITH_DEVIATIONS = "completed with deviations"
    """Every step done, but an alarm was never acknowledged or an addition is not known to be complete."""
    COMPROMISED = "batch compromised"
    """Every step done (or the run ended) with the batch marked compromised: what it made is not the product."""
    ABORTED = "aborted"
    FAILED = "failed"
    HALTED = "halted"
    """A dry run that ended waiting for an operator nobody plays."""

    @property
    def finished(self) -> bool:
        return self in (
            RunState.COMPLETED,
            RunState.COMPLETED_WITH_DEVIATIONS,
            RunState.COMPROMISED,
            RunState.ABORTED,
            RunState.FAILED,
            RunState.HALTED,
        )

    @property
    def clean(self) -> bool:
        """The one outcome a command may report as success (exit 0)."""
        return self is RunState.COMPLETED


EXIT_CODES = {
    RunState.COMPLETED: 0,
    RunState.COMPLETED_WITH_DEVIATIONS: 3,
    RunState.COMPROMISED: 4,
}


def exit_code(state: RunState) -> int:
    """0 only for a clean completion; 3 completed with deviations, 4 batch compromised, 1 anything else."""
    return EXIT_CODES.get(state, 1)


class Verb(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    ABORT = "abort"
    ACK_ALARM = "ack-alarm"
    CONFIRM_PROMPT = "confirm-prompt"


@dataclass(frozen=True)
class CommandResult:
    verb: Verb
    accepted: bool
    reason: str

    @classmethod
    def ok(cls, verb: Verb, reason: str = "accepted") -> CommandResult:
        return cls(verb, True, reason)

    @classmethod
    def no(cls, verb: Verb, reason: str) -> CommandResult:
        return cls(verb, False, reason)


@dataclass(frozen=True)
class Delivery:
    """What a person is asked to see with their own eyes: that `planned_ml` left the reservoir of `device` since
    `since_s` (its pump's counter cannot tell an empty reservoir from a full one). A dry run's simulated chemist
    looks at the simulated bench for it."""

    device: str
    planned_ml: float
    since_s: float


@dataclass
class Prompt:
    id: str
    step: str
    message: str
    opened_at: float
    answered_by: str | None = None
    delivery: Delivery | None = None
    """Set for a prompt that asks whether an addition really arrived: a pause in its place means no."""
    on_decline: Callable[[str], None] | None = field(default=None, repr=False, compare=False)
    """Called with who said no, as they say it: the journal has it even if nobody ever resumes."""
    declined_by: str | None = None

    @property
    def answered(self) -> bool:
        return self.answered_by is not None

    @property
    def declined(self) -> bool:
        return self.declined_by is not None
