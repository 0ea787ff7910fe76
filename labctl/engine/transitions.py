"""Which run state may follow which: every change of state goes through `check_transition`.

The table is what the engine does: a run starts (or resumes as it was left: paused, tripped, in emergency),
pauses and resumes, trips from anywhere it is alive (an emergency is never lowered to a trip), leaves a trip
only through a person's acknowledgement (to paused), and ends once. Aborted and halted come from a person or
their absence while the run is alive (a run resumed from before its first state waits in starting, and can
only be aborted). Failed can follow anything but itself: the controller can fail or be
stopped at any moment, even while instrument jobs drain after the outcome.
"""

from __future__ import annotations

from labctl.engine.control import RunState
from labctl.engine.errors import EngineError

S = RunState

_OUTCOMES = frozenset({S.COMPLETED, S.COMPLETED_WITH_DEVIATIONS, S.COMPROMISED})
"""All steps done. A step's last move may pause the run just before it ends, so paused may end as well."""

ALLOWED: dict[RunState, frozenset[RunState]] = {
    S.STARTING: frozenset({S.RUNNING, S.PAUSED, S.TRIPPED, S.EMERGENCY, S.ABORTED, S.FAILED}),
    S.RUNNING: frozenset({S.PAUSED, S.TRIPPED, S.EMERGENCY, S.ABORTED, S.FAILED}) | _OUTCOMES,
    S.PAUSED: frozenset({S.RUNNING, S.TRIPPED, S.EMERGENCY, S.ABORTED, S.HALTED, S.FAILED}) | _OUTCOMES,
    S.TRIPPED: frozenset({S.PAUSED, S.EMERGENCY, S.ABORTED, S.HALTED, S.FAILED}),
    S.EMERGENCY: frozenset({S.PAUSED, S.ABORTED, S.HALTED, S.FAILED}),
    S.COMPLETED: frozenset({S.FAILED}),
    S.COMPLETED_WITH_DEVIATIONS: frozenset({S.FAILED}),
    S.COMPROMISED: frozenset({S.FAILED}),
    S.ABORTED: frozenset({S.FAILED}),
    S.HALTED: frozenset({S.FAILED}),
    S.FAILED: frozenset(),
}


class ImpossibleTransition(EngineError):
    """A change of run state the table does not allow: a bug in the engine, never an operator's mistake (the
    control API refuses those with a reason)."""

    def __init__(self, from_state: RunState, to_state: RunState) -> None:
        super().__init__(f"the run cannot go from {from_state} to {to_state}")
        self.from_state = from_state
        self.to_state = to_state


def allowed(from_state: RunState, to_state: RunState) -> bool:
    return to_state in ALLOWED[from_state]


def check_transition(from_state: RunState, to_state: RunState) -> None:
    if not allowed(from_state, to_state):
        raise ImpossibleTransition(from_state, to_state)
