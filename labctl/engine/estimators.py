"""The chemistry the run estimates as it goes: oxidant dosed but not yet reacted (the MTSR it implies), and
the MgBr lost to decay. The cycle feeds them each snapshot; they add their figures to the reading record and
say when the batch is compromised. Which ones a run has follows from its protocol's materials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labctl.calorimetry.calibration import Calibration
from labctl.engine.accumulation import OxidantModel
from labctl.engine.calorimeter import Calorimeter
from labctl.engine.mgbr import COMPROMISED_LOSS, MgBrDecay
from labctl.engine.resume import HeatBalanceResume, step_ids
from labctl.engine.snapshot import Snapshot
from labctl.protocol.checks.charge import dosing_heat_capacity
from labctl.protocol.checks.chemistry import classes_of
from labctl.protocol.checks.config import CheckerConfig
from labctl.protocol.checks.timeline import presence
from labctl.protocol.model import Material, MaterialClass, Protocol
from labctl.protocol.steps import DoseSolid, StepBase

MGBR_ALARM = "mgbr-decay"


@dataclass(frozen=True)
class Compromise:
    """An estimate that puts the batch outside what makes the product: the alarm to raise and the facts."""

    alarm_id: str
    message: str
    facts: dict[str, Any]


class Estimators:
    def __init__(self, protocol: Protocol) -> None:
        self._protocol = protocol
        self.oxidant = oxidant_model(protocol)
        self.calorimeter = calorimeter(protocol, self.oxidant)
        self.mgbr = mgbr_decay(protocol)

    def restore(self, unreacted_mol: float, heat: HeatBalanceResume, step_index: int) -> None:
        """After a restart: what the journal last said was unreacted (no decay counted over the downtime), and
        the heat balance as it was (closed if the quench had begun)."""
        if self.oxidant is not None:
            self.oxidant.unreacted_mol = unreacted_mol
        calorimeter = self.calorimeter
        if calorimeter is None:
            return
        fit = heat.calibration
        calorimeter.restore(
            Calibration(**fit) if fit is not None else None, heat.waived_by, heat.released_kj * 1000.0
        )
        for (step_id, _), (t_s, grams) in sorted(heat.portions.items(), key=lambda item: item[1][0]):
            mol_per_g = self._mol_per_g(step_id)
            if mol_per_g is not None:
                calorimeter.dosed(t_s, grams * mol_per_g)
        if any(self._consumes_oxidant(step) for step in self._protocol.steps[:step_index]):
            calorimeter.consumed()

    def _mol_per_g(self, step_id: str | None) -> float | None:
        """Of the oxidant a dose step doses; None for another step or material."""
        for sid, step in zip(step_ids(self._protocol), self._protocol.steps, strict=True):
            if sid == step_id and isinstance(step, DoseSolid):
                return oxidant_mol_per_g(self._protocol.material(step.material))
        return None

    def observe(self, snap: Snapshot, step_index: int) -> Compromise | None:
        """One cycle's snapshot; a Compromise for as long as the MgBr lost is past the line. (The oxidant model
        is advanced by the supervisor's poll, which needs its MTSR in the same snapshot.)"""
        mgbr = self.mgbr
        if mgbr is None:
            return None
        mgbr.advance(snap.at, snap.tr_value(), step_index)
        if mgbr.lost <= COMPROMISED_LOSS:
            return None
        lost = f"{100 * mgbr.lost:.0f} % (over {100 * COMPROMISED_LOSS:g} %)"
        return Compromise(
            MGBR_ALARM,
            f"the decay model puts the MgBr lost at {lost}",
            {"cause": MGBR_ALARM, "lost_pct": round(100 * mgbr.lost, 2)},
        )

    def reading_fields(self) -> dict[str, float | None]:
        """The estimates' columns of the reading record; absent for a protocol without them."""
        fields: dict[str, float | None] = {}
        if self.oxidant is not None:
            fields["unreacted_mol"] = round(self.oxidant.unreacted_mol, 6)
        if self.calorimeter is not None:
            fields |= self.calorimeter.reading_fields()
        if self.mgbr is not None:
            fields["mgbr_lost_pct"] = round(100 * self.mgbr.lost, 3)
        return fields

    def step_started(self, step: StepBase) -> None:
        """A step that consumes the oxidant (the quench) ends the heat balance as it starts: its own heat is not
        the oxidant's reacting."""
        if self.calorimeter is not None and self._consumes_oxidant(step):
            self.calorimeter.consumed()

    def _consumes_oxidant(self, step: StepBase) -> bool:
        return any(is_oxidant(self._protocol, material) for material in step.consumes)

    def step_completed(self, step: StepBase) -> None:
        """A step that consumes the oxidant (the quench) ends with none of it left unreacted."""
        if self.oxidant is not None and self._consumes_oxidant(step):
            self.oxidant.consumed()


def calorimeter(protocol: Protocol, oxidant: OxidantModel | None) -> Calorimeter | None:
    """A heat balance beside every oxidant model: the same heat capacity and enthalpy, checked against the
    protocol's declared heat transfer."""
    if oxidant is None:
        return None
    declared_ua = protocol.reactor.heat_transfer if protocol.reactor is not None else None
    return Calorimeter(oxidant.heat_capacity_j_k, oxidant.enthalpy_j_mol, declared_ua)


def is_oxidant(protocol: Protocol, material_id: str) -> bool:
    return _oxidant(protocol.material(material_id))


def oxidant_mol_per_g(material: Material | None) -> float | None:
    """Moles per gram of an oxidant with a molar mass: how a dose of it feeds the MTSR estimates; None for
    anything else."""
    if not _oxidant(material) or material is None or not material.molar_mass:
        return None
    return 1.0 / material.molar_mass


def _oxidant(material: Material | None) -> bool:
    return material is not None and bool(
        {MaterialClass.OXIDANT, MaterialClass.PERMANGANATE} & classes_of(material)
    )


def mgbr_decay(protocol: Protocol) -> MgBrDecay | None:
    """A decay estimate for a protocol that ever has metastable MgBr in the vessel."""
    mgbr = {m.id for m in protocol.materials if MaterialClass.MG_I_HALIDE in classes_of(m)}
    steps = [bool(here & mgbr) for here in presence(protocol)]
    reacting = [bool(set(step.consumes) & mgbr) for step in protocol.steps]
    return MgBrDecay(steps, reacting) if any(steps) else None


def oxidant_model(protocol: Protocol) -> OxidantModel | None:
    """Only a protocol that doses an oxidant into a vessel of known heat capacity has an MTSR."""
    heat_capacity = dosing_heat_capacity(protocol)  # the checker's safer figure, not a typo's
    if heat_capacity is None:
        return None
    cfg = CheckerConfig()
    return OxidantModel(
        heat_capacity_j_k=heat_capacity * 1000.0,
        enthalpy_j_mol=cfg.dosing_enthalpy * 1000.0,
        tau_0c_s=cfg.consumption_tau,
    )
