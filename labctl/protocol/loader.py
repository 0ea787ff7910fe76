"""Load a protocol file into a :class:`Protocol`, or fail with located problems a person can act on."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.errors import InputFileError, Problem
from labctl.protocol.model import Protocol
from labctl.protocol.steps import STEP_UNION
from labctl.quantities.fields import PARAMETER_REFERENCE
from labctl.yamlfile.document import expect_mapping
from labctl.yamlfile.loading import load_yaml
from labctl.yamlfile.problems import dotted, validated
from labctl.yamlfile.reading import read_text
from labctl.yamlfile.source_map import DataPath, SourceMap

_REFERENCE = re.compile(rf"^{PARAMETER_REFERENCE}$")


@dataclass(frozen=True)
class LoadedProtocol:
    """A validated protocol together with where it came from, for messages and the journal."""

    protocol: Protocol
    source: SourceMap
    file: str
    sha256: str
    parameters: Mapping[str, object]
    text: str
    """The file exactly as loaded and hashed: what the journal keeps as the record of what ran."""


def load_protocol(path: Path | str, parameters: Mapping[str, str] | None = None) -> LoadedProtocol:
    path = Path(path)
    text = read_text(path)
    return parse_protocol(text, str(path), parameters)


def parse_protocol(text: str, file: str, parameters: Mapping[str, str] | None = None) -> LoadedProtocol:
    raw, source = load_yaml(text, file)
    data = expect_mapping(
        raw, file, "expected a protocol: a mapping with metadata, materials, equipment and steps"
    )
    values = _substitute_parameters(data, source, dict(parameters or {}))
    protocol = validated(Protocol, data, source, STEP_UNION)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedProtocol(protocol, source, file, digest, values, text)


def _substitute_parameters(
    data: dict[str, Any], source: SourceMap, given: dict[str, str]
) -> dict[str, object]:
    """Replace whole-value ``${name}`` references by the parameter's value, given or default."""
    declared = data.get("parameters")
    declared = declared if isinstance(declared, dict) else {}
    problems = [
        Problem(
            source.key_at(("parameters",)),
            name,
            f"no such parameter in this protocol (declared: {', '.join(declared) or 'none'})",
            "PARAMETER-UNKNOWN",
        )
        for name in given
        if name not in declared
    ]
    values: dict[str, object] = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = given[name]
        elif isinstance(spec, dict) and "default" in spec:
            values[name] = spec["default"]

    def walk(node: Any, path: DataPath) -> Any:
        if isinstance(node, dict):
            for key, child in node.items():
                if path or key != "parameters":
                    node[key] = walk(child, (*path, key))
            return node
        if isinstance(node, list):
            return [walk(child, (*path, i)) for i, child in enumerate(node)]
        if isinstance(node, str) and (match := _REFERENCE.match(node)) is not None:
            name = match[1]
            if name not in values:
                problems.append(
                    Problem(
                        source.value_at(path),
                        dotted(path),
                        f"unknown parameter '{name}' (declared: {', '.join(declared) or 'none'})",
                        "PARAMETER-UNKNOWN",
                    )
                )
                return node
            return values[name]
        return node

    walk(data, ())
    if problems:
        raise InputFileError(problems)
    return values
