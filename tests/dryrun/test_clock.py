"""The fast-forward clock carries what is on the wire before time moves: a background job's request that has not
reached the instrument yet is answered at the process time it was sent, never a step later."""

from __future__ import annotations

import asyncio

import pytest

from devices.huber_pb import HuberPB
from labctl.dryrun.clock import FastForwardClock
from simulators.clock import ManualClock
from simulators.rig import SimulatedRig


async def _job_answered_at(jobs_running: bool) -> list[float]:
    """A job spawned just before the engine sleeps asks the chiller for Tr; when (in process time) was it
    answered, as seen from the end of the sleep?"""
    sim_clock = ManualClock()
    sim = SimulatedRig(sim_clock, seed=1)
    endpoints = await sim.serve(huber_reply_delay_s=0.0)
    chiller = await HuberPB.open(endpoints.urls()["chiller"], name="chiller", clock=sim_clock.now)
    clock = FastForwardClock(sim_clock, sim)
    answered: list[float] = []

    async def job() -> None:
        reading = await chiller.process_temperature()
        answered.append(reading.at)

    try:
        task = asyncio.get_running_loop().create_task(job())
        clock.carry_only_while(lambda: not task.done() and jobs_running)
        await clock.sleep(3.0)
        seen = list(answered)
        await task
        return seen
    finally:
        await chiller.close()
        await sim.close()


async def test_a_job_s_request_is_answered_before_the_clock_moves() -> None:
    assert await _job_answered_at(jobs_running=True) == [0.0]


async def test_without_a_job_running_the_sleep_carries_nothing_and_time_moves_at_once() -> None:
    """The hook is what holds the clock: told no job runs, the sleep does not wait for one (so the engine must
    say so truthfully: `Engine.jobs_running`)."""
    assert await _job_answered_at(jobs_running=False) == []


@pytest.mark.parametrize("seconds", [1.0, 2.5, 30.0])
async def test_a_sleep_moves_process_time_by_exactly_its_length(seconds: float) -> None:
    sim_clock = ManualClock()
    sim = SimulatedRig(sim_clock, seed=1)
    clock = FastForwardClock(sim_clock, sim)
    clock.carry_only_while(lambda: False)
    await clock.sleep(seconds)
    assert clock.now() == pytest.approx(seconds)
