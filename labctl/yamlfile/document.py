"""The steps every kind of input file shares before its own model takes over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labctl.errors import InputFileError, Location, Problem
from labctl.yamlfile.loading import load_yaml
from labctl.yamlfile.reading import read_text
from labctl.yamlfile.source_map import SourceMap


def load_yaml_file(path: Path) -> tuple[Any, SourceMap]:
    """A file read within the limits and parsed with its positions, for kinds that do not keep the text."""
    return load_yaml(read_text(path), str(path))


def expect_mapping(data: Any, file: str, expected: str) -> dict[str, Any]:
    """``data`` when the document is a mapping; otherwise one problem at its start saying what was expected."""
    if not isinstance(data, dict):
        raise InputFileError([Problem(Location(file, 1, 1), "", expected, "DOCUMENT")])
    return data
