"""What a person at the terminal sees and types during a run.

Output: a line per thing that matters (state changes, steps, portions, alarms, prompts) and a status line a
minute; on a terminal the status line is a live rich display instead, with the person's typing on a line of its
own below it. Everything else written while the display is up (notices, command verdicts, log lines, warnings)
goes through the same rich Console, so it lands above the display, never glued to it. Input: one command per
line on stdin — `pause`, `resume`, `abort [reason]`, `ack ALARM`, `confirm` — passed to the engine's control API,
which says whether it was accepted and why not.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Protocol, TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from labctl.engine.alarms import AlarmBoard, Level
from labctl.engine.control import CommandResult, Prompt, RunState, Verb
from labctl.engine.snapshot import Snapshot
from labctl.run.keyboard import Keyboard

STATUS_EVERY_S = 60.0
WHO = "console"
TYPING = "› "
"""Starts the line the person types on, and each command of theirs repeated above the status line."""

_VERBS = {
    "pause": Verb.PAUSE,
    "resume": Verb.RESUME,
    "abort": Verb.ABORT,
    "ack": Verb.ACK_ALARM,
    "confirm": Verb.CONFIRM_PROMPT,
}


class WatchedRun(Protocol):
    """What the console reads of a running engine and the one thing it calls: `command`."""

    @property
    def state(self) -> RunState: ...
    @property
    def step_id(self) -> str | None: ...
    @property
    def progress(self) -> str | None: ...
    @property
    def prompt(self) -> Prompt | None: ...
    @property
    def alarms(self) -> AlarmBoard: ...
    @property
    def snapshot(self) -> Snapshot: ...
    def now(self) -> float: ...
    def drain_notices(self) -> list[str]: ...
    def command(self, verb: Verb, by: str, target: str | None = None) -> CommandResult: ...


def status_line(eng: WatchedRun) -> str:
    snap = eng.snapshot
    tr, tj = snap.tr_value(), snap.tj_value()
    parts = [
        f"t={eng.now() / 60:7.1f} min",
        f"{eng.state}",
        f"step {eng.step_id}",
        "Tr " + ("—" if tr is None else f"{tr:6.2f} °C"),
        "Tj " + ("—" if tj is None else f"{tj:6.2f} °C"),
        "Tset " + ("—" if snap.setpoint is None else f"{snap.setpoint:g} °C"),
    ]
    if snap.mtsr_c is not None:
        parts.append(f"MTSR {snap.mtsr_c:5.1f} °C")
    doing = what_the_run_is_doing(eng)
    if doing is not None:
        parts.append(doing)
    open_alarms = [a.id for a in eng.alarms.open_alarms()]
    if open_alarms:
        parts.append("alarms: " + ", ".join(open_alarms))
    return " | ".join(parts)


def what_the_run_is_doing(eng: WatchedRun) -> str | None:
    """The run's real state in words: a question for a person first, then a stop and what ends it; the step's
    own progress only while the run is running (a paused dose is not 'waiting for its gate')."""
    if eng.prompt is not None:
        return _waiting_for_a_person(eng.prompt)
    if eng.state is RunState.RUNNING:
        return eng.progress
    if eng.state is RunState.PAUSED:
        return "PAUSED: nothing is added; type 'resume' to go on"
    if eng.state in (RunState.TRIPPED, RunState.EMERGENCY):
        return _stopped(eng)
    return None


def _waiting_for_a_person(prompt: Prompt) -> str:
    answer = "'confirm', or 'pause' if it did not arrive" if prompt.delivery else "'confirm'"
    return f"WAITING FOR YOU: {prompt.message} (type {answer})"


def _stopped(eng: WatchedRun) -> str:
    what = "EMERGENCY: rig made safe" if eng.state is RunState.EMERGENCY else "TRIPPED: additions stopped"
    waiting = [a.id for a in eng.alarms.unacknowledged(Level.TRIP, Level.EMERGENCY)]
    if waiting:
        return f"{what}; acknowledge {', '.join(waiting)} (type 'ack ID'), then 'resume'"
    return f"{what}; type 'resume' when safe"


class RunConsole:
    """Called by the engine once per cycle (as its operator hook): prints what changed, applies typed commands."""

    def __init__(self, console: Console, stdin: TextIO | None = None) -> None:
        self._console = console
        self._stdin = sys.stdin if stdin is None else stdin
        self._live: Live | None = None
        self._keyboard: Keyboard | None = None
        self._last_status = float("-inf")
        self._status = ""
        self._commands: asyncio.Queue[str] = asyncio.Queue()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._console.is_terminal:
            # Redraws only from the engine's cycle (no refresh thread): every write to the terminal comes from
            # this thread, in order. Log lines on stderr and stray prints go through the Live's redirection.
            self._live = Live(
                self._display(),
                console=self._console,
                auto_refresh=False,
                transient=True,
                redirect_stderr=True,
            )
            self._live.start()
        stdin = self._stdin
        if stdin is None or stdin.closed:
            return
        if self._live is not None and _typed_at(stdin):
            self._keyboard = Keyboard(
                stdin.fileno(), lambda line: self._submit(loop, line), self._redraw_soon(loop)
            )
            self._keyboard.start()
        else:
            # A daemon thread, not the loop's executor: a blocked readline must not hold up the exit.
            threading.Thread(target=self._read_lines, args=(loop, stdin), daemon=True, name="stdin").start()

    async def stop(self) -> None:
        if self._keyboard is not None:
            self._keyboard.stop()
        if self._live is not None:
            self._live.stop()

    def _submit(self, loop: asyncio.AbstractEventLoop, line: str) -> None:
        _call_soon(loop, lambda: self._commands.put_nowait(line))

    def _redraw_soon(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        return lambda: _call_soon(loop, self._redraw)

    def _read_lines(self, loop: asyncio.AbstractEventLoop, stdin: TextIO) -> None:
        for line in stdin:
            self._submit(loop, line.strip())

    def __call__(self, eng: WatchedRun) -> None:
        self._print_new_records(eng)
        while not self._commands.empty():
            self._apply(eng, self._commands.get_nowait())
        self._status = status_line(eng)
        if self._live is not None:
            self._redraw()
        elif eng.now() - self._last_status >= STATUS_EVERY_S:
            self._last_status = eng.now()
            self._console.print(self._status, highlight=False, markup=False)

    def _display(self) -> Group:
        typed = "" if self._keyboard is None else self._keyboard.typed
        lines = [self._status] if self._keyboard is None else [self._status, TYPING + typed]
        # Wrapped by rich even on a soft-wrapping console: the Live counts the lines it drew to redraw over them.
        return Group(*(Text(line, no_wrap=False, overflow="fold") for line in lines))

    def _redraw(self) -> None:
        if self._live is not None:
            self._live.update(self._display(), refresh=True)

    def _apply(self, eng: WatchedRun, line: str) -> None:
        line = line.strip()
        if not line:
            return
        if self._keyboard is not None:  # the typing line is cleared: the command stays readable above
            self._console.print(TYPING + line, highlight=False, markup=False)
        word, _, rest = line.partition(" ")
        verb = _VERBS.get(word.lower())
        if verb is None:
            self._say(f"unknown command {word!r}; expected one of {', '.join(_VERBS)}")
            return
        result = eng.command(verb, WHO, rest.strip() or None)
        verdict = "accepted" if result.accepted else f"rejected: {result.reason}"
        self._say(f"{verb}: {verdict}")

    def _say(self, text: str) -> None:
        self._console.print(text, highlight=False, markup=False)

    def _print_new_records(self, eng: WatchedRun) -> None:
        for line in eng.drain_notices():
            self._say(line)


def _call_soon(loop: asyncio.AbstractEventLoop, call: Callable[[], None]) -> None:
    """From another thread; once the loop has closed the run is over and there is nobody left to tell."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(call)


def _typed_at(stdin: TextIO) -> bool:
    """A terminal, and not one this process's job control puts in the background (`labctl run … &`): changing the
    settings of a terminal it does not own in the foreground would stop the run (SIGTTOU)."""
    try:
        fd = stdin.fileno()
        if not os.isatty(fd):
            return False
    except (OSError, ValueError):
        return False
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:  # not this process's controlling terminal: no job control to stop it
        return True
