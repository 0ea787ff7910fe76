"""Reading an input file as text, refusing what is not a small regular UTF-8 file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from labctl.errors import InputFileError, Location, Problem
from labctl.yamlfile.limits import MAX_BYTES


def read_text(path: Path) -> str:
    """Read a UTF-8 input file, turning OS and encoding failures into a located problem.

    Only a regular file is read, and never more than the limit: ``/dev/zero`` would fill memory, and a FIFO
    would block for ever (it is opened without blocking, and refused by what it is)."""
    name = str(path)
    raw = _read_bounded(path, name)
    if len(raw) > MAX_BYTES:
        raise InputFileError([_unreadable(name, f"file is larger than {MAX_BYTES} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError(
            [Problem(Location(name, line, 1), "", "file is not valid UTF-8 text", "FILE-UNREADABLE")]
        ) from exc


def _read_bounded(path: Path, name: str) -> bytes:
    try:
        _regular(os.stat(path).st_mode, name)  # a socket cannot even be opened
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputFileError([_unreadable(name, f"cannot read file: {exc.strerror}")]) from exc
    try:
        _regular(os.fstat(fd).st_mode, name)  # what was opened, should the path have changed since
        with os.fdopen(os.dup(fd), "rb") as file:
            return file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputFileError([_unreadable(name, f"cannot read file: {exc.strerror}")]) from exc
    finally:
        os.close(fd)


def _regular(mode: int, name: str) -> None:
    if not stat.S_ISREG(mode):
        raise InputFileError([_unreadable(name, f"not a regular file ({_file_kind(mode)})")])


def _file_kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a pipe",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a file")


def _unreadable(name: str, why: str) -> Problem:
    return Problem(Location(name, 1, 1), "", why, "FILE-UNREADABLE")
