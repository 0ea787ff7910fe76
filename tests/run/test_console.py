"""The run console as a person sees it: a status line that says the run's real state, masses to the doser's 0.1 mg,
and log lines, notices and typed commands above the status line, never on it.

Terminal output is captured from a real rich Console writing to a StringIO as a terminal would get it; typing
comes through a real pseudo-terminal."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import re
import termios
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

import pytest
import structlog
from rich.console import Console

from devices.reading import Reading
from labctl.engine.alarms import Alarm, AlarmBoard, Level
from labctl.engine.control import CommandResult, Delivery, Prompt, RunState, Verb
from labctl.engine.notices import notice
from labctl.engine.snapshot import Snapshot
from labctl.journal.summary import PortionSummary, RunSummary
from labctl.logs import configure_logging
from labctl.masses import grams
from labctl.run.console import RunConsole, status_line
from labctl.run.keyboard import LineEditor
from labctl.summary_view import print_summary

DOSING = "portion 3/5 waits for gate dTr/dt <= 0.5 K/min; 2.31 g dosed"


@dataclass
class StandInRun:
    """What the console reads of an engine, set by hand; `command` obeys pause and resume as the engine does."""

    state: RunState = RunState.RUNNING
    step_id: str | None = "kmno4-addition"
    progress: str | None = DOSING
    prompt: Prompt | None = None
    alarms: AlarmBoard = field(default_factory=AlarmBoard)
    t_s: float = 2520.0
    notices: list[str] = field(default_factory=list)
    commands: list[tuple[Verb, str, str | None]] = field(default_factory=list)

    @property
    def snapshot(self) -> Snapshot:
        at = self.t_s
        return Snapshot(at, tr=Reading(1.23, at), tj=Reading(-4.5, at), setpoint=-5.0, mtsr_c=12.0)

    def now(self) -> float:
        return self.t_s

    def drain_notices(self) -> list[str]:
        lines, self.notices = self.notices, []
        return lines

    def command(self, verb: Verb, by: str, target: str | None = None) -> CommandResult:
        self.commands.append((verb, by, target))
        if verb is Verb.PAUSE and self.state is RunState.RUNNING:
            self.state = RunState.PAUSED
            return CommandResult.ok(verb)
        if verb is Verb.RESUME and self.state is RunState.PAUSED:
            self.state = RunState.RUNNING
            return CommandResult.ok(verb)
        return CommandResult.no(verb, f"run is {self.state}")


def _trip(run: StandInRun, level: Level = Level.TRIP) -> None:
    run.alarms.raise_(Alarm("tr-high", level, "Tr above 5 °C", run.t_s))
    run.state = RunState.EMERGENCY if level is Level.EMERGENCY else RunState.TRIPPED


# --- the status line says the run's real state ----------------------------------------------------------------


def test_a_running_dose_shows_its_progress() -> None:
    line = status_line(StandInRun())
    assert DOSING in line
    assert "running" in line
    assert "Tr   1.23 °C" in line


def test_a_paused_run_says_paused_and_not_the_portion_it_was_at() -> None:
    line = status_line(StandInRun(state=RunState.PAUSED))
    assert "PAUSED" in line
    assert "type 'resume'" in line
    assert "portion 3/5" not in line
    assert "waits for gate" not in line


def test_a_tripped_run_says_which_alarm_to_acknowledge_not_the_gate_of_the_dose() -> None:
    run = StandInRun()
    _trip(run)
    line = status_line(run)
    assert "TRIPPED" in line
    assert "acknowledge tr-high (type 'ack ID'), then 'resume'" in line
    assert "waits for gate" not in line
    assert "alarms: tr-high" in line


def test_a_tripped_run_whose_alarm_is_acknowledged_waits_for_resume() -> None:
    run = StandInRun()
    _trip(run)
    run.alarms.acknowledge("tr-high", "chemist")
    line = status_line(run)
    assert "TRIPPED: additions stopped; type 'resume' when safe" in line
    assert "acknowledge" not in line


def test_an_emergency_says_so() -> None:
    run = StandInRun()
    _trip(run, Level.EMERGENCY)
    line = status_line(run)
    assert "EMERGENCY: rig made safe; acknowledge tr-high" in line
    assert "TRIPPED" not in line
    assert "portion 3/5" not in line


@pytest.mark.parametrize("state", [RunState.RUNNING, RunState.PAUSED])
def test_a_prompt_says_the_run_waits_for_a_person(state: RunState) -> None:
    ask = Prompt("charge#1", "charge", "add 40 mL acetone", 0.0)
    line = status_line(StandInRun(state=state, prompt=ask, progress=None))
    assert "WAITING FOR YOU: add 40 mL acetone (type 'confirm')" in line
    assert "PAUSED" not in line


def test_a_delivery_prompt_offers_pause_as_no() -> None:
    ask = Prompt(
        "feed#2", "feed", "did 12 mL leave the reservoir?", 0.0, delivery=Delivery("pump", 12.0, 0.0)
    )
    line = status_line(StandInRun(prompt=ask))
    assert "(type 'confirm', or 'pause' if it did not arrive)" in line
    assert DOSING not in line


@pytest.mark.parametrize("state", [RunState.STARTING, RunState.COMPLETED, RunState.ABORTED])
def test_outside_a_running_step_no_progress_is_shown(state: RunState) -> None:
    line = status_line(StandInRun(state=state))
    assert "portion 3/5" not in line
    assert str(state) in line


# --- masses to the doser's 0.1 mg ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (4.620100000000001, "4.6201 g"),
        (0.1 + 0.2, "0.3000 g"),
        (4750.3 / 1000, "4.7503 g"),
        (2.999999999999, "3.0000 g"),
        (-0.00001, "0.0000 g"),
        (None, "—"),
    ],
)
def test_a_mass_is_shown_to_a_tenth_of_a_milligram(value: float | None, shown: str) -> None:
    assert grams(value) == shown


def test_portion_notices_show_masses_to_a_tenth_of_a_milligram() -> None:
    start = notice(60.0, "dose", "portion.start", {"portion": 3, "target_g": 0.1 + 0.2, "Tr_C": 1.2})
    result = notice(
        90.0, "dose", "portion.result", {"portion": 3, "outcome": "done", "dispensed_g": 4.620100000000001}
    )
    lost = notice(90.0, "dose", "portion.result", {"portion": 4, "outcome": "unknown", "dispensed_g": None})
    assert start == "    1.0 min  dose: portion 3: start sent, 0.3000 g at Tr 1.2 °C"
    assert result == "    1.5 min  dose: portion 3: done, 4.6201 g dispensed"
    assert lost == "    1.5 min  dose: portion 4: unknown, — dispensed"


def test_the_run_summary_shows_masses_to_a_tenth_of_a_milligram() -> None:
    summary = RunSummary("r1", "completed", duration_s=3600.0, dosed_g=4.620100000000001)
    summary.portions = [
        PortionSummary(
            1, 600.0, 0.30000000000000004, 1.1, "dose", dispensed_g=4.620100000000001, outcome="done"
        ),
        PortionSummary(2, 900.0, 0.3, None, "dose"),
    ]
    out = io.StringIO()
    print_summary(Console(file=out, width=160, color_system=None), summary, planned_g=0.6)
    text = out.getvalue()
    assert "dosed 4.6201 g of 0.6 g planned in 2 portion(s)" in text
    assert "4.6201" in text
    assert "0.3000" in text
    assert "0000000" not in text


# --- log lines, notices and commands above the status line ------------------------------------------------


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal_lines(raw: str) -> list[str]:
    """The stretches of text a terminal shows on one line: control sequences removed, split at every line feed
    and carriage return (both end what was drawn on a line so far)."""
    return [line for line in re.split(r"[\r\n]", _CONTROL.sub("", raw)) if line.strip()]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Console, io.StringIO]]:
    """A console on a terminal, and stderr on the same terminal: what a person running labctl has."""
    screen = io.StringIO()
    monkeypatch.setattr("sys.stderr", screen)
    configure_logging()
    yield Console(file=screen, force_terminal=True, width=400, color_system=None), screen
    structlog.reset_defaults()


def _closed_stdin() -> TextIO:
    r, w = os.pipe()
    os.close(w)
    return os.fdopen(r)


async def test_a_warning_logged_while_the_status_line_is_drawn_lands_above_it(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, screen = terminal
    run = StandInRun()
    view = RunConsole(console, stdin=_closed_stdin())
    view.start()
    try:
        view(run)
        structlog.get_logger("labctl.engine").warning("doser.offline", error="no reply in 5 s")
        run.t_s += 60
        view(run)
        run.notices.append("   43.0 min  kmno4-addition: portion 3: done, 0.3000 g dispensed")
        structlog.get_logger("labctl.engine").warning("doser.online")
        view(run)
    finally:
        await view.stop()
    lines = terminal_lines(screen.getvalue())
    warnings = [line for line in lines if "doser.o" in line]
    assert len(warnings) == 2
    assert all("t=" not in line and "running" not in line for line in warnings)
    assert [line for line in lines if "portion 3: done" in line] == [
        "   43.0 min  kmno4-addition: portion 3: done, 0.3000 g dispensed"
    ]
    status = [line for line in lines if line.startswith("t=")]
    assert status
    assert all("doser." not in line and "portion 3: done" not in line for line in status)


async def test_on_a_narrow_soft_wrapping_console_the_status_line_is_wrapped_not_left_to_the_terminal(
    terminal: tuple[Console, io.StringIO],
) -> None:
    """labctl's console soft-wraps (a long path stays whole); a status line the terminal wrapped would be taller
    than the Live thinks, and its redraw would leave pieces behind."""
    _, screen = terminal
    console = Console(file=screen, force_terminal=True, width=60, soft_wrap=True, color_system=None)
    view = RunConsole(console, stdin=_closed_stdin())
    view.start()
    try:
        view(StandInRun(state=RunState.PAUSED))
    finally:
        await view.stop()
    lines = terminal_lines(screen.getvalue())
    assert len(lines) >= 3
    assert all(len(line) <= 60 for line in lines)
    assert "PAUSED: nothing is added" in "".join(lines)


async def test_commands_from_a_pipe_are_answered_on_lines_of_their_own(
    terminal: tuple[Console, io.StringIO],
) -> None:
    console, screen = terminal
    r, w = os.pipe()
    os.write(w, b"pause\nfly\n")
    os.close(w)
    run = StandInRun()
    view = RunConsole(console, stdin=os.fdopen(r))
    view.start()
    try:
        for _ in range(200):
            view(run)
            if len(run.commands) == 1 and "fly" in screen.getvalue():
                break
            await asyncio.sleep(0.01)
    finally:
        await view.stop()
    assert run.commands == [(Verb.PAUSE, "console", None)]
    lines = terminal_lines(screen.getvalue())
    assert "pause: accepted" in lines
    assert "unknown command 'fly'; expected one of pause, resume, abort, ack, confirm" in lines
    assert not [line for line in lines if "t=" in line and ("accepted" in line or "fly" in line)]


@pytest.fixture
def keyboard() -> Iterator[tuple[int, TextIO]]:
    """A pseudo-terminal: the person's side (write keys to it) and labctl's stdin."""
    person, labctl_side = pty.openpty()
    stdin = os.fdopen(labctl_side, "r")
    try:
        yield person, stdin
    finally:
        stdin.close()
        os.close(person)


async def _run_until(view: RunConsole, run: StandInRun, screen: io.StringIO, text: str) -> None:
    for _ in range(300):
        view(run)
        if text in _CONTROL.sub("", screen.getvalue()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{text!r} never shown")


async def test_typing_is_drawn_below_the_status_line_and_a_command_repeated_above_it(
    terminal: tuple[Console, io.StringIO], keyboard: tuple[int, TextIO]
) -> None:
    console, screen = terminal
    person, stdin = keyboard
    before = termios.tcgetattr(stdin.fileno())
    run = StandInRun()
    view = RunConsole(console, stdin=stdin)
    view.start()
    try:
        view(run)
        os.write(person, b"pau")
        await _run_until(view, run, screen, "› pau")
        os.write(person, b"sx\x7fe\r")
        await _run_until(view, run, screen, "pause: accepted")
        view(run)
    finally:
        await view.stop()
    assert termios.tcgetattr(stdin.fileno()) == before  # the terminal is given back as it was
    assert run.commands == [(Verb.PAUSE, "console", None)]
    lines = terminal_lines(screen.getvalue())
    assert "› pau" in lines  # the typing line, below the status line while it is typed
    assert "› pause" in lines  # the command, repeated above once entered
    assert "pause: accepted" in lines
    assert not [line for line in lines if "t=" in line and ("›" in line or "accepted" in line)]
    assert "PAUSED" in [line for line in lines if line.startswith("t=")][-1]


@pytest.mark.parametrize(
    ("keys", "lines", "typed"),
    [
        ("pause\r", ["pause"], ""),
        ("ack tr\x7f\x7ftr-high\rconf", ["ack tr-high"], "conf"),
        ("abort\x15resume\n", ["resume"], ""),
        ("\x1b[Apau\x1b[Dse\x1bOA\r", ["pause"], ""),
        ("\r", [""], ""),
        ("a\tb\x04c", [], "abc"),
    ],
)
def test_the_line_editor_turns_keys_into_lines(keys: str, lines: list[str], typed: str) -> None:
    editor = LineEditor()
    assert editor.feed(keys) == lines
    assert editor.typed == typed
