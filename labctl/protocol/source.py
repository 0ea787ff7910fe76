"""YAML loading that remembers where every key and value came from.

Pydantic validates plain data; errors and checker findings name a path into that data. :class:`SourceMap` turns
such a path back into ``file:line:column`` so every message points at the line a person has to edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from labctl.errors import InputFileError, Location, Problem

PathKey = str | int
DataPath = tuple[PathKey, ...]

MAX_NODES = 100_000
MAX_BYTES = 2_000_000


@dataclass
class SourceMap:
    """Positions of the keys and values of one loaded document."""

    file: str
    keys: dict[DataPath, Location] = field(default_factory=dict)
    values: dict[DataPath, Location] = field(default_factory=dict)

    def value_at(self, path: Sequence[PathKey]) -> Location:
        """Where the value at ``path`` starts, or the nearest enclosing place that exists."""
        return self._nearest(tuple(path), self.values)

    def key_at(self, path: Sequence[PathKey]) -> Location:
        """Where the key of ``path`` is written (the line to edit), or the nearest enclosing place."""
        return self._nearest(tuple(path), self.keys)

    def _nearest(self, path: DataPath, table: dict[DataPath, Location]) -> Location:
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in table:
                return table[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return Location(self.file, 1, 1)


def read_text(path: Path) -> str:
    """Read a UTF-8 input file, turning OS and encoding failures into a located problem."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(
            [Problem(Location(name, 1, 1), "", f"cannot read file: {exc.strerror}")]
        ) from exc
    if len(raw) > MAX_BYTES:
        raise InputFileError([Problem(Location(name, 1, 1), "", f"file is larger than {MAX_BYTES} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputFileError([Problem(Location(name, line, 1), "", "file is not valid UTF-8 text")]) from exc


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain dicts/lists/scalars and a :class:`SourceMap`."""
    yaml = YAML(typ="rt", pure=True)
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        raise InputFileError([_yaml_problem(exc, file)]) from exc
    except (YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise InputFileError([Problem(Location(file, 1, 1), "", f"not valid YAML: {exc}")]) from exc
    source = SourceMap(file)
    source.values[()] = Location(file, 1, 1)
    builder = _PlainBuilder(source)
    return builder.convert(document, ()), source


def _yaml_problem(exc: MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    context = exc.context_mark
    if exc.problem_mark is not None and context is not None and context.line != exc.problem_mark.line:
        what += f" ({exc.context or 'started'} at {context.line + 1}:{context.column + 1})"
    return Problem(Location(file, line, column), "", f"YAML syntax error: {what}")


class _PlainBuilder:
    """Copies a ruamel round-trip tree into plain Python data, recording positions on the way."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.nodes = 0

    def convert(self, node: Any, path: DataPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputFileError(
                [Problem(self.source.value_at(path), "", f"document has more than {MAX_NODES} nodes")]
            )
        if isinstance(node, CommentedMap):
            return self._mapping(node, path)
        if isinstance(node, CommentedSeq):
            return self._sequence(node, path)
        if isinstance(node, dict | list | set):
            return self._plain_container(node, path)
        return _scalar(node)

    def _mapping(self, node: CommentedMap, path: DataPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in node:
            position = node.lc.key(key)
            key_location = Location(self.source.file, position[0] + 1, position[1] + 1)
            if not isinstance(key, str):
                raise InputFileError([Problem(key_location, "", f"keys must be plain text, got {key!r}")])
            child = (*path, key)
            self.source.keys[child] = key_location
            value_line, value_col = node.lc.value(key)
            self.source.values[child] = Location(self.source.file, value_line + 1, value_col + 1)
            out[key] = self.convert(node[key], child)
        return out

    def _sequence(self, node: CommentedSeq, path: DataPath) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(node):
            line, col = node.lc.item(index)
            child = (*path, index)
            self.source.values[child] = Location(self.source.file, line + 1, col + 1)
            self.source.keys[child] = self.source.values[child]
            out.append(self.convert(item, child))
        return out

    def _plain_container(self, node: dict[Any, Any] | list[Any] | set[Any], path: DataPath) -> Any:
        if isinstance(node, dict):
            return {str(k): self.convert(v, (*path, str(k))) for k, v in node.items()}
        return [self.convert(v, (*path, i)) for i, v in enumerate(node)]


def _scalar(node: Any) -> Any:
    """Plain scalar types pass; ruamel's tagged subclasses are reduced to their base type."""
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node
