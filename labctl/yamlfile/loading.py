"""YAML loading that remembers where every key and value came from, within the bounds of :mod:`limits`."""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from labctl.errors import InputFileError, Location, Problem
from labctl.yamlfile.limits import MAX_DEPTH, MAX_NODES
from labctl.yamlfile.source_map import DataPath, SourceMap


def load_yaml(text: str, file: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain dicts/lists/scalars and a :class:`SourceMap`."""
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _PlainConstructor
    yaml.Composer = _BoundedComposer
    yaml.labctl_file = file  # type: ignore[attr-defined]  # read back by _BoundedComposer
    try:
        _refuse_bracket_piles(yaml, text, file)
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        raise InputFileError([_yaml_problem(exc, file)]) from exc
    except (YAMLError, ValueError, TypeError, RecursionError, OverflowError, NotImplementedError) as exc:
        # NotImplementedError: ruamel's comment handling gives up on some comment placements ('#>' after a key)
        raise InputFileError(
            [Problem(Location(file, 1, 1), "", f"not valid YAML: {exc}", "YAML-SYNTAX")]
        ) from exc
    source = SourceMap(file)
    source.values[()] = Location(file, 1, 1)
    builder = _PlainBuilder(source)
    return builder.convert(document, ()), source


def _refuse_bracket_piles(yaml: YAML, text: str, file: str) -> None:
    """ruamel's scanner looks ahead over every open bracket, quadratic in flow depth: thousands of levels cost
    seconds before the composer's bound is reached. Where the brackets (counted blindly, quotes too) open deeper
    than allowed, only the text up to there is parsed to see whether the nesting is real."""
    cut = _bracket_cut(text)
    if cut is None:
        return
    depth = 0
    try:
        for event in yaml.parse(text[:cut]):
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(file, event.start_mark)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return  # the cut text, or the text itself, is not YAML: the full load says where


def _bracket_cut(text: str) -> int | None:
    depth = 0
    for match in _BRACKET.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return match.end()
    return None


_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(file: str, mark: Any) -> InputFileError:
    where = Location(file, mark.line + 1, mark.column + 1)
    return InputFileError([Problem(where, "", f"nested more than {MAX_DEPTH} levels deep", "YAML-STRUCTURE")])


def _too_many(where: Location) -> InputFileError:
    return InputFileError([Problem(where, "", f"document has more than {MAX_NODES} nodes", "YAML-STRUCTURE")])


class _BoundedComposer(Composer):
    """Stops composing at the first node too many or too deep, so a hostile file costs its bound and no more
    (aliases, which compose nothing new, are counted again when the data is built)."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.nodes = 0
        self.collections = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _too_many(Location(self.loader.labctl_file, event.start_mark.line + 1, 1))
        opens = isinstance(event, CollectionStartEvent)
        self.collections += opens
        try:
            if self.collections > MAX_DEPTH:
                raise _too_deep(self.loader.labctl_file, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.collections -= opens


_UNCLOSED = {
    "while scanning a quoted scalar": "a quoted string",
    "while parsing a flow sequence": "a '[' list",
    "while parsing a flow mapping": "a '{' mapping",
}


def _yaml_problem(exc: MarkedYAMLError, file: str) -> Problem:
    """Point at the line to edit: where an unclosed quote or bracket opened, else where parsing failed."""
    problem, context = exc.problem_mark, exc.context_mark
    opened = _UNCLOSED.get(exc.context or "")
    unclosed = context is not None and opened is not None
    mark, other = (context, problem) if unclosed else (problem or context, context)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    if unclosed:
        what = f"{opened} that is never closed: {what}"
    if other is not None and mark is not None and other.line != mark.line:
        label = "found at" if unclosed else f"{exc.context or 'started'} at"
        what += f" ({label} {other.line + 1}:{other.column + 1})"
    return Problem(Location(file, line, column), "", what, "YAML-SYNTAX")


_CORE = "tag:yaml.org,2002:"
_SCALARS = {
    "str": "text",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "null": "nothing",
    "timestamp": "a date",
    "merge": "a merge key",
    "value": "a value",
}


class _PlainConstructor(RoundTripConstructor):
    """ruamel's round-trip constructor held to plain YAML: mappings, lists and the core scalar types.

    Protocol files have no use for tags such as ``!!omap``, ``!!set`` or ``!custom``, and ruamel fails with
    AttributeError or IndexError on some of them (``!!omap`` on a scalar) and on a few plain scalars (``0x_``).
    Both become YAML errors at the node's position.
    """

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        tag = str(node.tag)
        if isinstance(node, ScalarNode):
            allowed = tag.removeprefix(_CORE) in _SCALARS and tag.startswith(_CORE)
        else:
            allowed = tag == _CORE + ("map" if isinstance(node, MappingNode) else "seq")
        if not allowed:
            shown = "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag
            raise ConstructorError(
                None,
                None,
                f"the tag '{shown}' is not used in protocol files: write plain mappings, lists and values",
                node.start_mark,
            )
        if isinstance(node, MappingNode | SequenceNode):
            return super().construct_object(node, deep)
        try:
            return super().construct_object(node, deep)
        except (ValueError, IndexError, OverflowError) as exc:
            what = _SCALARS[tag.removeprefix(_CORE)]
            raise ConstructorError(
                None,
                None,
                f"cannot read {node.value!r} as {what} ({exc}); quote it to keep it as text",
                node.start_mark,
            ) from exc


class _PlainBuilder:
    """Copies a ruamel round-trip tree into plain Python data, recording positions on the way."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.nodes = 0
        self.open: set[int] = set()  # ids of the containers on the current path, to catch recursive aliases

    def convert(self, node: Any, path: DataPath) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _too_many(self.source.value_at(path))
        if not isinstance(node, dict | list | set):
            return _scalar(node)
        if id(node) in self.open:
            raise InputFileError(
                [
                    Problem(
                        self.source.value_at(path),
                        "",
                        "recursive alias: this value contains itself",
                        "YAML-STRUCTURE",
                    )
                ]
            )
        if len(path) >= MAX_DEPTH:
            raise InputFileError(
                [
                    Problem(
                        self.source.value_at(path),
                        "",
                        f"nested more than {MAX_DEPTH} levels deep",
                        "YAML-STRUCTURE",
                    )
                ]
            )
        self.open.add(id(node))
        try:
            if isinstance(node, CommentedMap):
                return self._mapping(node, path)
            if isinstance(node, CommentedSeq):
                return self._sequence(node, path)
            return self._plain_container(node, path)
        finally:
            self.open.discard(id(node))

    def _mapping(self, node: CommentedMap, path: DataPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in node:
            # Keys merged in with '<<: *anchor' and the entries of '!!omap' have no recorded position:
            # they are placed at the mapping that holds them.
            position = _position(node, key) or (*self._at(path), *self._at(path))
            key_location = Location(self.source.file, position[0] + 1, position[1] + 1)
            if not isinstance(key, str):
                raise InputFileError(
                    [Problem(key_location, "", f"keys must be plain text, got {key!r}", "YAML-STRUCTURE")]
                )
            child = (*path, key)
            self.source.keys[child] = key_location
            self.source.values[child] = Location(self.source.file, position[2] + 1, position[3] + 1)
            out[key] = self.convert(node[key], child)
        return out

    def _sequence(self, node: CommentedSeq, path: DataPath) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(node):
            line, col = (_position(node, index) or self._at(path))[:2]
            child = (*path, index)
            self.source.values[child] = Location(self.source.file, line + 1, col + 1)
            self.source.keys[child] = self.source.values[child]
            out.append(self.convert(item, child))
        return out

    def _at(self, path: DataPath) -> tuple[int, int]:
        """0-based line and column of the value at ``path``, as ruamel counts them."""
        location = self.source.value_at(path)
        return location.line - 1, location.column - 1

    def _plain_container(self, node: dict[Any, Any] | list[Any] | set[Any], path: DataPath) -> Any:
        if isinstance(node, dict):
            return {str(k): self.convert(v, (*path, str(k))) for k, v in node.items()}
        return [self.convert(v, (*path, i)) for i, v in enumerate(node)]


def _position(node: CommentedMap | CommentedSeq, key: Any) -> tuple[int, ...] | None:
    """ruamel's 0-based (line, column[, value line, value column]) of a key or index, if it recorded one."""
    positions = node.lc.data
    if positions is None:
        return None
    try:
        found = positions.get(key)
    except TypeError:  # an unhashable key (a mapping or list used as a key)
        return None
    return tuple(found) if found is not None else None


def _scalar(node: Any) -> Any:
    """Plain scalar types pass; ruamel's tagged subclasses are reduced to their base type."""
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node
