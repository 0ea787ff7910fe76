"""The step kinds of the protocol language. Each step is one mapping with ``step: <kind>``."""

from __future__ import annotations

import math
import typing
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from labctl.protocol.conditions import Comparison, Condition, ConditionField, Signal
from labctl.quantities.fields import (
    Celsius,
    Grams,
    Kelvin,
    Millilitres,
    MillilitresPerMinute,
    Percent,
    Rpm,
    Seconds,
)
from labctl.quantities.units import Kind, UnitError, parse_quantity
from labctl.yamlfile.problems import TaggedUnion
from labctl.yamlfile.spec import Identifier, Spec

ONE_PORTION = "one portion"
MAX_PORTIONS = 1000
MIN_SUPERVISION_PERIOD_S = 1.0
MAX_SUPERVISION_PERIOD_S = 30.0
"""At most half the chiller's 60 s fallback watchdog: each cycle feeds it, so a longer period would let it expire."""


class ControlMode(StrEnum):
    """Which temperature the chiller regulates: the reaction mass (process) or its own bath (internal)."""

    PROCESS = "process"
    INTERNAL = "internal"


class StepBase(Spec):
    id: Identifier | None = Field(None, description="Name used in logs, the journal and resume.")
    note: str | None = Field(None, description="Free text shown to the operator.")
    consumes: list[Identifier] = Field(
        default_factory=list,
        description="Materials that no longer exist as such after this step (they have reacted).",
    )

    def adds(self) -> list[str]:
        """Materials this step puts into the reactor."""
        return []

    def supervision_period(self) -> float | None:
        """The poll period this step asks for; None: the rig's."""
        return None

    def supervision_conditions(self) -> list[Condition]:
        """What must hold for that period to apply; the rig's period otherwise."""
        return []


class Supervision(Spec):
    """How often the engine polls the rig during a long, quiet step (a cold store for days need not be read every
    second). Interlocks are still evaluated on every poll; readings count as stale after two periods."""

    period: Seconds = Field(
        ge=MIN_SUPERVISION_PERIOD_S,
        le=MAX_SUPERVISION_PERIOD_S,
        description="Process time between two polls of the rig during this step (1 s to 30 s).",
    )
    only_while: list[ConditionField] = Field(
        default_factory=list,
        description="The period holds only while all of these hold, the rig's otherwise (an unknown reading "
        "counts as not holding): `MTSR <= 10 °C` polls a hold slowly once the oxidant left could not reach a trip.",
    )


class TimedStep(StepBase):
    supervision: Supervision | None = Field(
        None, description="Poll the rig less often during this step (the rig's own period otherwise)."
    )

    def supervision_period(self) -> float | None:
        return None if self.supervision is None else self.supervision.period

    def supervision_conditions(self) -> list[Condition]:
        return [] if self.supervision is None else self.supervision.only_while


class SetTemperature(StepBase):
    step: Literal["set_temperature"]
    target: Celsius
    control: ControlMode = ControlMode.PROCESS


class WaitUntil(TimedStep):
    """Wait for a temperature to reach ``target ± tolerance`` and stay there for ``settle``."""

    step: Literal["wait_until"]
    signal: Literal["Tr", "Tj"] = "Tr"
    target: Celsius
    tolerance: Kelvin = Field(gt=0)
    settle: Seconds = Field(0.0, ge=0)
    timeout: Seconds = Field(gt=0)
    on_timeout: Literal["pause", "abort"] = "pause"


def _band(value: object) -> object:
    if isinstance(value, list) and len(value) == 2:
        low, high = (parse_quantity(v, Kind.TEMPERATURE).value for v in value)
        if low >= high:
            raise PydanticCustomError("band", "the band's low end must be below its high end")
        return (low, high)
    raise PydanticCustomError("band", "expected a band as [low, high], e.g. [0 °C, 5 °C]")


def _band_checked(value: object) -> object:
    try:
        return _band(value)
    except UnitError as exc:
        raise exc.pydantic_error() from None


TemperatureBand = Annotated[
    tuple[float, float],
    BeforeValidator(_band_checked, json_schema_input_type=tuple[Celsius, Celsius]),
    Field(
        json_schema_extra={"examples": [["0 °C", "5 °C"]]},
        description="[low, high] in °C",
    ),
]


class Hold(TimedStep):
    """Keep the reaction mass inside a band for a duration; ``on_excursion`` says what leaving it does."""

    step: Literal["hold"]
    duration: Seconds = Field(gt=0)
    band: TemperatureBand
    on_excursion: Literal["alarm", "extend", "pause", "abort"] = "alarm"
    grace: Seconds = Field(0.0, ge=0, description="Time outside the band tolerated before the policy acts.")


class Ramp(TimedStep):
    step: Literal["ramp"]
    target: Celsius
    duration: Seconds = Field(gt=0)
    control: ControlMode = ControlMode.PROCESS


class Stir(TimedStep):
    step: Literal["stir"]
    duration: Seconds = Field(gt=0)
    speed: Rpm | None = Field(None, gt=0)


class Wait(TimedStep):
    step: Literal["wait"]
    duration: Seconds = Field(gt=0)


class Charge(StepBase):
    """A manual addition: the operator adds the materials and confirms."""

    step: Literal["charge"]
    materials: list[Identifier] = Field(min_length=1)
    instruction: str

    def adds(self) -> list[str]:
        return list(self.materials)


def _gate_condition(value: object) -> object:
    return {"when": value} if isinstance(value, str) else value


class GateCondition(Spec):
    when: ConditionField
    hysteresis: Kelvin | None = Field(
        None, gt=0, description="Once the condition fails, it holds again only this far inside the limit."
    )


Gate = Annotated[GateCondition, BeforeValidator(_gate_condition, json_schema_input_type=str | GateCondition)]


class DoseSolid(StepBase):
    """Add a solid in portions from the doser, each portion released only while every gate holds."""

    step: Literal["dose_solid"]
    material: Identifier
    total: Grams = Field(gt=0)
    portions: StrictInt | None = Field(None, ge=1, le=MAX_PORTIONS)
    portion: Grams | None = Field(None, gt=0)
    window: Seconds | None = Field(None, gt=0, description="The time the additions are planned to take.")
    min_interval: Seconds = Field(ge=0)
    gate: list[Gate] = Field(min_length=1)
    tolerance: Percent = Field(gt=0, lt=100)
    on_window_exceeded: Literal["continue", "pause"] = "continue"

    @model_validator(mode="after")
    def _one_portion_rule(self) -> DoseSolid:
        if (self.portions is None) == (self.portion is None):
            raise PydanticCustomError(
                "portions", "give exactly one of 'portions' (a count) or 'portion' (a mass)"
            )
        if self.portion is not None and self.total / self.portion > MAX_PORTIONS:
            raise PydanticCustomError(
                "portions", "portions of this size make more than {most} portions", {"most": MAX_PORTIONS}
            )
        return self

    def portion_count(self) -> int:
        if self.portions is not None:
            return self.portions
        assert self.portion is not None
        return max(1, math.ceil(self.total / self.portion - 1e-9))

    def portion_mass(self) -> float:
        """The largest portion: the declared size, or an equal share of the total."""
        if self.portion is not None:
            return min(self.portion, self.total)
        return self.total / self.portion_count()

    def adds(self) -> list[str]:
        return [self.material]

    def gate_limit(self, signal: Signal) -> float | None:
        """The tightest upper limit the gate puts on ``signal``, if any."""
        limits = [
            g.when.threshold
            for g in self.gate
            if isinstance(g.when, Comparison) and g.when.signal is signal and g.when.op.is_upper_bound
        ]
        return min(limits) if limits else None


def _pump_rate(value: object) -> object:
    if value == ONE_PORTION:
        return ONE_PORTION
    try:
        rate = parse_quantity(value, Kind.FLOW_RATE).value
    except UnitError as exc:
        reason = f"{exc}, or '{ONE_PORTION}'"
        raise exc.pydantic_error(reason) from None
    if rate <= 0:
        raise PydanticCustomError("quantity_range", "a pump rate must be greater than zero")
    return rate


PumpRate = Annotated[
    float | Literal["one portion"],
    BeforeValidator(_pump_rate, json_schema_input_type=MillilitresPerMinute | Literal["one portion"]),
]


class Pump(StepBase):
    step: Literal["pump"]
    material: Identifier
    volume: Millilitres = Field(gt=0)
    rate: PumpRate

    def adds(self) -> list[str]:
        return [self.material]


class QuenchConfirmation(Spec):
    """What the reactor must show for the quench to count as delivered: an exothermic quench warms the mass, and
    the pump's counter alone cannot tell a full reservoir from an empty one."""

    rise: Kelvin = Field(
        gt=0, description="Tr must rise at least this much above its value at the quench's start."
    )
    within: Seconds = Field(600.0, gt=0, description="How long after the pump finishes the rise may take.")


class Quench(StepBase):
    """A pump addition that only starts while its permissive holds, and pauses if the mass heats up."""

    step: Literal["quench"]
    material: Identifier
    volume: Millilitres = Field(gt=0)
    rate: PumpRate
    permissive: list[ConditionField] = Field(min_length=1)
    pause_above: Celsius | None = None
    resume_below: Celsius | None = None
    confirm: QuenchConfirmation | None = None

    @field_validator("resume_below")
    @classmethod
    def _hysteresis(cls, value: float | None, info: Any) -> float | None:
        pause = info.data.get("pause_above")
        if value is not None and pause is not None and value >= pause:
            raise PydanticCustomError("hysteresis", "resume_below must be below pause_above")
        return value

    def adds(self) -> list[str]:
        return [self.material]

    def permissive_limit(self) -> float | None:
        limits = [
            c.threshold
            for c in self.permissive
            if isinstance(c, Comparison) and c.signal is Signal.TR and c.op.is_upper_bound
        ]
        return min(limits) if limits else None


class Prompt(StepBase):
    step: Literal["prompt"]
    message: str


Step = Annotated[
    SetTemperature | WaitUntil | Hold | Ramp | Stir | Wait | Charge | DoseSolid | Pump | Quench | Prompt,
    Field(discriminator="step"),
]

STEP_KINDS: tuple[str, ...] = tuple(
    str(typing.get_args(model.model_fields["step"].annotation)[0])
    for model in typing.get_args(typing.get_args(Step)[0])
)

STEP_UNION = TaggedUnion("step", STEP_KINDS, "STEP-KIND")
"""How a file's problems name a step of unknown or missing kind."""
