"""Who is responsible for a run: a batch record names a person (attributable), not a program."""

from __future__ import annotations

import getpass


def operator_name(given: str | None) -> str | None:
    """The name given, else the login name; None when neither is known (the record then says so)."""
    if given is not None and given.strip():
        return given.strip()
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
