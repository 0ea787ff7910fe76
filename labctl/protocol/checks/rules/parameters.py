"""A parameter's value for this run, given with --set or its default, within the bounds the protocol declares."""

from __future__ import annotations

from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import Finding, error
from labctl.protocol.model import Parameter
from labctl.quantities.units import Kind, UnitError, kind_of, parse_quantity


def check_bounds(ctx: CheckContext) -> list[Finding]:
    findings = []
    for name, spec in ctx.protocol.parameters.items():
        value = ctx.parameters.get(name, spec.default)
        for key, bound in (("minimum", spec.minimum), ("maximum", spec.maximum)):
            if bound is None:
                continue
            problem = _problem(spec, value, bound, key)
            if problem is not None:
                given = "" if value == spec.default else " (as set for this run)"
                findings.append(
                    error("PARAMETER-BOUND", f"'{name}' {problem}{given}", ("parameters", name, key))
                )
    return findings


def _problem(spec: Parameter, value: object, bound: object, key: str) -> str | None:
    kind = kind_of(spec.default)
    try:
        v, b = _number(value, kind), _number(bound, kind)
    except UnitError as exc:
        return f"cannot be compared with its {key}: {exc}"
    if (key == "minimum" and v < b) or (key == "maximum" and v > b):
        return f"is {value}, {'below' if key == 'minimum' else 'above'} its {key} of {bound}"
    return None


def _number(text: object, kind: Kind | None) -> float:
    if kind is not None:
        return parse_quantity(text, kind).value
    if isinstance(text, bool) or not isinstance(text, int | float):
        raise UnitError(f"expected a number like the default, got {text!r}")
    return float(text)


RULES = [check_bounds]
