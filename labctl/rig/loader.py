"""Load a rig file, with the same located errors as protocol files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from labctl.rig.model import Rig
from labctl.yamlfile.document import expect_mapping
from labctl.yamlfile.loading import load_yaml
from labctl.yamlfile.problems import validated
from labctl.yamlfile.reading import read_text
from labctl.yamlfile.source_map import SourceMap


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
    raw, source = load_yaml(text, file)
    data = expect_mapping(raw, file, "expected a rig: a mapping with rig and instruments")
    return LoadedRig(validated(Rig, data, source), source, file, text)
