"""The protocol file as typed data: metadata, materials, equipment, steps and run-wide interlocks."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, StrictStr, StringConstraints

from labctl.protocol.conditions import ConditionField
from labctl.protocol.steps import Step
from labctl.quantities.fields import (
    Celsius,
    Grams,
    GramsPerMole,
    Kelvin,
    KilojoulesPerKelvin,
    Millilitres,
    Moles,
    MolesPerLitre,
    WattsPerKelvin,
)
from labctl.yamlfile.spec import Identifier, Spec


class Metadata(Spec):
    name: str
    version: StrictStr = Field(description="The protocol's own version, e.g. '1.2'.")
    author: str
    source: str = Field(description="Where the procedure comes from: publication, DOI, SOP number.")
    description: str | None = None


class Parameter(Spec):
    """A value a run may set (``--set name=value``); steps use it as ``${name}``."""

    default: StrictStr | StrictInt | float
    description: str | None = None
    minimum: StrictStr | StrictInt | float | None = Field(
        None, description="The smallest value a run may set (same unit kind as the default)."
    )
    maximum: StrictStr | StrictInt | float | None = Field(
        None, description="The largest value a run may set (same unit kind as the default)."
    )


class Role(StrEnum):
    SUBSTRATE = "substrate"
    REAGENT = "reagent"
    CATALYST = "catalyst"
    SOLVENT = "solvent"
    QUENCH = "quench"
    ADDITIVE = "additive"
    PRODUCT = "product"


class MaterialClass(StrEnum):
    """Hazard and reactivity classes the checker understands."""

    OXIDANT = "oxidant"
    PERMANGANATE = "permanganate"
    REDUCTANT = "reductant"
    BISULFITE = "bisulfite"
    ALKENE = "alkene"
    ETHER = "ether"
    ALCOHOL = "alcohol"
    GLYCOL = "glycol"
    WATER = "water"
    DMF = "dmf"
    DMSO = "dmso"
    CONC_SULFURIC_ACID = "conc-h2so4"
    MG_I_HALIDE = "mg-i-halide"
    AMINE = "amine"
    SOLVENT = "solvent"
    HYDROCARBON = "hydrocarbon"
    AROMATIC = "aromatic"
    KETONE = "ketone"
    ESTER = "ester"
    CATALYST = "catalyst"
    PHASE_TRANSFER = "phase-transfer"
    ORGANOMETALLIC = "organometallic"
    PYROPHORIC = "pyrophoric"
    SALT = "salt"
    BASE = "base"
    HALOGENATED = "halogenated"
    NITRILE = "nitrile"
    AMIDE = "amide"
    ACID = "acid"


class Material(Spec):
    id: Identifier
    name: str
    role: Role
    classes: list[MaterialClass] = Field(default_factory=list)
    amount: Moles | None = Field(None, gt=0)
    mass: Grams | None = Field(None, gt=0)
    volume: Millilitres | None = Field(None, gt=0)
    molar_mass: GramsPerMole | None = Field(None, gt=0)
    concentration: MolesPerLitre | None = Field(None, gt=0)
    boiling_point: Celsius | None = Field(
        None, description="At the vessel's pressure; for solvents labctl's table does not know."
    )
    smiles: str | None = Field(
        None,
        min_length=1,
        max_length=2000,
        description="The structure (RDKit reads it): what a name alone cannot tell, e.g. a new solvent.",
    )
    initially_present: StrictBool = Field(
        False, description="Already in the vessel when the protocol starts."
    )
    note: str | None = None

    def moles(self) -> float | None:
        """Amount of substance from whichever figures the file gives; None when it cannot be known."""
        if self.amount is not None:
            return self.amount
        if self.mass is not None and self.molar_mass is not None:
            return self.mass / self.molar_mass
        if self.volume is not None and self.concentration is not None:
            return self.volume / 1000.0 * self.concentration
        return None


class DeviceNeeds(Spec):
    note: str | None = None


class ChillerNeeds(Spec):
    temperature_range: tuple[Celsius, Celsius] | None = Field(
        None, description="[lowest, highest] setpoint the protocol needs."
    )
    process_control: StrictBool = Field(
        False, description="Needs control on the reaction-mass (process) probe."
    )


class Equipment(Spec):
    """The roles a protocol needs; a key written with no value means 'needed, nothing special'."""

    chiller: ChillerNeeds | None = None
    doser: DeviceNeeds | None = None
    balance: DeviceNeeds | None = None
    quench_pump: DeviceNeeds | None = None
    stirrer: DeviceNeeds | None = None

    def declared(self) -> set[str]:
        return set(self.model_fields_set)

    def lowest_setpoint_c(self) -> float | None:
        """The low end of the chiller range the protocol asks for (its full cooling); None if it names none."""
        needs = self.chiller
        return (
            needs.temperature_range[0] if needs is not None and needs.temperature_range is not None else None
        )


class Reactor(Spec):
    vessel: str | None = None
    volume: Millilitres | None = Field(None, gt=0)
    heat_capacity: KilojoulesPerKelvin | None = Field(
        None, gt=0, description="Heat capacity of the charge, for adiabatic-rise and MTSR estimates."
    )
    heat_transfer: WattsPerKelvin | None = Field(None, gt=0, description="UA of the vessel wall.")


class Action(StrEnum):
    """What an interlock does when its condition holds (see process-model §4)."""

    WARN = "warn"
    ALARM = "alarm"
    HOLD = "hold"
    TRIP = "trip"
    EMERGENCY = "emergency"
    COMPROMISE = "compromise"


class Interlock(Spec):
    id: Identifier
    when: ConditionField
    action: Action
    hysteresis: Kelvin | None = Field(
        None, gt=0, description="How far back on the safe side the reading must come before it clears."
    )
    during: list[Identifier] | None = Field(
        None, description="Ids of the steps it guards; the whole run when absent."
    )
    message: str | None = None

    def guards(self, step_id: str | None) -> bool:
        return self.during is None or (step_id is not None and step_id in self.during)


def _approvers(value: object) -> object:
    return [value] if isinstance(value, str) else value


class Override(Spec):
    """A recorded decision to run despite a finding of an overridable rule: it becomes 'acknowledged' once two
    people other than the author approve it (the checker says when they do not)."""

    rule: str
    reason: str = Field(min_length=10)
    approved_by: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]],
        BeforeValidator(_approvers, json_schema_input_type=str | list[str]),
    ] = Field(min_length=1, description="Two people, neither of them the protocol's author.")


class Protocol(Spec):
    format: Literal[1] = Field(1, description="Version of the protocol language; only 1 exists.")
    metadata: Metadata
    parameters: dict[Identifier, Parameter] = Field(default_factory=dict)
    materials: list[Material] = Field(min_length=1)
    equipment: Equipment
    reactor: Reactor | None = None
    steps: list[Step] = Field(min_length=1)
    interlocks: list[Interlock] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)

    def material(self, material_id: str) -> Material | None:
        return next((m for m in self.materials if m.id == material_id), None)
