"""The chemistry and safety checker: every rule of process-model §3, each with a stable id."""

from __future__ import annotations

from labctl.errors import Location
from labctl.protocol.checks.capabilities import ChillerLimits, RigCapabilities
from labctl.protocol.checks.config import CheckerConfig, load_checker_config
from labctl.protocol.checks.context import CheckContext
from labctl.protocol.checks.findings import RULES, Finding, Severity
from labctl.protocol.checks.overrides import apply_overrides, check_overrides
from labctl.protocol.checks.rules import (
    composition,
    dosing,
    equipment,
    heat_release,
    identity,
    instructions,
    interlocks,
    kmno4,
    labels,
    materials,
    mgbr,
    order,
    parameters,
    plausibility,
    protection,
    quench,
    supervision,
)
from labctl.protocol.loader import LoadedProtocol
from labctl.yamlfile.source_map import DataPath, SourceMap

_ALL_RULES = [
    *materials.RULES,
    *identity.RULES,
    *equipment.RULES,
    *kmno4.RULES,
    *dosing.RULES,
    *heat_release.RULES,
    *mgbr.RULES,
    *quench.RULES,
    *interlocks.RULES,
    *protection.RULES,
    *supervision.RULES,
    *plausibility.RULES,
    *composition.RULES,
    *labels.RULES,
    *instructions.RULES,
    *order.RULES,
    *parameters.RULES,
]


def check(
    loaded: LoadedProtocol, rig: RigCapabilities | None = None, config: CheckerConfig | None = None
) -> list[Finding]:
    """Judge a loaded protocol (against a rig when given); findings are located and in file order."""
    ctx = CheckContext.build(loaded.protocol, config or CheckerConfig(), rig, loaded.parameters)
    # one finding once: a loose interlock guarding three steps is one line to edit
    findings = list(dict.fromkeys(finding for rule in _ALL_RULES for finding in rule(ctx)))
    findings = apply_overrides(ctx, findings) + check_overrides(ctx)
    located = [f.located(_location(loaded.source, f.path)) for f in findings]
    return sorted(
        located, key=lambda f: (f.location.line, f.location.column, f.rule) if f.location else (0, 0, f.rule)
    )


def _location(source: SourceMap, path: DataPath) -> Location:
    """Where a finding about ``path`` points: at its value when that starts on the key's line (a scalar or a
    flow collection), else at the key. A block value starts on a later line, and an empty value (``doser:``)
    is placed by the YAML parser at whatever follows, so neither is the line to edit."""
    key, value = source.key_at(path), source.value_at(path)
    return key if key.line < value.line else value


__all__ = [
    "RULES",
    "CheckerConfig",
    "ChillerLimits",
    "Finding",
    "RigCapabilities",
    "Severity",
    "check",
    "load_checker_config",
]
