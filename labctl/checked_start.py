"""No run starts, on the rig or dry, from a protocol the checker fails: the findings are printed and nothing runs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from labctl.console import out
from labctl.protocol.checks import CheckerConfig, check
from labctl.protocol.loader import LoadedProtocol
from labctl.rig.model import Rig


def refuse_unless_clean(loaded: LoadedProtocol, rig: Rig | None, protocol: Path) -> None:
    failing = [f for f in check(loaded, rig, CheckerConfig()) if f.severity.fails]
    if not failing:
        return
    for finding in failing:
        out.print(
            f"{escape(str(finding.location or protocol))}: {finding.severity}[{finding.rule}] {escape(finding.message)}"
        )
    out.print(f"{escape(str(protocol))}: not run: fix the findings above (labctl validate --rig)")
    raise typer.Exit(1)
