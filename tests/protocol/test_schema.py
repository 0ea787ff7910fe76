"""The JSON Schema that ``labctl schema`` prints, checked with the independent ``jsonschema`` package.

The schema exists for editors (autocompletion, red squiggles), so it must accept every shipped file and reject
what labctl rejects. Errors are compared by path, so a test cannot pass because of some unrelated error.

Parameter references: the loader replaces any whole value written ``${name}`` by the parameter's value before
validation. The schema accepts ``${name}`` in every quantity field (``duration: ${hold_time}``,
``molar_mass: ${alkene_molar_mass}``), which is where the language and the shipped files use parameters. Counts,
booleans, choices and ids do not accept it: an editor flags ``portions: ${n}`` even though labctl would load it
when ``n`` defaults to a number. That difference is deliberate and pinned down below.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from labctl.protocol.loader import parse_protocol
from labctl.protocol.schema import protocol_schema
from labctl.yamlfile.schema import SCHEMA_URI

ROOT = Path(__file__).parents[2]
PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
LABCTL = Path(sys.executable).parent / "labctl"

SCHEMA = protocol_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
STEP_REFS: dict[str, str] = SCHEMA["properties"]["steps"]["items"]["discriminator"]["mapping"]


def read_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def schema_errors(data: Any, validator: Draft202012Validator = VALIDATOR) -> dict[str, str]:
    """Schema errors as {dotted path: message}.

    A step is a ``oneOf`` over the step kinds, which jsonschema reports as one opaque error on the whole step;
    a step whose kind is known is re-checked against that kind alone, so its errors name the exact key.
    """
    errors: dict[str, str] = {}
    for error in validator.iter_errors(data):
        path = list(error.absolute_path)
        instance = error.instance
        kind = instance.get("step") if isinstance(instance, dict) else None
        if error.validator == "oneOf" and path[:1] == ["steps"] and kind in STEP_REFS:
            branch = Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": STEP_REFS[kind]})
            for inner in branch.iter_errors(instance):
                errors[_dotted(path + list(inner.absolute_path))] = inner.message
        else:
            errors[_dotted(path)] = error.message
    return errors


def _dotted(path: list[Any]) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


# --- the schema itself ---------------------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == SCHEMA_URI
    assert set(STEP_REFS) == {
        "set_temperature",
        "wait_until",
        "hold",
        "ramp",
        "stir",
        "wait",
        "charge",
        "dose_solid",
        "pump",
        "quench",
        "prompt",
    }


def test_labctl_schema_prints_the_protocol_schema() -> None:
    done = subprocess.run([str(LABCTL), "schema"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == SCHEMA


def test_an_unknown_schema_kind_is_refused() -> None:
    done = subprocess.run(
        [str(LABCTL), "schema", "--kind", "recipe"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr


# --- the shipped protocols ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.name)
def test_shipped_protocols_validate_against_the_schema(path: Path) -> None:
    assert schema_errors(read_yaml(path)) == {}


# --- parameter references -------------------------------------------------------------------------------------


def test_parameter_references_in_the_shipped_files_are_in_quantity_fields() -> None:
    found = {
        (path.name, line.strip())
        for path in PROTOCOLS
        for line in path.read_text(encoding="utf-8").splitlines()
        if "${" in line
    }
    assert found == {
        ("kmno4-dihydroxylation-5mmol.yaml", "molar_mass: ${alkene_molar_mass}"),
        ("mgbr-cold-storage.yaml", "duration: ${storage_time}"),
        ("mgbr-kcp-cluster.yaml", "duration: ${hold_time}"),
        ("mgbr-kcp-cluster.yaml", "duration: ${warmup_time}"),
    }


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("10 min", True),
        ("${hold_time}", True),
        ("${ hold_time }", True),  # the loader allows spaces inside the braces too
        ("${hold_time} min", False),
        ("$hold_time", False),
        ("${2nd}", False),
        ("10", False),
        ("10 g", False),
    ],
)
def test_a_quantity_field_takes_a_quantity_or_a_parameter_reference(value: str, accepted: bool) -> None:
    duration = SCHEMA["$defs"]["Wait"]["properties"]["duration"]
    assert Draft202012Validator(duration).is_valid(value) is accepted


def test_the_schema_and_the_loader_agree_on_a_parameter_in_a_quantity_field() -> None:
    text = (ROOT / "protocols" / "mgbr-cold-storage.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe", pure=True).load(text)
    assert data["steps"][3]["duration"] == "${storage_time}"
    assert "steps.3.duration" not in schema_errors(data)
    assert parse_protocol(text, "storage.yaml").protocol.steps[3].duration == 3 * 86400  # type: ignore[union-attr]


def test_a_parameter_for_a_count_is_loaded_but_flagged_by_the_schema() -> None:
    """The documented limit: outside quantity fields an editor underlines ``${name}``."""
    text = (ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml").read_text(encoding="utf-8")
    text = text.replace("format: 1\n", "format: 1\nparameters:\n  n: {default: 10}\n").replace(
        "portions: 10", "portions: ${n}"
    )
    assert parse_protocol(text, "scaleup.yaml").protocol.steps[4].portion_count() == 10  # type: ignore[union-attr]
    errors = schema_errors(YAML(typ="safe", pure=True).load(text))
    assert "is not valid under any of the given schemas" in errors["steps.4.portions"]


# --- documents the schema must reject -------------------------------------------------------------------------


def _scaleup() -> Any:
    return read_yaml(ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml")


def test_a_bare_number_for_a_mass_is_rejected() -> None:
    data = _scaleup()
    data["materials"][3]["mass"] = 47.5
    data["steps"][4]["total"] = "47.5"
    errors = schema_errors(data)
    assert "is not valid under any of the given schemas" in errors["materials.3.mass"]
    assert errors["steps.4.total"].startswith("'47.5' does not match")


def test_a_mass_in_the_wrong_unit_is_rejected() -> None:
    data = _scaleup()
    data["steps"][4]["total"] = "47.5 mL"
    assert errors_at(data, "steps.4.total").startswith("'47.5 mL' does not match")


def test_an_unknown_step_kind_is_rejected() -> None:
    data = _scaleup()
    data["steps"][4]["step"] = "dose_powder"
    errors = schema_errors(data)
    assert "is not valid under any of the given schemas" in errors["steps.4"]


def test_an_unknown_top_level_key_is_rejected() -> None:
    data = _scaleup()
    data["interlock"] = data.pop("interlocks")
    errors = schema_errors(data)
    assert errors["(top level)"] == "Additional properties are not allowed ('interlock' was unexpected)"


def test_an_unknown_key_in_a_step_is_rejected() -> None:
    data = _scaleup()
    data["steps"][4]["portion_count"] = 10
    assert "'portion_count' was unexpected" in errors_at(data, "steps.4")


def test_a_missing_required_key_is_rejected() -> None:
    data = _scaleup()
    del data["metadata"]["source"]
    assert errors_at(data, "metadata") == "'source' is a required property"


def errors_at(data: Any, path: str) -> str:
    """The one schema error at ``path``."""
    errors = schema_errors(data)
    assert set(errors) == {path}, errors
    return errors[path]
