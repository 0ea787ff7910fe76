"""Pydantic's validation errors, turned into problems that name file:line:column, the key and what was expected."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from labctl.errors import InputFileError, Problem
from labctl.yamlfile.source_map import DataPath, PathKey, SourceMap

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class TaggedUnion:
    """Mappings told apart by one key, as a protocol's steps are by ``step:``. An unknown or missing tag is
    reported with the kinds allowed, under the file kind's own code, and a misspelt key is matched against the
    model the tag names."""

    key: str
    kinds: Sequence[str]
    code: str


def validated(model: type[Model], data: Any, source: SourceMap, tagged: TaggedUnion | None = None) -> Model:
    """``model`` validated from ``data``, or :class:`InputFileError` with every problem located in the file."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputFileError(validation_problems(exc, data, source, model, tagged)) from None


def validation_problems(
    exc: ValidationError,
    data: Any,
    source: SourceMap,
    root: type[BaseModel],
    tagged: TaggedUnion | None = None,
) -> list[Problem]:
    """Turn pydantic's errors into located problems, one per place, in file order."""
    errors = _without_misspelled_missing(exc.errors(), data, root, tagged)
    return _unique([_problem(error, data, source, root, tagged) for error in errors])


def _without_misspelled_missing(
    errors: list[ErrorDetails], data: Any, root: type[BaseModel], tagged: TaggedUnion | None
) -> list[ErrorDetails]:
    """A 'missing target' next to an unknown 'targt' is one mistake: keep only the unknown key."""
    misspelled = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            path = _data_path(error["loc"], data)
            guess = _close_key(str(error["loc"][-1]), _allowed_keys(path, data, root, tagged))
            if guess is not None:
                misspelled.add((path[:-1], guess))
    return [
        e
        for e in errors
        if not (e["type"] == "missing" and (_data_path(e["loc"], data), str(e["loc"][-1])) in misspelled)
    ]


def _close_key(key: str, allowed: list[str]) -> str | None:
    matches = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    return matches[0] if matches else None


def _problem(
    error: ErrorDetails, data: Any, source: SourceMap, root: type[BaseModel], tagged: TaggedUnion | None
) -> Problem:
    path = _data_path(error["loc"], data)
    kind = error["type"]
    if kind == "missing":
        missing = str(error["loc"][-1])
        return Problem(
            source.key_at(path),
            dotted(path) or "(top level)",
            f"required key '{missing}' is missing",
            "KEY-MISSING",
        )
    if kind == "union_tag_invalid" and tagged is not None and isinstance(_value_at(path, data), dict):
        path = (*path, tagged.key)
    location = source.key_at(path) if kind == "extra_forbidden" else source.value_at(path)
    return Problem(
        location,
        dotted(path) or "(top level)",
        _message(error, path, data, root, tagged),
        _code(kind, tagged),
    )


_CODES = {
    "extra_forbidden": "KEY-UNKNOWN",
    "condition": "CONDITION",
    "band": "VALUE-RANGE",
    "range": "VALUE-RANGE",
    "greater_than": "VALUE-RANGE",
    "greater_than_equal": "VALUE-RANGE",
    "less_than": "VALUE-RANGE",
    "less_than_equal": "VALUE-RANGE",
    "too_short": "VALUE-RANGE",
    "too_long": "VALUE-RANGE",
    "portions": "VALUE-CONFLICT",
    "hysteresis": "VALUE-CONFLICT",
    "literal_error": "VALUE-CHOICE",
    "enum": "VALUE-CHOICE",
    "string_pattern_mismatch": "NAME-FORMAT",
}
_QUANTITY_CODES = {"UNIT-MISSING", "UNIT-KIND", "UNIT-UNKNOWN", "QUANTITY-FORMAT", "QUANTITY-RANGE"}
_OWN_MESSAGES = {"condition", "band", "range", "portions", "hysteresis"}


_TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")


def _code(kind: str, tagged: TaggedUnion | None = None) -> str:
    if tagged is not None and kind in _TAG_ERRORS:
        return tagged.code
    as_code = kind.upper().replace("_", "-")
    return as_code if as_code in _QUANTITY_CODES else _CODES.get(kind, "VALUE-TYPE")


def _data_path(loc: tuple[int | str, ...], data: Any) -> DataPath:
    """Follow pydantic's error location through the data, dropping union tags it inserts."""
    path: list[PathKey] = []
    node = data
    for part in loc:
        if _has(node, part):
            node = node[part]
            path.append(part)
    return tuple(path)


def _has(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _message(
    error: ErrorDetails, path: DataPath, data: Any, root: type[BaseModel], tagged: TaggedUnion | None
) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    got = _describe_input(_value_at(path, data) if path else error.get("input"))
    if kind in _OWN_MESSAGES or _code(kind) in _QUANTITY_CODES:
        return error["msg"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        allowed = _allowed_keys(path, data, root, tagged)
        guess = _close_key(key, allowed)
        hint = f" (did you mean '{guess}'?)" if guess else ""
        hint += f"; expected one of: {', '.join(allowed)}" if allowed else ""
        return f"unknown key '{key}'{hint}"
    if kind == "union_tag_invalid" and tagged is not None:
        return f"unknown {tagged.key} kind {ctx.get('tag')!r}; expected one of: {', '.join(tagged.kinds)}"
    if kind == "union_tag_not_found" and tagged is not None:
        return f"a {tagged.key} needs '{tagged.key}: <kind>' with kind one of: {', '.join(tagged.kinds)}"
    if kind == "string_pattern_mismatch":
        return f"expected a name made of a letter then letters, digits, '_' or '-', got {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value lines), got {got}"
    if kind == "list_type":
        return f"expected a list, got {got}"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s)"
    if kind in ("string_type", "str_type"):
        return f"expected text, got {got}"
    bounds = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}
    if kind in bounds:
        words = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}[bounds[kind]]
        limit = ctx.get(bounds[kind])
        shown = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
        return f"must be {words} {shown}, got {got}"
    msg = error["msg"]
    if msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be ") :]
    return f"{msg}, got {got}" if error.get("input") is not None else msg


def _value_at(path: DataPath, data: Any) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def _describe_input(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def dotted(path: Sequence[PathKey]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _allowed_keys(path: DataPath, data: Any, root: type[BaseModel], tagged: TaggedUnion | None) -> list[str]:
    """Keys the model holding the last key of ``path`` accepts, to suggest the right spelling."""
    annotation: Any = root
    node = data
    for part in path[:-1]:
        model = _model_of(annotation, node, tagged)
        if model is not None and isinstance(part, str) and part in model.model_fields:
            annotation = model.model_fields[part].annotation
        else:
            annotation = _item_of(annotation)
        node = node[part]
    model = _model_of(annotation, node, tagged)
    return list(model.model_fields) if model is not None else []


def _flatten(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _flatten(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) for leaf in _flatten(arg)]
    return [annotation]


def _model_of(annotation: Any, node: Any, tagged: TaggedUnion | None) -> type[BaseModel] | None:
    models = [a for a in _flatten(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    if len(models) == 1:
        return models[0]
    if tagged is None:
        return models[0] if models else None
    tag = node.get(tagged.key) if isinstance(node, dict) else None
    return next((m for m in models if _tag_of(m, tagged.key) == tag), None)


def _item_of(annotation: Any) -> Any:
    for leaf in _flatten(annotation):
        if typing.get_origin(leaf) in (list, dict, tuple):
            return typing.get_args(leaf)[-1]
    return None


def _tag_of(model: type[BaseModel], key: str) -> str | None:
    field = model.model_fields.get(key)
    args = typing.get_args(field.annotation) if field is not None else ()
    return str(args[0]) if args else None


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return sorted(out, key=lambda p: (p.location.line, p.location.column))
