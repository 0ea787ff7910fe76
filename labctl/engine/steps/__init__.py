"""One handler per step type: an async generator that yields whenever it waits for the next cycle."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

from labctl.engine.errors import EngineError
from labctl.engine.step_context import StepContext
from labctl.engine.steps.dosing import dose_solid
from labctl.engine.steps.manual import charge, prompt
from labctl.engine.steps.pumping import pump
from labctl.engine.steps.quench import quench
from labctl.engine.steps.temperature import hold, ramp, set_temperature, wait_until
from labctl.engine.steps.timed import stir, wait
from labctl.protocol import steps as model
from labctl.protocol.steps import StepBase

S = TypeVar("S", bound=StepBase)

Moves = AsyncGenerator[None, None]
Handler = Callable[[S, StepContext], Moves]
"""How one step type is carried out: `(step, ctx)` to the generator of its moves."""


class NoHandler(EngineError):
    """A step type the engine cannot carry out (a protocol language newer than this engine)."""

    def __init__(self, step_type: type[StepBase]) -> None:
        super().__init__(f"no handler for step type {step_type.__name__}")
        self.step_type = step_type


class StepHandlers:
    """Handlers keyed by the protocol's step model class, each checked against the type it was registered for."""

    def __init__(self) -> None:
        self._by_type: dict[type[StepBase], Handler[StepBase]] = {}

    def register(self, step_type: type[S], handler: Handler[S]) -> None:
        def checked(step: StepBase, ctx: StepContext) -> Moves:
            if not isinstance(step, step_type):
                raise NoHandler(type(step))
            return handler(step, ctx)

        self._by_type[step_type] = checked

    def types(self) -> frozenset[type[StepBase]]:
        return frozenset(self._by_type)

    def moves(self, step: StepBase, ctx: StepContext) -> Moves:
        """The step's moves, from the handler of its exact type."""
        handler = self._by_type.get(type(step))
        if handler is None:
            raise NoHandler(type(step))
        return handler(step, ctx)


HANDLERS = StepHandlers()
HANDLERS.register(model.SetTemperature, set_temperature)
HANDLERS.register(model.WaitUntil, wait_until)
HANDLERS.register(model.Hold, hold)
HANDLERS.register(model.Ramp, ramp)
HANDLERS.register(model.Stir, stir)
HANDLERS.register(model.Wait, wait)
HANDLERS.register(model.Charge, charge)
HANDLERS.register(model.Prompt, prompt)
HANDLERS.register(model.DoseSolid, dose_solid)
HANDLERS.register(model.Pump, pump)
HANDLERS.register(model.Quench, quench)
