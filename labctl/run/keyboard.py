"""The person's typing on a terminal, read key by key with the terminal's own echo off.

With echo on, what a person types lands wherever the cursor is: at the end of the live status line, glued to it,
and a redraw then wipes or splits it. Read here instead, the line being typed is drawn by the console on a line
of its own below the status line, and a finished line is handed over as a command.
"""

from __future__ import annotations

import codecs
import os
import select
import termios
import threading
import tty
from collections.abc import Callable
from typing import Any

_ENTER = ("\r", "\n")
_ERASE = ("\x7f", "\b")
_KILL_LINE = "\x15"
_ESCAPE = "\x1b"


class LineEditor:
    """Keys in, lines out: printable characters, backspace, Ctrl-U, Enter; cursor keys and other escape
    sequences are dropped (there is no cursor to move on a one-line prompt)."""

    def __init__(self) -> None:
        self.typed = ""
        self._escape: str | None = None

    def feed(self, keys: str) -> list[str]:
        """The lines finished by `keys`; what is left unfinished stays in `typed`."""
        done: list[str] = []
        for key in keys:
            if self._escape is not None:
                self._escape = _escape_goes_on(self._escape + key)
            elif key == _ESCAPE:
                self._escape = key
            elif key in _ENTER:
                done.append(self.typed)
                self.typed = ""
            elif key in _ERASE:
                self.typed = self.typed[:-1]
            elif key == _KILL_LINE:
                self.typed = ""
            elif key.isprintable():
                self.typed += key
        return done


def _escape_goes_on(sequence: str) -> str | None:
    """None once the escape sequence is complete: `ESC [ … final` (CSI, SS3 `ESC O x`) or `ESC x`."""
    if len(sequence) == 2:
        return sequence if sequence[1] in "[O" else None
    if sequence[1] == "O":
        return None
    return None if "@" <= sequence[-1] <= "~" else sequence


class Keyboard:
    """Reads a terminal in cbreak mode (no echo, no line buffering; Ctrl-C still interrupts) on a daemon thread
    until `stop`, which gives the terminal back as it was."""

    def __init__(self, fd: int, on_line: Callable[[str], None], on_change: Callable[[], None]) -> None:
        self._fd = fd
        self._on_line = on_line
        self._on_change = on_change
        self._editor = LineEditor()
        self._saved: list[Any] | None = None
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._read, daemon=True, name="keyboard")

    @property
    def typed(self) -> str:
        return self._editor.typed

    def start(self) -> None:
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd, termios.TCSANOW)
        self._thread.start()

    def stop(self) -> None:
        if self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
            self._thread.join(timeout=1.0)
            os.close(self._wake_w)
            os.close(self._wake_r)
            self._wake_w = self._wake_r = -1

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            ready, _, _ = select.select([self._fd, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            try:
                data = os.read(self._fd, 256)
            except OSError:
                return
            if not data:
                return
            for line in self._editor.feed(decoder.decode(data)):
                self._on_line(line)
            self._on_change()
