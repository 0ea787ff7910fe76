"""The checker's thresholds, with process-model §3/§4 defaults; a YAML file may change any of them."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from labctl.quantities.fields import (
    Celsius,
    Kelvin,
    KelvinPerMinute,
    KilojoulesPerMole,
    MillilitresPerMinute,
    Percent,
    Seconds,
)
from labctl.yamlfile.document import load_yaml_file
from labctl.yamlfile.problems import validated
from labctl.yamlfile.spec import Spec


class CheckerConfig(Spec):
    stoich_low: float = Field(1.0, description="KMnO4 equiv below which a warning is given")
    stoich_high: float = Field(1.3, description="KMnO4 equiv above which a warning is given")
    stoich_fail: float = Field(1.5, description="KMnO4 equiv above which the protocol fails")
    dosing_enthalpy: KilojoulesPerMole = -225.0
    consumption_tau: Seconds = Field(600.0, gt=0, description="KMnO4 consumption time constant at 0 °C")
    slow_consumption_tau: Seconds = Field(
        1200.0, gt=0, description="the slow end of the model's τ (5–20 min), for the quench's timing"
    )
    max_adiabatic_rise: Kelvin = Field(10.0, gt=0)
    min_portion_interval: Seconds = Field(60.0, ge=0)
    max_mtsr: Celsius = 25.0
    gate_max_tr: Celsius = 5.0
    gate_max_rate: KelvinPerMinute = 0.5
    trip_tr: Celsius = 10.0
    trip_rate: KelvinPerMinute = 1.0
    emergency_tr: Celsius = 20.0
    chiller_low_margin: Kelvin = Field(10.0, ge=0)
    room_temperature: Celsius = Field(20.0, description="what a material not cooled first is added at")
    mgbr_max: Celsius = -40.0
    mgbr_setpoint_warn: Celsius = -42.0
    mgbr_alarm_margin: Kelvin = Field(
        1.0, ge=0, description="a person is called this far below the MgBr limit"
    )
    mgbr_storage_alarm_margin: Kelvin = Field(
        5.0, ge=0, description="in storage a person is called this far below the limit (alarm above -45 °C)"
    )
    mgbr_storage_warn_margin: Kelvin = Field(
        15.0, ge=0, description="storage's early warning, this far below the limit (warn above -55 °C)"
    )
    quench_factor: float = Field(1.1, gt=0)
    quench_max_start: Celsius = 5.0
    amount_tolerance: Percent = Field(5.0, ge=0)
    quench_pause_max: Celsius = Field(15.0, description="a quench must pause at or below this Tr")
    max_hysteresis: Kelvin = Field(3.0, gt=0, description="widest hysteresis of a gate or interlock")
    max_dose_tolerance: Percent = Field(5.0, gt=0, description="loosest dose tolerance")
    max_grace: Seconds = Field(600.0, ge=0, description="longest excursion grace of a hold")
    max_reacting_period: Seconds = Field(
        1.0, gt=0, description="longest supervision period of a step where oxidant or MgBr reacts"
    )
    max_wait_tolerance: Kelvin = Field(5.0, gt=0, description="widest tolerance of a wait_until")
    max_timeout: Seconds = Field(86_400.0, gt=0, description="longest wait_until timeout")
    max_band_width: Kelvin = Field(30.0, gt=0, description="widest hold band")
    min_catalyst_loading: Percent = Field(
        5.0,
        ge=0,
        description="least phase-transfer catalyst per alkene (mol %) the consumption model holds for",
    )
    max_substrate_concentration: float = Field(
        1.0, gt=0, description="most alkene per litre of solvent (mol/L) when the oxidant goes in"
    )
    min_stir_speed: float = Field(
        100.0, gt=0, description="slowest stirring (rpm) that keeps a solid suspended and the mass mixed"
    )
    max_stir_speed: float = Field(
        1000.0, gt=0, description="fastest stirring (rpm) a glass vessel's overhead stirrer is set to"
    )
    min_fill: Percent = Field(
        10.0,
        ge=0,
        description="least of the vessel's volume the batch fills, so the probe and stirrer reach it",
    )
    min_confirm_rise: Kelvin = Field(
        2.0, gt=0, description="smallest Tr rise that may confirm a quench (less is sensor noise)"
    )
    max_confirm_within: Seconds = Field(
        1800.0, gt=0, description="longest wait for a quench's confirming rise"
    )
    oxidation_window: tuple[Celsius, Celsius] = Field(
        (0.0, 5.0),
        description="the KMnO4 procedure's temperature window, for setpoints and bands with oxidant",
    )
    quench_max_unreacted: Percent = Field(
        5.0, gt=0, description="most oxidant the model may count unreacted at the quench"
    )
    max_pump_rate: MillilitresPerMinute = Field(
        100.0, gt=0, description="fastest pump rate without a rig that says its own (--rig)"
    )
    max_setpoint_step: Kelvin = Field(
        30.0, gt=0, description="largest setpoint change made at once; more is written as a ramp"
    )
    max_ramp_rate: KelvinPerMinute = Field(
        2.0, gt=0, description="fastest ramp a chiller of this class follows"
    )
    min_consume_hold: Seconds = Field(
        7200.0,
        ge=0,
        description="shortest hold that may mark a material consumed (the procedure's 'several hours')",
    )
    heat_capacity_tolerance: Percent = Field(
        30.0, gt=0, description="declared heat capacity against the estimate"
    )
    max_fill: Percent = Field(80.0, gt=0, description="most of the vessel's volume the batch may fill")
    boiling_margin: Kelvin = Field(
        10.0, ge=0, description="a dosing's worst-case MTSR stays this far below the solvent's boiling point"
    )
    full_cooling_margin: Kelvin = Field(
        10.0,
        ge=0,
        description="the declared chiller range reaches this far below the coldest setpoint of a reaction",
    )


def load_checker_config(path: Path) -> CheckerConfig:
    data, source = load_yaml_file(path)
    return validated(CheckerConfig, data if data is not None else {}, source)
