"""Load a rig file, with the same located errors as protocol files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from labctl.errors import InputFileError, Location, Problem
from labctl.protocol.problems import validation_problems
from labctl.protocol.source import SourceMap, load_yaml, read_text
from labctl.rig.model import Rig


@dataclass(frozen=True)
class LoadedRig:
    rig: Rig
    source: SourceMap
    file: str
    text: str
    """The file as loaded: a run's journal keeps it, so a resume opens the same instruments."""


def load_rig(path: Path | str) -> LoadedRig:
    return parse_rig(read_text(Path(path)), str(path))


def parse_rig(text: str, file: str) -> LoadedRig:
    data, source = load_yaml(text, file)
    if not isinstance(data, dict):
        raise InputFileError(
            [
                Problem(
                    Location(file, 1, 1), "", "expected a rig: a mapping with rig and instruments", "DOCUMENT"
                )
            ]
        )
    try:
        rig = Rig.model_validate(data)
    except ValidationError as exc:
        raise InputFileError(validation_problems(exc, data, source, Rig)) from None
    return LoadedRig(rig, source, file, text)
