"""The dry run's stand-in for a chemist at the bench: confirms charges and prompts after a realistic pause.

It never acknowledges an alarm or resumes a paused or tripped run: those decisions are left open, so a dry run
shows where a real run would wait for a person (and ends, halted, after the engine's operator timeout). Asked
whether an addition arrived, it looks at the simulated bench and pauses the run when it did not: that is a
person's "no". With no bench to look at, it cannot tell, and says no.
"""

from __future__ import annotations

from labctl.dryrun.bench import the_bench
from labctl.engine.control import Delivery, Verb
from labctl.engine.engine import Engine

WHO = "dry-run operator"
READ_WITHIN = 0.10
"""How closely a person reads a graduated reservoir: less than this short of the plan is what they confirm."""


class SimulatedOperator:
    def __init__(self, reply_after_s: float = 60.0) -> None:
        self.reply_after_s = reply_after_s

    def __call__(self, eng: Engine) -> None:
        prompt = eng.prompt
        if prompt is None or eng.now() - prompt.opened_at < self.reply_after_s:
            return
        if prompt.delivery is not None and not _arrived(prompt.delivery):
            eng.command(Verb.PAUSE, WHO, None)
            return
        eng.command(Verb.CONFIRM_PROMPT, WHO, prompt.id)


def _arrived(delivery: Delivery) -> bool:
    bench = the_bench()
    if bench is None:
        return False
    seen = bench.delivered_ml(delivery.device, delivery.since_s)
    return seen >= (1.0 - READ_WITHIN) * delivery.planned_ml
