"""The one console labctl's commands print their reports on, and how a located problem is shown there."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from labctl.errors import InputFileError

# No emoji codes and no markup from file names or messages: ':warning:' or '[/x]' in a path is printed as written.
out = Console(highlight=False, soft_wrap=True, emoji=False)


def print_problems(exc: InputFileError) -> None:
    for problem in exc.problems:
        key = f"{problem.key}: " if problem.key else ""
        out.print(
            f"{escape(str(problem.location))}: [red]error[/red]\\[{problem.code}] {escape(key + problem.message)}"
        )
