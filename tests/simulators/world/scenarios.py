"""The reference scenarios of process-model §1, as small drivers of a World on a ManualClock."""

from __future__ import annotations

from dataclasses import dataclass, replace

from simulators.clock import ManualClock
from simulators.world import World, WorldConfig

SETPOINT_C = 2.5
PORTION_G = 4.75
SETTLE_S = 20 * 60


@dataclass
class Outcome:
    tr_max_c: float
    t_25c_s: float | None  # seconds after dosing started
    unreacted_end_of_dosing: float
    world: World


def ice_bath(config: WorldConfig | None = None) -> WorldConfig:
    """A round-bottom flask in melting ice: poorer contact (UA 3 W/K) and a bath that stays at 0 °C."""
    return replace(config or WorldConfig(), ua_w_k=3.0, c_bath_j_k=1e12, initial_tb_c=0.0, initial_tj_c=0.0)


def rig(config: WorldConfig | None = None, seed: int = 1) -> tuple[World, ManualClock]:
    """A reactor steady near the Tr setpoint: cascade control, or an ice bath (huge bath, no unit running)."""
    base = config or WorldConfig()
    ice = base.c_bath_j_k > 1e9
    cfg = replace(base, initial_tr_c=SETPOINT_C)
    if not ice:
        cfg = replace(cfg, initial_tj_c=SETPOINT_C, initial_tb_c=SETPOINT_C)
    clock = ManualClock()
    world = World(cfg, clock, seed)
    world.thermostat.set_control(SETPOINT_C, process_mode=True, running=not ice, circulating=True)
    clock.advance(SETTLE_S)
    world.advance()
    return world, clock


def dosing(
    config: WorldConfig | None = None,
    *,
    portions: int = 10,
    all_at_once: bool = False,
    chiller_fails_at_s: float | None = None,
    failure: str = "power",
    stop_dosing_on_failure: bool = False,
    duration_s: float = 90 * 60,
    seed: int = 1,
) -> Outcome:
    world, clock = rig(config, seed)
    start = clock.now()
    tr_max = world.reactor_c()
    t_25: float | None = None
    unreacted_eod = 0.0
    failed = False
    for second in range(int(duration_s) + 1):
        if chiller_fails_at_s is not None and not failed and second >= chiller_fails_at_s:
            if failure == "power":
                world.thermostat.lose_power()
            else:
                world.thermostat.fail_compressor()
            failed = True
        if second % 60 == 0 and second // 60 < portions and not (failed and stop_dosing_on_failure):
            if all_at_once:
                if second == 0:
                    world.charge_kmno4(PORTION_G * portions)
            else:
                world.doser.start_dose(PORTION_G)
        if second == portions * 60:
            unreacted_eod = world.unreacted_fraction()
        tr = world.reactor_c()
        tr_max = max(tr_max, tr)
        if t_25 is None and tr >= 25.0:
            t_25 = clock.now() - start
        clock.advance(1.0)
    return Outcome(tr_max, t_25, unreacted_eod, world)
