"""A rig as declared in ``rigs/*.yaml``: one instrument per role, with the capabilities the checker relies on."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from labctl.quantities.fields import Celsius, Grams, KelvinPerMinute, MillilitresPerMinute, Seconds
from labctl.yamlfile.spec import Identifier, Spec


class ChillerCapabilities(Spec):
    temperature_range: tuple[Celsius, Celsius] = Field(
        description="[lowest, highest] temperature the unit reaches, from its data sheet."
    )
    process_control: StrictBool = Field(False, description="Can regulate on an external process probe.")
    max_ramp_rate: KelvinPerMinute | None = Field(
        None, gt=0, description="Fastest ramp the unit follows with this reactor (commissioning figure)."
    )

    @field_validator("temperature_range")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] >= value[1]:
            raise PydanticCustomError("range", "the lowest temperature must come first")
        return value


class DoserCapabilities(Spec):
    max_portion: Grams | None = None


class PumpCapabilities(Spec):
    max_rate: MillilitresPerMinute | None = None


class Instrument(Spec):
    driver: StrictStr = Field(
        description="Driver family, e.g. huber-pb, huber-modbus, mt-sics, quantos, reglo-icc."
    )
    port: StrictStr | None = Field(None, description="pyserial URL or host:port.")
    options: dict[Identifier, StrictStr | StrictInt | StrictFloat | StrictBool] = Field(default_factory=dict)
    model: StrictStr | None = None


class ChillerInstrument(Instrument):
    capabilities: ChillerCapabilities


class DoserInstrument(Instrument):
    capabilities: DoserCapabilities = DoserCapabilities()


class PumpInstrument(Instrument):
    capabilities: PumpCapabilities = PumpCapabilities()


class Instruments(Spec):
    chiller: ChillerInstrument | None = None
    doser: DoserInstrument | None = None
    balance: Instrument | None = None
    quench_pump: PumpInstrument | None = None
    stirrer: Instrument | None = None

    def roles(self) -> set[str]:
        return {name for name in type(self).model_fields if getattr(self, name) is not None}


class Rig(Spec):
    rig: Identifier = Field(description="The rig's name; also its MQTT namespace.")
    description: str | None = None
    speed: float = Field(
        1.0,
        gt=0,
        le=1000,
        description="Process seconds per wall second: 1 for a real rig; a simulated rig served faster says so.",
    )
    poll: Seconds = Field(
        1.0,
        ge=0.2,
        le=30.0,
        description="Supervision cycle: how often the chiller is read and the interlocks evaluated, e.g. '1 s'.",
    )
    instruments: Instruments

    @property
    def name(self) -> str:
        return self.rig

    def roles(self) -> set[str]:
        return self.instruments.roles()

    def chiller(self) -> ChillerCapabilities | None:
        chiller = self.instruments.chiller
        return chiller.capabilities if chiller is not None else None

    def max_pump_rate(self) -> float | None:
        pump = self.instruments.quench_pump
        return pump.capabilities.max_rate if pump is not None else None
