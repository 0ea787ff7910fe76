"""One handler per step kind: an async generator that yields whenever it waits for the next cycle."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from labctl.engine.steps.dosing import dose_solid
from labctl.engine.steps.manual import charge, prompt
from labctl.engine.steps.pumping import pump
from labctl.engine.steps.quench import quench
from labctl.engine.steps.temperature import hold, ramp, set_temperature, wait_until
from labctl.engine.steps.timed import stir, wait

if TYPE_CHECKING:
    from labctl.engine.engine import Engine

Handler = Callable[[Any, "Engine"], AsyncGenerator[None, None]]

HANDLERS: dict[str, Handler] = {
    "set_temperature": set_temperature,
    "wait_until": wait_until,
    "hold": hold,
    "ramp": ramp,
    "stir": stir,
    "wait": wait,
    "charge": charge,
    "prompt": prompt,
    "dose_solid": dose_solid,
    "pump": pump,
    "quench": quench,
}


def handler_for(step: Any) -> Handler:
    return HANDLERS[step.step]
