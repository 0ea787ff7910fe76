"""One material balance for the whole batch: every way a material enters the vessel, in order.

Rules that reason about amounts (stoichiometry, the heat of an addition, the quench's demand) read this ledger,
not the declared amounts and not one step at a time: a manual charge of the oxidant is an addition all at once,
and a copy-pasted dose step adds the material twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labctl.protocol.checks.chemistry import classes_of, declared_mass, molar_mass
from labctl.protocol.model import Material, MaterialClass, Protocol
from labctl.protocol.steps import ONE_PORTION, Charge, DoseSolid, Pump, Quench, Step
from labctl.yamlfile.source_map import DataPath

BEFORE_THE_FIRST_STEP = -1


@dataclass(frozen=True)
class Addition:
    """One entry of material into the vessel. ``fraction`` is of the declared material (None: cannot be told),
    ``moles`` what it brings (None: unknown); ``all_at_once`` when nothing meters it (a charge, a one-portion
    pump, what is there from the start)."""

    step: int
    material: Material
    how: str
    fraction: float | None
    moles: float | None
    all_at_once: bool
    path: DataPath
    pumped_ml: float | None = None  # what a pump or quench step sends in, whatever the material declares


@dataclass(frozen=True)
class Ledger:
    additions: tuple[Addition, ...]

    def of(self, material_id: str) -> list[Addition]:
        return [a for a in self.additions if a.material.id == material_id]

    def with_class(self, cls: MaterialClass) -> list[Addition]:
        return [a for a in self.additions if cls in classes_of(a.material)]

    def first_step(self, cls: MaterialClass) -> int | None:
        """The step at which a material of the class first enters (BEFORE_THE_FIRST_STEP: from the start)."""
        steps = [a.step for a in self.with_class(cls)]
        return min(steps) if steps else None

    def moles(self, cls: MaterialClass) -> float | None:
        """All the moles of a class that enter the batch; None when any addition of it is unknown."""
        found = [a.moles for a in self.with_class(cls)]
        if not found or any(m is None for m in found):
            return None
        return sum(m for m in found if m is not None)

    def fraction(self, material_id: str) -> float | None:
        """How much of the declared material all its additions bring (1.0: all of it); None: cannot be told."""
        found = [a.fraction for a in self.of(material_id)]
        return None if any(f is None for f in found) else sum(f for f in found if f is not None)

    def moles_until(self, cls: MaterialClass, step: int) -> float | None:
        """As ``moles``, for the additions made before ``step`` (and by it)."""
        return Ledger(tuple(a for a in self.additions if a.step <= step)).moles(cls)


def pessimistic(
    pick: Callable[[float, float], float], declared: float | None, added: float | None
) -> float | None:
    """Of what the materials declare and what the steps add, the figure that makes the danger larger (``max``
    for the oxidant, ``min`` for what consumes it); either alone when the other is unknown."""
    if declared is None or added is None:
        return added if declared is None else declared
    return pick(declared, added)


def build_ledger(protocol: Protocol) -> Ledger:
    by_id: dict[str, Material] = {}
    for m in protocol.materials:
        by_id.setdefault(m.id, m)
    additions = [
        Addition(BEFORE_THE_FIRST_STEP, m, "initially present", 1.0, m.moles(), True, ("materials", i))
        for i, m in enumerate(protocol.materials)
        if m.initially_present
    ]
    for index, step in enumerate(protocol.steps):
        additions += _additions(index, step, by_id)
    return Ledger(tuple(additions))


def _additions(index: int, step: Step, by_id: dict[str, Material]) -> list[Addition]:
    base: DataPath = ("steps", index)
    if isinstance(step, Charge):
        return [
            Addition(index, by_id[ref], "charge", 1.0, by_id[ref].moles(), True, (*base, "materials", j))
            for j, ref in enumerate(step.materials)
            if ref in by_id
        ]
    if isinstance(step, DoseSolid) and step.material in by_id:
        return [_dosed(index, step, by_id[step.material], base)]
    if isinstance(step, Pump | Quench) and step.material in by_id:
        return [_pumped(index, step, by_id[step.material], base)]
    return []


def _dosed(index: int, step: DoseSolid, material: Material, base: DataPath) -> Addition:
    mm = molar_mass(material)
    mass = declared_mass(material)
    fraction = step.total / mass if mass else None
    moles = step.total / mm if mm else None
    return Addition(
        index, material, "dose_solid", fraction, moles, step.portion_count() == 1, (*base, "total")
    )


def _pumped(index: int, step: Pump | Quench, material: Material, base: DataPath) -> Addition:
    total = material.moles()
    fraction = step.volume / material.volume if material.volume else None
    if fraction is not None:
        moles = total * fraction if total is not None else None
    elif material.concentration is not None:
        moles = step.volume / 1000.0 * material.concentration
    else:
        moles = total
    how = "quench" if isinstance(step, Quench) else "pump"
    return Addition(
        index, material, how, fraction, moles, step.rate == ONE_PORTION, (*base, "volume"), step.volume
    )
