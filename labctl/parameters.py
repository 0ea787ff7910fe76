"""`--set NAME=VALUE` options as every command that loads a protocol reads them."""

from __future__ import annotations

import typer


def parse_parameters(values: list[str]) -> dict[str, str]:
    parsed = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        parsed[name.strip()] = value.strip()
    return parsed
