"""The run-state table: what the engine does today is allowed, anything else is a typed error."""

from __future__ import annotations

import pytest

from labctl.engine.control import RunState
from labctl.engine.errors import EngineError
from labctl.engine.transitions import ALLOWED, ImpossibleTransition, allowed, check_transition

S = RunState


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.STARTING, S.RUNNING),  # start
        (S.STARTING, S.PAUSED),  # resumed as it was left
        (S.STARTING, S.TRIPPED),  # the first poll tripped the run
        (S.RUNNING, S.PAUSED),  # operator pause, or a step pauses for a person
        (S.PAUSED, S.RUNNING),  # operator resume
        (S.RUNNING, S.TRIPPED),
        (S.PAUSED, S.EMERGENCY),
        (S.TRIPPED, S.EMERGENCY),
        (S.TRIPPED, S.PAUSED),  # the trip acknowledged
        (S.EMERGENCY, S.PAUSED),
        (S.RUNNING, S.COMPLETED),
        (S.RUNNING, S.COMPLETED_WITH_DEVIATIONS),
        (S.PAUSED, S.COMPROMISED),  # a hold's last move paused the run
        (S.RUNNING, S.ABORTED),
        (S.TRIPPED, S.HALTED),  # a dry run nobody answers
        (S.COMPLETED, S.FAILED),  # a job failing while it drains
        (S.STARTING, S.FAILED),
    ],
)
def test_what_the_engine_does_is_allowed(before: RunState, after: RunState) -> None:
    assert allowed(before, after)
    check_transition(before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (S.TRIPPED, S.RUNNING),  # a trip never resumes by itself, nor by a resume: acknowledge first
        (S.EMERGENCY, S.RUNNING),
        (S.EMERGENCY, S.TRIPPED),  # an emergency is never lowered to a trip
        (S.STARTING, S.COMPLETED),
        (S.TRIPPED, S.COMPLETED),  # steps do not advance while tripped
        (S.RUNNING, S.HALTED),  # only a wait for a person can halt
        (S.COMPLETED, S.RUNNING),
        (S.ABORTED, S.PAUSED),
        (S.FAILED, S.RUNNING),
        (S.FAILED, S.STARTING),
        (S.RUNNING, S.STARTING),
        (S.COMPROMISED, S.COMPLETED),
    ],
)
def test_anything_else_is_refused_with_both_states(before: RunState, after: RunState) -> None:
    assert not allowed(before, after)
    with pytest.raises(ImpossibleTransition) as refused:
        check_transition(before, after)
    assert isinstance(refused.value, EngineError)
    assert (refused.value.from_state, refused.value.to_state) == (before, after)
    assert str(refused.value) == f"the run cannot go from {before} to {after}"


def test_every_state_has_a_row_and_the_ends_only_lead_to_failed() -> None:
    assert set(ALLOWED) == set(RunState)
    for state in RunState:
        assert state not in ALLOWED[state]  # staying is not a change
        if state.finished:
            assert ALLOWED[state] <= {S.FAILED}
    assert ALLOWED[S.FAILED] == frozenset()


def test_failed_is_reachable_from_every_other_state() -> None:
    assert [s for s in RunState if s is not S.FAILED and not allowed(s, S.FAILED)] == []
