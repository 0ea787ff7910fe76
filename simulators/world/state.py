"""The one mutable picture of the rig that every facet reads and changes, so instruments cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from simulators.world.config import WorldConfig


@dataclass
class WorldState:
    """Physical state only; instrument logic (status words, error codes) lives in the instrument simulators."""

    t_s: float
    tr_c: float
    tj_c: float
    tb_c: float
    tr_filtered_c: float
    c_added_j_k: float = 0.0  # heat capacity of liquids and solids added since the start
    n_solid_mol: float = 0.0  # KMnO4 dosed but not yet dissolved/reacted
    kmno4_dosed_mol: float = 0.0
    oxidising_mol_e: float = 0.0  # what the quench still has to reduce
    reductant_mol_e: float = 0.0  # bisulfite fed but not yet reacted
    mgbr_fraction: float = 1.0
    stirring: bool = True
    q_reaction_w: float = 0.0
    q_quench_w: float = 0.0
    q_unit_w: float = 0.0
    heat_released_j: float = 0.0

    @classmethod
    def initial(cls, cfg: WorldConfig) -> WorldState:
        return cls(
            t_s=0.0,
            tr_c=cfg.initial_tr_c,
            tj_c=cfg.initial_tj_c,
            tb_c=cfg.initial_tb_c,
            tr_filtered_c=cfg.initial_tr_c,
            mgbr_fraction=cfg.mgbr_initial_fraction,
        )

    def reactor_heat_capacity_j_k(self, cfg: WorldConfig) -> float:
        return cfg.c_reactor_j_k + self.c_added_j_k
