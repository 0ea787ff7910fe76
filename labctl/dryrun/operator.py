"""The dry run's stand-in for a chemist at the bench: confirms charges and prompts after a realistic pause.

It never acknowledges an alarm or resumes a paused or tripped run: those decisions are left open, so a dry run
shows where a real run would wait for a person (and ends, halted, after the engine's operator timeout).
"""

from __future__ import annotations

from labctl.engine.control import Verb
from labctl.engine.engine import Engine

WHO = "dry-run operator"


class SimulatedOperator:
    def __init__(self, reply_after_s: float = 60.0) -> None:
        self.reply_after_s = reply_after_s

    def __call__(self, eng: Engine) -> None:
        prompt = eng.prompt
        if prompt is not None and eng.now() - prompt.opened_at >= self.reply_after_s:
            eng.command(Verb.CONFIRM_PROMPT, WHO, prompt.id)
