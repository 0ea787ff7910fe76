"""Every step type of the protocol language has a handler, found by the step's class."""

from __future__ import annotations

import typing

import pytest

from labctl.engine.steps import HANDLERS, NoHandler, StepHandlers
from labctl.engine.steps.timed import wait
from labctl.protocol.steps import Step, StepBase, Wait
from tests.engine.steps.context import RecordingContext


def step_classes() -> set[type[StepBase]]:
    return set(typing.get_args(typing.get_args(Step)[0]))


def test_every_step_class_of_the_language_has_a_handler() -> None:
    classes = step_classes()
    assert len(classes) == 11
    assert HANDLERS.types() == classes


def test_a_step_type_without_a_handler_is_a_typed_error() -> None:
    handlers = StepHandlers()
    handlers.register(Wait, wait)
    step = Wait.model_validate({"id": "w", "step": "wait", "duration": "1 min"})
    assert handlers.types() == {Wait}
    with pytest.raises(NoHandler, match="no handler for step type Wait"):
        StepHandlers().moves(step, RecordingContext())
