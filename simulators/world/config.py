"""Every number of the world model in one place, so a rig can be calibrated without touching the physics.

Defaults are those of ``specs/process-model.md`` (procedure A at 0.25 mol scale, jacketed 1 L reactor). SI units
inside (J, W, K, s, mol) except where a field name says otherwise (°C, g, mL, L).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class CoolingCurve:
    """Cooling power of a compressor unit falls with bath temperature; a unit cannot pull below its last point."""

    name: str
    points: tuple[tuple[float, float], ...]  # (bath °C, available cooling W), ascending temperature

    def power_w(self, bath_c: float) -> float:
        """Linear interpolation; zero below the coldest point, flat above the warmest (vendors quote to 0 °C+)."""
        pts = self.points
        if bath_c <= pts[0][0]:
            return 0.0 if bath_c < pts[0][0] else pts[0][1]
        for (t0, p0), (t1, p1) in itertools.pairwise(pts):
            if bath_c <= t1:
                return p0 + (p1 - p0) * (bath_c - t0) / (t1 - t0)
        return pts[-1][1]


MINUS_40_CLASS = CoolingCurve("-40 °C class", ((-40.0, 0.0), (-20.0, 150.0), (0.0, 300.0)))
MINUS_50_CLASS = CoolingCurve("-50 °C class", ((-50.0, 0.0), (-40.0, 170.0), (-20.0, 500.0), (0.0, 800.0)))
MINUS_75_CLASS = CoolingCurve(
    "-75 °C class", ((-75.0, 0.0), (-60.0, 250.0), (-40.0, 600.0), (-20.0, 900.0), (0.0, 1100.0))
)
"""Ours, an estimate in the shape of the spec's two classes (a Unistat 705-like unit): MgBr storage at −60 °C."""
COOLING_CLASSES = (MINUS_40_CLASS, MINUS_50_CLASS, MINUS_75_CLASS)

GAS_CONSTANT = 8.314  # J/(mol·K)
KMNO4_G_PER_MOL = 158.034
ZERO_C_IN_K = 273.15


@dataclass(frozen=True)
class WorldConfig:
    """The lumped model's parameters (process-model §2); frozen so a run cannot drift from what it recorded."""

    # --- time
    step_s: float = 1.0
    # --- reaction mass, jacket, bath
    c_reaction_j_k: float = 1010.0
    c_glass_j_k: float = 360.0
    ua_w_k: float = 6.0
    ua_loss_w_k: float = 0.4
    ua_bath_loss_w_k: float = 0.0  # the spec's bath balance has no ambient term; a rig may calibrate one
    jacket_holdup_l: float = 0.4
    jacket_flow_l_min: float = 10.0
    coolant_j_l_k: float = 1500.0  # volumetric heat capacity of the thermal fluid (silicone-oil class)
    c_bath_j_k: float = 8000.0
    ambient_c: float = 20.0
    initial_tr_c: float = 20.0
    initial_tj_c: float = 20.0
    initial_tb_c: float = 20.0
    # --- thermostat unit and its controllers
    cooling: CoolingCurve = MINUS_40_CLASS  # procedure A rig; MgBr storage needs MINUS_50_CLASS or colder
    heater_w: float = 1500.0
    inner_kp_per_k: float = 0.15  # u per K of bath error
    inner_ti_s: float = 60.0
    outer_kp: float = 3.0  # K of bath setpoint per K of Tr error
    outer_ti_s: float = 600.0
    cascade_band_k: float = 40.0  # bath setpoint kept within ± this of the Tr setpoint
    # --- process probe
    sensor_tau_s: float = 10.0
    sensor_noise_k: float = 0.03
    # --- KMnO4 dosing chemistry
    dosing_enthalpy_j_mol: float = -225e3
    dissolution_tau_0c_s: float = 600.0
    dissolution_ea_j_mol: float = 30e3
    unstirred_factor: float = 0.0  # k_d multiplier while the stirrer stands: the solid settles
    c_powder_j_g_k: float = 0.75
    # --- quench (bisulfite against the remaining oxidising equivalents)
    quench_heat_batch_j: float = 50e3
    quench_batch_kmno4_mol: float = 47.5 / KMNO4_G_PER_MOL  # the batch the quench heat refers to
    quench_enthalpy_j_mol_e: float = 191e3
    quench_tau_s: float = 30.0
    feed_reductant_mol_e_ml: float = 2 * (25.0 / 104.06) / 50.0  # NaHSO3 25 g in 50 mL, 2 e- per HSO3-
    feed_j_ml_k: float = 4.0
    # --- MgBr
    mgbr_half_life_m40_s: float = 4 * 3600.0
    mgbr_ea_j_mol: float = 90e3
    mgbr_stable_below_c: float = -45.0
    mgbr_cutoff_width_k: float = 0.5
    mgbr_initial_fraction: float = 1.0
    # --- doser (Quantos-style head on the balance)
    doser_rate_g_s: float = 0.125  # 5 g in 40 s
    doser_bias: float = 0.005
    doser_sigma: float = 0.015
    doser_fine_floor: float = 0.01
    """A gravimetric head keeps fine-dosing until the pan is at most this fraction below target: the metering
    error ε then shows mostly as overdose, and only a real flow problem (bridging, empty head) ends short."""
    doser_head_g: float = 60.0
    doser_fall_tau_s: float = 1.0  # powder in flight after the head stops: the tail
    balance_vessel_g: float = 30.0
    balance_settle_s: float = 0.6
    # --- pump (Reglo-style peristaltic)
    pump_bias: float = 0.0
    pump_sigma: float = 0.03
    pump_reservoir_ml: float = 100.0
    # --- overhead stirrer (EUROSTAR-style motor in the reaction mass)
    stirrer_initial_rpm: float = 300.0
    """Running from the start, so a rig without a stirrer driver stirs as it always did."""
    stirring_threshold_rpm: float = 50.0
    """Below this the solid settles: the world counts the mass as unstirred."""
    stirrer_ramp_rpm_s: float = 150.0
    stirrer_friction_ncm: float = 2.0
    stirrer_drag_ncm_per_rpm: float = 0.01
    stirrer_viscosity_factor: float = 1.0
    stirrer_stall_ncm: float = 60.0

    @property
    def c_reactor_j_k(self) -> float:
        return self.c_reaction_j_k + self.c_glass_j_k

    @property
    def c_jacket_j_k(self) -> float:
        return self.jacket_holdup_l * self.coolant_j_l_k

    @property
    def circulation_w_k(self) -> float:
        return self.jacket_flow_l_min / 60.0 * self.coolant_j_l_k

    @property
    def quench_mol_e_per_mol_kmno4(self) -> float:
        """Oxidising equivalents left per mol dosed, chosen so the reference batch quenches with the quoted heat."""
        return self.quench_heat_batch_j / self.quench_enthalpy_j_mol_e / self.quench_batch_kmno4_mol
