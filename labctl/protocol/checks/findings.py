"""What the checker reports: a rule id that never changes, a severity, a message and where in the file."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from labctl.errors import Location
from labctl.yamlfile.problems import dotted
from labctl.yamlfile.source_map import DataPath


class Severity(StrEnum):
    """ERROR and WARNING fail validation; ACKNOWLEDGED (overridden, with a recorded reason) and INFO do not."""

    ERROR = "error"
    WARNING = "warning"
    ACKNOWLEDGED = "acknowledged"
    INFO = "info"

    @property
    def fails(self) -> bool:
        return self in (Severity.ERROR, Severity.WARNING)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    overridable: bool = False


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("MATERIAL-REF", "steps name only declared materials"),
        Rule("MATERIAL-UNUSED", "every declared material is added by a step or initially present", True),
        Rule("MATERIAL-AMOUNT", "amounts are consistent and known where a rule needs them"),
        Rule("MATERIAL-ID-DUPLICATE", "material ids are unique"),
        Rule(
            "MATERIAL-UNKNOWN", "beside MgBr or an oxidant, every material is of a known class (fails closed)"
        ),
        Rule("MATERIAL-SMILES", "a material's SMILES can be read"),
        Rule("STEP-ID-DUPLICATE", "step ids are unique"),
        Rule("EQUIPMENT-MISSING", "every role a step uses is declared under equipment"),
        Rule("EQUIPMENT-RANGE", "setpoints lie inside the protocol's declared chiller range"),
        Rule("KMNO4-STOICH", "KMnO4 / alkene between 1.0 and 1.3 equiv, never above 1.5", True),
        Rule("KMNO4-INCOMPATIBLE", "no alcohols, glycols, DMF, DMSO or conc. H2SO4 with KMnO4"),
        Rule("HEAT-CAPACITY-MISSING", "exothermic dosing needs the charge's heat capacity"),
        Rule("HEAT-CAPACITY-PLAUSIBLE", "the declared heat capacity agrees with what is charged"),
        Rule("VESSEL-FILL", "the batch fits the vessel"),
        Rule("VESSEL-VOLUME", "the vessel's description and its volume name the same flask"),
        Rule("MATERIAL-LABEL", "a concentration a material's name states agrees with its figures"),
        Rule("MATERIAL-ROLE", "a product is made in the vessel, never added"),
        Rule(
            "CATALYST-LOADING", "the oxidation has the phase-transfer catalyst its consumption model assumes"
        ),
        Rule(
            "SUBSTRATE-CONCENTRATION",
            "the alkene is diluted as the procedure has it when the oxidant goes in",
        ),
        Rule(
            "INSTRUCTION-FIGURES",
            "what an instruction tells a person agrees with the figures the checker judged",
        ),
        Rule("MATERIAL-MOLAR-MASS", "a molar mass is that of the compound the material's name names"),
        Rule("MATERIAL-SOLUBILITY", "an aqueous solution holds no more of its solute than water dissolves"),
        Rule("PORTION-ADIABATIC", "adiabatic rise per portion within the limit"),
        Rule("PORTION-INTERVAL", "minimum interval between portions", True),
        Rule("DOSE-WINDOW", "the dosing window fits the portions and their interval"),
        Rule("DOSE-GATE", "each exothermic portion is gated on a cold, steady reactor"),
        Rule("DOSE-AMOUNT", "a dose does not exceed the material declared"),
        Rule("MATERIAL-EXCESS", "all the additions of a material together do not exceed what is declared"),
        Rule("MATERIAL-SHORT", "the steps add all of each reagent and substrate declared"),
        Rule("ACCUMULATION-MTSR", "worst case if all unreacted oxidant reacted at once (MTSR)", True),
        Rule(
            "MTSR-BOILING",
            "the worst-case MTSR stays well below the solvent's boiling point (never overridable)",
        ),
        Rule("MGBR-ETHER", "no ether-class solvent where MgBr is present"),
        Rule("MGBR-PROTIC", "no water or alcohol where MgBr is present"),
        Rule("MGBR-PUMPED", "MgBr is charged cold by cannula, never pumped"),
        Rule("MGBR-WARM-ADDITION", "nothing added beside MgBr warms the mix above -40 °C"),
        Rule("MGBR-VIOLENT", "no oxidant or halocarbon where MgBr is present (never overridable)"),
        Rule(
            "MGBR-REACTIVE",
            "no ketone, ester, amide or nitrile where MgBr is present",
            True,
        ),
        Rule("MGBR-ABOVE-40", "no step takes MgBr above -40 °C"),
        Rule("MGBR-HOLD-MARGIN", "MgBr setpoints leave margin below -40 °C for overshoot", True),
        Rule(
            "MGBR-MONITORING",
            "MgBr protocols alarm on warming, chiller faults, a silent chiller and a missing Tr",
        ),
        Rule("MGBR-COLD-FIRST", "MgBr is charged only after a wait until the vessel is below -40 °C"),
        Rule("QUENCH-MISSING", "an oxidation is quenched"),
        Rule("QUENCH-AMOUNT", "bisulfite covers the oxidant left, with margin"),
        Rule("QUENCH-ORDER", "the quench comes only after the hold that follows dosing"),
        Rule("QUENCH-PERMISSIVE", "the quench starts only with a cold reactor"),
        Rule("ORDER-COLD-FIRST", "the oxidant is dosed only after a wait until the vessel is cold"),
        Rule("ORDER-SUBSTRATE-FIRST", "the oxidant is dosed only with the alkene in the flask"),
        Rule(
            "REACTION-WINDOW", "with oxidant in the flask, setpoints and bands lie in the procedure's window"
        ),
        Rule("QUENCH-EARLY", "the quench comes when the model counts the oxidant reacted"),
        Rule("SETPOINT-BAND", "a hold's setpoint lies inside its band"),
        Rule(
            "PARAMETER-BOUND",
            "a parameter's value (given with --set or its default) within its declared bounds",
        ),
        Rule("RAMP-RATE", "a ramp is one the chiller can follow"),
        Rule("CONSUMES-UNEARNED", "a material is marked consumed only by a step that can consume it"),
        Rule("QUENCH-PAUSE", "the quench pauses when the mass warms and resumes only when it is cold again"),
        Rule("DOSE-STIRRER", "solids are dosed only with a stirrer declared"),
        Rule("HAZARD-ABORT", "with oxidant or MgBr in the vessel no step ends the run on its own"),
        Rule("HAZARD-CONTROL", "while oxidant or MgBr reacts the setpoint regulates the reaction mass"),
        Rule("HAZARD-STIRRER", "while oxidant or MgBr reacts a stirrer is declared"),
        Rule("OXIDANT-UNBANDED", "time with oxidant in the vessel is spent in holds with a band"),
        Rule(
            "HEAT-RELEASE-GATE",
            "heat_release is waited for only as a floor in the gate of an oxidant's dose (where it is measured)",
        ),
        Rule("SUPERVISION-PERIOD", "while oxidant or MgBr reacts the rig is polled at least every second"),
        Rule(
            "SETTING-BOUND",
            "hysteresis, tolerances, grace, band widths and timeouts within configured bounds",
        ),
        Rule(
            "CHILLER-FULL-COOLING", "the declared chiller range reaches well below the reaction's setpoints"
        ),
        Rule("PUMP-SOLID", "only a material with a volume or concentration is pumped"),
        Rule("PUMP-RATE", "with --rig: a pump rate within the rig's pump"),
        Rule("INTERLOCK-MISSING", "exothermic dosing has the trips of process-model §4"),
        Rule("INTERLOCK-ID-DUPLICATE", "each interlock has its own id"),
        Rule("INTERLOCK-SCOPE", "interlocks guard steps that exist"),
        Rule("INTERLOCK-LOOSE", "interlock thresholds no looser than the configured limits"),
        Rule("CHILLER-RANGE", "setpoints within the rig chiller's range, with margin at the low end"),
        Rule("CHILLER-PROCESS-CONTROL", "the rig's chiller offers process control when needed"),
        Rule("RIG-ROLE-MISSING", "the rig has an instrument for every role the protocol needs"),
        Rule("OVERRIDE-UNKNOWN", "overrides name existing, overridable rules"),
        Rule("OVERRIDE-APPROVAL", "an override is approved by two people, neither of them the author"),
    )
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    path: DataPath
    location: Location | None = None

    @property
    def key(self) -> str:
        """The place in the file as a dotted path, e.g. ``steps[4].gate[2]``."""
        return dotted(self.path)

    def located(self, location: Location) -> Finding:
        return replace(self, location=location)

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}{self.severity}[{self.rule}] {key}{self.message}"


def error(rule: str, message: str, path: DataPath) -> Finding:
    assert rule in RULES, rule
    return Finding(rule, Severity.ERROR, message, path)


def warning(rule: str, message: str, path: DataPath) -> Finding:
    assert rule in RULES, rule
    return Finding(rule, Severity.WARNING, message, path)


def info(rule: str, message: str, path: DataPath) -> Finding:
    assert rule in RULES, rule
    return Finding(rule, Severity.INFO, message, path)
