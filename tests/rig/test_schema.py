"""The JSON Schema of rig files that ``labctl schema --kind rig`` prints, checked with ``jsonschema``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from labctl.rig.schema import rig_schema
from labctl.yamlfile.schema import SCHEMA_URI

ROOT = Path(__file__).parents[2]
LABCTL = Path(sys.executable).parent / "labctl"


def test_the_rig_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = rig_schema()
    Draft202012Validator.check_schema(schema)
    assert (schema["$schema"], schema["title"]) == (SCHEMA_URI, "labctl rig")


def test_rig_schema_accepts_the_shipped_rig_and_rejects_a_bare_temperature() -> None:
    done = subprocess.run(
        [str(LABCTL), "schema", "--kind", "rig"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema == rig_schema()
    validator = Draft202012Validator(schema)
    rig = YAML(typ="safe", pure=True).load((ROOT / "rigs" / "sim.yaml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(rig)) == []
    rig["instruments"]["chiller"]["capabilities"]["temperature_range"][0] = -75
    (error,) = validator.iter_errors(rig)
    assert list(error.absolute_path) == ["instruments", "chiller"]
