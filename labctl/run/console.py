"""What a person at the terminal sees and types during a run.

Output: a line per thing that matters (state changes, steps, portions, alarms, prompts) and a status line a
minute; on a terminal the status line is a live rich display instead. Input: one command per line on stdin —
`pause`, `resume`, `abort [reason]`, `ack ALARM`, `confirm` — passed to the engine's control API, which says
whether it was accepted and why not.
"""

from __future__ import annotations

import asyncio
import sys
import threading

from rich.console import Console
from rich.live import Live
from rich.text import Text

from labctl.engine.control import Verb
from labctl.engine.engine import Engine

STATUS_EVERY_S = 60.0
WHO = "console"

_VERBS = {
    "pause": Verb.PAUSE,
    "resume": Verb.RESUME,
    "abort": Verb.ABORT,
    "ack": Verb.ACK_ALARM,
    "confirm": Verb.CONFIRM_PROMPT,
}


def status_line(eng: Engine) -> str:
    snap = eng.snapshot
    tr = snap.tr_value()
    parts = [
        f"t={eng.now() / 60:7.1f} min",
        f"{eng.state}",
        f"step {eng.step_id}",
        "Tr " + ("—" if tr is None else f"{tr:6.2f} °C"),
        "Tj " + ("—" if snap.tj_value() is None else f"{snap.tj_value():6.2f} °C"),
        "Tset " + ("—" if snap.setpoint is None else f"{snap.setpoint:g} °C"),
    ]
    if snap.mtsr_c is not None:
        parts.append(f"MTSR {snap.mtsr_c:5.1f} °C")
    if eng.progress is not None:
        parts.append(eng.progress)
    if eng.prompt is not None:
        answer = "'confirm', or 'pause' if it did not arrive" if eng.prompt.delivery else "'confirm'"
        parts.append(f"PROMPT: {eng.prompt.message} (type {answer})")
    open_alarms = [a.id for a in eng.alarms.open_alarms()]
    if open_alarms:
        parts.append("alarms: " + ", ".join(open_alarms))
    return " | ".join(parts)


class RunConsole:
    """Called by the engine once per cycle (as its operator hook): prints what changed, applies typed commands."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live: Live | None = None
        self._last_status = float("-inf")
        self._commands: asyncio.Queue[str] = asyncio.Queue()

    def start(self) -> None:
        if self._console.is_terminal:
            self._live = Live(Text(""), console=self._console, refresh_per_second=4, transient=True)
            self._live.start()
        if sys.stdin is not None and not sys.stdin.closed:
            loop = asyncio.get_running_loop()
            # A daemon thread, not the loop's executor: a blocked readline must not hold up the exit.
            threading.Thread(target=self._read_stdin, args=(loop,), daemon=True, name="stdin").start()

    async def stop(self) -> None:
        if self._live is not None:
            self._live.stop()

    def _read_stdin(self, loop: asyncio.AbstractEventLoop) -> None:
        for line in sys.stdin:
            try:
                loop.call_soon_threadsafe(self._commands.put_nowait, line.strip())
            except RuntimeError:  # the loop has closed: the run is over
                return

    def __call__(self, eng: Engine) -> None:
        self._print_new_records(eng)
        while not self._commands.empty():
            self._apply(eng, self._commands.get_nowait())
        if self._live is not None:
            self._live.update(Text(status_line(eng)))
        elif eng.now() - self._last_status >= STATUS_EVERY_S:
            self._last_status = eng.now()
            self._console.print(status_line(eng), highlight=False)

    def _apply(self, eng: Engine, line: str) -> None:
        if not line:
            return
        word, _, rest = line.partition(" ")
        verb = _VERBS.get(word.lower())
        if verb is None:
            self._console.print(f"unknown command {word!r}; expected one of {', '.join(_VERBS)}")
            return
        result = eng.command(verb, WHO, rest.strip() or None)
        verdict = "accepted" if result.accepted else f"rejected: {result.reason}"
        self._console.print(f"{verb}: {verdict}")

    def _print_new_records(self, eng: Engine) -> None:
        for line in eng.drain_notices():
            self._console.print(line, highlight=False, markup=False)
