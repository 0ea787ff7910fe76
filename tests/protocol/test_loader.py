"""Loading protocol files: typed values from the shipped files, located problems from broken ones."""

from pathlib import Path

import pytest

from labctl.errors import InputFileError
from labctl.protocol.conditions import Comparison, Signal
from labctl.protocol.loader import load_protocol, parse_protocol
from labctl.protocol.steps import DoseSolid, Hold, Quench

PROTOCOLS = Path(__file__).parent.parent.parent / "protocols"
STORAGE = PROTOCOLS / "mgbr-cold-storage.yaml"


def test_scaleup_loads_with_the_papers_amounts() -> None:
    loaded = load_protocol(PROTOCOLS / "kmno4-dihydroxylation-scaleup.yaml")
    protocol = loaded.protocol
    kmno4 = protocol.material("kmno4")
    assert kmno4 is not None
    assert kmno4.mass == 47.5
    assert kmno4.moles() == pytest.approx(0.3006, abs=1e-4)
    dose = next(s for s in protocol.steps if isinstance(s, DoseSolid))
    assert (dose.total, dose.portion_count(), dose.portion_mass()) == (47.5, 10, 4.75)
    assert dose.min_interval == 60.0
    assert dose.gate[0].when == Comparison(Signal.TR, dose.gate[0].when.op, 5.0)  # type: ignore[union-attr]
    assert dose.gate[0].hysteresis == 1.0
    assert dose.gate_limit(Signal.MTSR) == 25.0
    hold = next(s for s in protocol.steps if isinstance(s, Hold))
    assert (hold.duration, hold.band) == (7200.0, (0.0, 5.0))
    quench = next(s for s in protocol.steps if isinstance(s, Quench))
    assert quench.rate == "one portion"
    assert quench.permissive_limit() == 5.0
    assert len(loaded.sha256) == 64


def test_parameter_default_and_override() -> None:
    default = load_protocol(STORAGE)
    store = next(s for s in default.protocol.steps if isinstance(s, Hold))
    assert store.duration == 3 * 86400
    longer = load_protocol(STORAGE, {"storage_time": "7 d"})
    store = next(s for s in longer.protocol.steps if isinstance(s, Hold))
    assert store.duration == 7 * 86400
    assert longer.parameters == {"storage_time": "7 d"}


def test_parameter_value_of_the_wrong_kind_points_at_its_use() -> None:
    with pytest.raises(InputFileError) as caught:
        load_protocol(STORAGE, {"storage_time": "7 g"})
    (problem,) = caught.value.problems
    text = STORAGE.read_text().splitlines()
    assert "${storage_time}" in text[problem.location.line - 1]
    assert "expected a duration" in problem.message


def test_unknown_parameter_given_or_referenced() -> None:
    with pytest.raises(InputFileError, match="no such parameter"):
        load_protocol(STORAGE, {"nope": "1 d"})
    text = STORAGE.read_text().replace("${storage_time}", "${storage_tme}")
    with pytest.raises(InputFileError) as caught:
        parse_protocol(text, "s.yaml")
    (problem,) = caught.value.problems
    assert "unknown parameter 'storage_tme'" in problem.message
    assert "${storage_tme}" in text.splitlines()[problem.location.line - 1]


MINIMAL = """\
metadata: {name: n, version: "1", author: a, source: s}
materials:
  - {id: w, name: acetone, role: solvent}
equipment:
  chiller:
steps:
  - step: set_temperature
    target: 5 °C
"""


def _problems(text: str) -> list[str]:
    try:
        parse_protocol(text, "t.yaml")
    except InputFileError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_minimal_protocol_loads() -> None:
    assert _problems(MINIMAL) == []


def test_unknown_key_lists_the_keys_that_exist() -> None:
    (problem,) = _problems(MINIMAL.replace("target: 5 °C", "targt: 5 °C"))
    assert problem.startswith(
        "t.yaml:8:5: error[KEY-UNKNOWN] steps[0].targt: unknown key 'targt' (did you mean 'target'?); expected "
        "one of: id, note,"
    )


def test_missing_key_points_at_the_mapping_that_lacks_it() -> None:
    problems = _problems(MINIMAL.replace("    target: 5 °C\n", ""))
    assert problems == ["t.yaml:7:5: error[KEY-MISSING] steps[0]: required key 'target' is missing"]


def test_unknown_step_kind() -> None:
    (problem,) = _problems(MINIMAL.replace("set_temperature", "set_temp"))
    assert problem.startswith(
        "t.yaml:7:11: error[STEP-KIND] steps[0].step: unknown step kind 'set_temp'; expected one of: "
        "set_temperature"
    )


def test_bare_number_for_a_temperature() -> None:
    (problem,) = _problems(MINIMAL.replace("5 °C", "5"))
    assert problem.startswith("t.yaml:8:13: error[UNIT-MISSING] steps[0].target: expected a temperature")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_document_that_is_not_a_mapping(text: str) -> None:
    (problem,) = _problems(text)
    assert problem.startswith("t.yaml:1:1:")
    assert "expected a protocol" in problem


def test_every_problem_is_reported_in_file_order() -> None:
    broken = MINIMAL.replace('version: "1"', "version: 1").replace("5 °C", "5 K")
    problems = _problems(broken)
    assert [p.split(":")[1] for p in problems] == ["1", "8"]


def test_the_storage_hold_polls_at_its_own_period() -> None:
    steps = load_protocol(STORAGE).protocol.steps
    periods = {step.id: step.supervision_period() for step in steps}
    assert periods == {"precool": None, "vessel-cold": None, "transfer": None, "store": 30.0, "release": None}


@pytest.mark.parametrize(
    ("period", "says"),
    [("2 min", "must be at most 30"), ("0.5 s", "must be at least 1"), ("10 g", "a duration")],
)
def test_a_supervision_period_out_of_bounds_is_located(period: str, says: str) -> None:
    text = STORAGE.read_text().replace("      period: 30 s", f"      period: {period}")
    with pytest.raises(InputFileError) as caught:
        parse_protocol(text, "s.yaml")
    (problem,) = caught.value.problems
    assert says in problem.message
    assert f"period: {period}" in text.splitlines()[problem.location.line - 1]


def test_a_supervision_period_may_hold_only_while_conditions_do() -> None:
    steps = load_protocol(PROTOCOLS / "kmno4-dihydroxylation-scaleup.yaml").protocol.steps
    conditions = {step.id: [str(c) for c in step.supervision_conditions()] for step in steps}
    assert conditions["stir-cold"] == ["MTSR <= 7.5 °C"]
    assert conditions["premix"] == conditions["kmno4-addition"] == []


@pytest.mark.parametrize(
    ("only_while", "says"),
    [
        ("[MTSR <= 7.5 g]", "temperature"),
        ("[MTSR is low]", "cannot read condition"),
        ("[Tr <= 5 °C, reactor calm]", "cannot read condition"),
        ("MTSR <= 7.5 °C", "list"),
        ("[42]", "as text"),
    ],
)
def test_a_broken_only_while_is_located(only_while: str, says: str) -> None:
    text = STORAGE.read_text().replace(
        "      period: 30 s", f"      only_while: {only_while}\n      period: 30 s"
    )
    with pytest.raises(InputFileError) as caught:
        parse_protocol(text, "s.yaml")
    (problem,) = caught.value.problems
    assert says in problem.message
    assert "only_while:" in text.splitlines()[problem.location.line - 1]
