"""labctl's error types: every error a person can act on derives from :class:`LabctlError`."""

from __future__ import annotations

from dataclasses import dataclass


class LabctlError(Exception):
    """Base of every error labctl raises on purpose (bad input, unsafe plan, refused command)."""


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column are 1-based as editors show them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


PROBLEM_CODES = frozenset(
    {
        "FILE-UNREADABLE",
        "YAML-SYNTAX",
        "YAML-STRUCTURE",
        "DOCUMENT",
        "KEY-MISSING",
        "KEY-UNKNOWN",
        "STEP-KIND",
        "UNIT-MISSING",
        "UNIT-KIND",
        "UNIT-UNKNOWN",
        "QUANTITY-FORMAT",
        "QUANTITY-RANGE",
        "CONDITION",
        "VALUE-TYPE",
        "VALUE-RANGE",
        "VALUE-CHOICE",
        "VALUE-CONFLICT",
        "NAME-FORMAT",
        "PARAMETER-UNKNOWN",
        "INVALID",
    }
)
"""The kinds of mistake that stop a file from loading; each Problem carries one."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where, which key, what was expected, and a stable code for the kind
    of mistake (UNIT-MISSING, KEY-UNKNOWN, YAML-SYNTAX, …) that tests and tools can match."""

    location: Location
    key: str
    message: str
    code: str = "INVALID"

    def __str__(self) -> str:
        key = f" {self.key}:" if self.key else ""
        return f"{self.location}: error[{self.code}]{key} {self.message}"


class InputFileError(LabctlError):
    """A protocol, rig or configuration file that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("InputFileError needs at least one problem")
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
