"""How fast the world fast-forwards: process seconds per CPU second for a 3 h procedure-A run and a 3-day hold.

Run: .venv/bin/python benchmarks/bench_world.py
"""

from __future__ import annotations

import time

from simulators.clock import ManualClock
from simulators.world import MINUS_50_CLASS, World, WorldConfig


def procedure_a(process_s: int) -> None:
    cfg = WorldConfig(initial_tr_c=2.5, initial_tj_c=2.5, initial_tb_c=2.5)
    clock = ManualClock()
    world = World(cfg, clock, seed=1)
    world.thermostat.set_control(2.5, process_mode=True, running=True, circulating=True)
    for second in range(process_s):
        if second % 60 == 0 and second < 600:
            world.doser.start_dose(4.75)
        if second == 2 * 3600 + 600:
            world.pump.run(100.0, 50.0)
        clock.advance(1.0)
        world.thermostat.process_temperature_c()  # a 1 s poll, as the supervisor would


def storage_hold(process_s: int) -> None:
    clock = ManualClock()
    world = World(WorldConfig(cooling=MINUS_50_CLASS), clock, seed=1)
    world.thermostat.set_control(-45.0, process_mode=True, running=True, circulating=True)
    for _ in range(process_s // 60):
        clock.advance(60.0)
        world.mgbr_fraction()


def main() -> None:
    for name, run, process_s in (
        ("procedure A, 3 h, 1 s polls", procedure_a, 3 * 3600),
        ("MgBr hold, 3 days, 60 s polls", storage_hold, 3 * 86400),
    ):
        started = time.process_time()
        run(process_s)
        cpu = time.process_time() - started
        print(f"{name:32s} {cpu:6.3f} s CPU  {process_s / cpu:10.0f} process-s per CPU-s")


if __name__ == "__main__":
    main()
