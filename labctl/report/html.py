"""The batch record as one self-contained HTML file: styles and SVG figures inline, no script, no link out, so
it opens offline and prints as it looks. Jinja2 escapes everything the journal holds (a protocol's text is the
chemist's, and it goes into the page)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from labctl.journal import now_iso
from labctl.journal.summary import clock
from labctl.report.actions import action_by, action_text
from labctl.report.record import BatchRecord, band_text


def optional_clock(seconds: float | None) -> str:
    return "—" if seconds is None else clock(seconds)


def number(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("labctl.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = optional_clock
    env.filters["number"] = number
    env.filters["band"] = band_text
    env.globals["action_text"] = action_text
    env.globals["action_by"] = action_by
    return env


def _labctl_version() -> str:
    try:
        return version("labctl")
    except PackageNotFoundError:
        return "unknown"


def render_report(record: BatchRecord) -> str:
    # matplotlib costs half a second at import: only a command that renders a record pays it
    from labctl.report.plots import dosed_mass_svg, dosing_svg, temperature_svg  # noqa: PLC0415

    figures = {
        "temperature": temperature_svg(record),
        "dosing": dosing_svg(record),
        "mass": dosed_mass_svg(record),
    }
    context: dict[str, Any] = {
        "r": record,
        "h": record.header,
        "s": record.summary,
        "figures": {name: None if svg is None else Markup(svg) for name, svg in figures.items()},
        "generated": now_iso(),
        "labctl_version": _labctl_version(),
    }
    return _environment().get_template("batch_record.html.j2").render(context)
