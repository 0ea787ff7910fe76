"""Fuzzing the protocol loader: any text yields a protocol or located problems, never a crash.

``parse_protocol`` is the door every file a person writes comes through, so it has one contract: return a
:class:`LoadedProtocol`, or raise :class:`InputFileError` whose problems each say where (line ≥ 1) and what. Any
other exception is a bug, shown to a chemist as a traceback. Whatever loads, the checker must judge without
raising.

Inputs go from wild to nearly valid, because each reaches a different layer:

- arbitrary text and YAML-flavoured noise (the YAML reader and scanner);
- random YAML documents built from the language's own keys and values (the model and its error messages);
- random edits to the data of the shipped protocols (deep validation, parameters and the checker);
- text mutations of the shipped protocols: lines deleted, duplicated, swapped or re-indented, tokens replaced,
  numbers perturbed, characters inserted, the file truncated (positions and syntax-error reporting).

Examples per test are kept moderate so the file runs in well under a minute on two cores. To search harder,
scale them up: ``LABCTL_FUZZ_SCALE=20 .venv/bin/pytest tests/protocol/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import io
import os
import re
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, find, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from labctl.errors import InputFileError
from labctl.protocol.checks import Severity, check
from labctl.protocol.loader import LoadedProtocol, parse_protocol
from labctl.protocol.steps import DoseSolid

PROTOCOLS = sorted((Path(__file__).parents[2] / "protocols").glob("*.yaml"))
SHIPPED = {path.name: path.read_text(encoding="utf-8") for path in PROTOCOLS}
SCALEUP = SHIPPED["kmno4-dihydroxylation-scaleup.yaml"]
FILE = "fuzz.yaml"

settings.register_profile(
    "labctl-fuzz",
    deadline=None,  # loading is ~10 ms, but a slow CI machine must not turn that into flaky failures
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FUZZ = settings.get_profile("labctl-fuzz")
SCALE = int(os.environ.get("LABCTL_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """The fuzz profile with ``examples`` examples (times LABCTL_FUZZ_SCALE)."""
    return settings(FUZZ, max_examples=examples * SCALE)


# --- the contract --------------------------------------------------------------------------------------------


def assert_loads_or_reports(text: str, parameters: dict[str, str] | None = None) -> LoadedProtocol | None:
    """Load ``text``; it must give a protocol the checker can judge, or located problems. Nothing else."""
    last_line = len(text.splitlines()) + 1  # a mark at the very end of the text is one line past the last
    try:
        loaded = parse_protocol(text, FILE, parameters)
    except InputFileError as exc:
        failure = exc
    else:
        failure = None
    if failure is not None:
        assert failure.problems, "an InputFileError must carry at least one problem"
        for problem in failure.problems:
            assert problem.location.file == FILE, problem
            assert 1 <= problem.location.line <= last_line, problem
            assert problem.location.column >= 1, problem
            assert problem.message.strip(), problem
        return None
    assert isinstance(loaded, LoadedProtocol)
    findings = check(loaded)
    assert isinstance(findings, list)
    for finding in findings:
        assert finding.severity in set(Severity)
        assert finding.message.strip(), finding
        assert finding.location is not None, finding
        assert 1 <= finding.location.line <= last_line, finding
    return loaded


# --- (a) arbitrary text ----------------------------------------------------------------------------------------

YAML_PIECES = [
    *":-[]{},#&*!|>'\"%@`?\\",
    " ",
    "  ",
    "\n",
    "\n  ",
    "\n- ",
    ": ",
    "\t",
    "\r\n",
    "\r",
    "\x85",
    "\u2028",
    "\ufeff",
    "\x00",
    "---\n",
    "...\n",
    "<<: ",
    "&a ",
    "*a",
    "!!omap ",
    "!!set ",
    "!!binary ",
    "!!python/object ",
    "!tag ",
    "%YAML 1.1\n",
    "°C",
    "µL",
    "−",
    "${",
    "}",
    "1e308",
    ".nan",
]
YAML_NOISE = st.lists(
    st.one_of(
        st.sampled_from(YAML_PIECES),
        st.text(string.ascii_letters + string.digits + "_.", min_size=1, max_size=6),
    ),
    max_size=60,
).map("".join)

# Inputs that crashed the loader before source.py learnt about them: KeyError, RecursionError, TypeError and
# ruamel's own AttributeError/IndexError.
MERGE_KEY = "base: &b {when: chiller fault, action: trip}\ninterlocks:\n  - <<: *b\n    id: x\n"
RECURSIVE_MAPPING = "&x {a: *x}\n"
RECURSIVE_LIST = "metadata: &x [*x]\n"
ORDERED_MAP = "!!omap [metadata: 1, steps: 2]\n"
DEEP = "steps: " + "[" * 80 + "]" * 80 + "\n"


@fuzz(300)
@given(text=st.one_of(st.text(), YAML_NOISE))
@example(text="")
@example(text="\ufeff")
@example(text=MERGE_KEY)
@example(text=RECURSIVE_MAPPING)
@example(text=RECURSIVE_LIST)
@example(text=ORDERED_MAP)
@example(text="!!omap")
@example(text="a: 0x_")
@example(text=DEEP)
@example(text="? [a, b]\n: 1\n")
@example(text="--- 1\n--- 2\n")
def test_arbitrary_text(text: str) -> None:
    assert_loads_or_reports(text)


# --- (b) random YAML documents in the language's words --------------------------------------------------------

TOP_KEYS = [
    "format",
    "parameters",
    "metadata",
    "materials",
    "equipment",
    "reactor",
    "steps",
    "interlocks",
    "overrides",
]
KEYS = [
    *TOP_KEYS,
    *("name", "version", "author", "source", "description", "default", "note"),
    *(
        "id",
        "role",
        "classes",
        "amount",
        "mass",
        "volume",
        "molar_mass",
        "concentration",
        "initially_present",
    ),
    *("chiller", "doser", "balance", "quench_pump", "stirrer", "temperature_range", "process_control"),
    *("vessel", "heat_capacity", "heat_transfer"),
    *("step", "target", "control", "signal", "tolerance", "settle", "timeout", "on_timeout", "duration"),
    *("band", "on_excursion", "grace", "speed", "materials", "instruction", "material", "total", "portions"),
    *("portion", "window", "min_interval", "gate", "when", "hysteresis", "on_window_exceeded", "rate"),
    *("permissive", "pause_above", "resume_below", "consumes", "message", "action", "during"),
    *("rule", "reason", "approved_by"),
]
WORDS = [
    *(
        "5 °C",
        "-45 °C",
        "2.5 °C",
        "300 K",
        "47.5",
        "47.5 g",
        "0 g",
        "-1 g",
        "1e308 g",
        "0.25 mol",
        "5.0 mmol",
    ),
    *("158.03 g/mol", "0.5 M", "50 mL", "20 mL/min", "1.01 kJ/K", "0 kJ/K", "6 W/K", "2 %", "300 rpm"),
    *("1 K", "0.5 K/min", "10 min", "2 h", "3 d", "0 s", "one portion", "1.0"),
    *("Tr <= 5 °C", "dTr/dt > 1 K/min", "MTSR <= 25 °C", "Tr > -40 °C", "chiller fault", "Tr missing", "Tr"),
    *("${hold_time}", "${storage_time}", "${nope}", "${", "$hold_time"),
    *("set_temperature", "wait_until", "hold", "ramp", "stir", "wait", "charge", "dose_solid", "pump"),
    *("quench", "prompt", "process", "internal", "trip", "emergency", "alarm", "warn", "compromise"),
    *("substrate", "reagent", "solvent", "product", "permanganate", "oxidant", "alkene", "ether", "water"),
    *("bisulfite", "mg-i-halide", "KMnO4 (solid)", "MgBr in THF", "NaHSO3", "kmno4", "substrate"),
    *("KMNO4-STOICH", "PORTION-INTERVAL", "MGBR-ETHER", "NOPE"),
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(WORDS),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner, max_size=6),
    ),
    max_leaves=30,
)
DOCUMENTS = st.one_of(st.dictionaries(st.sampled_from(TOP_KEYS), TREES, max_size=9), TREES)


@st.composite
def dumped(draw: st.DrawFn, data: Any) -> str:
    """``data`` as YAML, block or flow style as drawn."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = draw(st.sampled_from([False, True, None]))
    yaml.allow_unicode = draw(st.booleans())
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


@pytest.mark.long
@fuzz(300)
@given(text=DOCUMENTS.flatmap(dumped))
def test_random_yaml_documents(text: str) -> None:
    assert_loads_or_reports(text)


# --- (b') random edits to the data of the shipped protocols ---------------------------------------------------

SHIPPED_DATA = [YAML(typ="safe", pure=True).load(text) for text in SHIPPED.values()]
PARAMETERS = st.dictionaries(
    st.sampled_from(["hold_time", "storage_time", "warmup_time", "alkene_molar_mass", "nope"]),
    st.sampled_from(
        ["7 d", "1", "", "5 °C", "${hold_time}", "-1 h", "0 s", "1e-300 g/mol", "1e300 g/mol", "x"]
    ),
    max_size=2,
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``node``."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*path, key)
        yield from _places(child, (*path, key))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def edited_shipped_data(draw: st.DrawFn) -> Any:
    """A shipped protocol's data with one to three values replaced, deleted, added or copied from elsewhere."""
    data = copy.deepcopy(draw(st.sampled_from(SHIPPED_DATA)))
    for _ in range(draw(st.integers(1, 3))):
        places = list(_places(data))
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent, key = _at(data, path[:-1]), path[-1]
        match draw(st.sampled_from(["replace", "delete", "add", "copy"])):
            case "replace":
                parent[key] = draw(TREES)
            case "delete":
                del parent[key]
            case "add" if isinstance(parent, dict):
                parent[draw(st.sampled_from(KEYS))] = draw(TREES)
            case "add":
                parent.insert(key, draw(TREES))
            case "copy":
                parent[key] = copy.deepcopy(_at(data, draw(st.sampled_from(places))))
    return data


@pytest.mark.long
@fuzz(400)
@given(text=edited_shipped_data().flatmap(dumped), parameters=PARAMETERS)
def test_edited_shipped_protocols(text: str, parameters: dict[str, str]) -> None:
    assert_loads_or_reports(text, parameters)


# --- (c) text mutations of the shipped protocols --------------------------------------------------------------

_UNITS = "°C|K/min|K|g/mol|mg|kg|g|mL/min|mL|L|min|h|d|s|mmol|mol|kJ/K|W/K|%|rpm|M"
TOKEN = re.compile(rf"-?\d+(?:\.\d+)? (?:{_UNITS})(?![\w/])|[^\s:,\[\]{{}}#]+")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
TOKENS = sorted({m[0] for text in SHIPPED.values() for m in TOKEN.finditer(text)})
ODD_NUMBERS = ["0", "-0", "-1", "1e308", "1e-308", "0.000000001", "999999999999", "nan", "inf", "1_0", "0x1f"]
INDENTS = ["", " ", "  ", "   ", "    ", "      ", "\t", " \t"]
Mutation = Callable[[st.DrawFn, str], str]


def _line_index(draw: st.DrawFn, lines: list[str]) -> int:
    return draw(st.integers(0, len(lines) - 1))


def delete_line(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines:
        del lines[_line_index(draw, lines)]
    return "".join(lines)


def duplicate_line(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines:
        lines.insert(_line_index(draw, lines), lines[_line_index(draw, lines)])
    return "".join(lines)


def swap_lines(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines:
        i, j = _line_index(draw, lines), _line_index(draw, lines)
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def reindent_line(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if lines:
        i = _line_index(draw, lines)
        lines[i] = draw(st.sampled_from(INDENTS)) + lines[i].lstrip(" ")
    return "".join(lines)


def _replace_match(draw: st.DrawFn, text: str, pattern: re.Pattern[str], choices: list[str]) -> str:
    spans = [m.span() for m in pattern.finditer(text)]
    if not spans:
        return text
    start, end = draw(st.sampled_from(spans))
    return text[:start] + draw(st.sampled_from(choices)) + text[end:]


def replace_token(draw: st.DrawFn, text: str) -> str:
    """A key or value replaced by another token written somewhere in the shipped files."""
    return _replace_match(draw, text, TOKEN, TOKENS)


def perturb_number(draw: st.DrawFn, text: str) -> str:
    """A number replaced by zero, a negative, a huge or tiny value, or something that is not quite a number."""
    return _replace_match(draw, text, NUMBER, ODD_NUMBERS)


def truncate(draw: st.DrawFn, text: str) -> str:
    return text[: draw(st.integers(0, len(text)))]


def insert_characters(draw: st.DrawFn, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return (
        text[:at] + draw(st.one_of(st.sampled_from(YAML_PIECES), st.text(min_size=1, max_size=4))) + text[at:]
    )


MUTATIONS: list[Mutation] = [
    delete_line,
    duplicate_line,
    swap_lines,
    reindent_line,
    replace_token,
    perturb_number,
    truncate,
    insert_characters,
]


@st.composite
def mutated_shipped_text(draw: st.DrawFn) -> str:
    text = SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))]
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return text


# The shipped scale-up with its interlocks written through a YAML anchor and merge keys: loaded and checked.
SCALEUP_WITH_MERGE_KEYS = SCALEUP.replace(
    "  - id: chiller-fault\n    when: chiller fault\n    action: trip\n",
    "  - &stop {id: chiller-fault, when: chiller fault, action: trip}\n  - {<<: *stop, id: chiller-fault-2}\n",
)


@pytest.mark.long
@fuzz(600)
@given(text=mutated_shipped_text(), parameters=PARAMETERS)
@example(text=SCALEUP_WITH_MERGE_KEYS, parameters={})
@example(text=SCALEUP.replace("heat_capacity: 1.01 kJ/K", "heat_capacity: 0 kJ/K"), parameters={})
@example(text=SCALEUP.replace("molar_mass: 158.03 g/mol", "molar_mass: 0 g/mol"), parameters={})
@example(text=SCALEUP.replace("portions: 10", "portion: 0 g"), parameters={})
def test_mutated_shipped_protocols(text: str, parameters: dict[str, str]) -> None:
    assert_loads_or_reports(text, parameters)


# --- regressions found by fuzzing, with the messages they now give --------------------------------------------


def test_the_token_table_holds_keys_values_and_quantities() -> None:
    assert {"47.5 g", "-45 °C", "dose_solid", "Tr", "kmno4-addition", "portions"} <= set(TOKENS)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__)
def test_each_mutation_can_change_the_text(mutation: Mutation) -> None:
    """Guards the fuzzer itself: a mutation that never changes anything would test nothing."""
    changed = find(st.composite(lambda draw: mutation(draw, SCALEUP))(), lambda text: text != SCALEUP)
    assert changed != SCALEUP


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (RECURSIVE_MAPPING, "recursive alias: this value contains itself"),
        (DEEP, "nested more than 50 levels deep"),
    ],
    ids=["recursive-alias", "deep-nesting"],
)
def test_recursive_and_deep_documents_are_located_problems(text: str, message: str) -> None:
    with pytest.raises(InputFileError) as caught:
        parse_protocol(text, FILE)
    (problem,) = caught.value.problems
    assert problem.message == message
    assert problem.location.line == 1


def test_merge_keys_load_and_their_keys_point_at_the_merging_mapping() -> None:
    loaded = parse_protocol(SCALEUP_WITH_MERGE_KEYS, FILE)
    merged = loaded.protocol.interlocks[4]
    assert (merged.id, str(merged.when), merged.action) == ("chiller-fault-2", "chiller fault", "trip")
    line = SCALEUP_WITH_MERGE_KEYS.splitlines().index("  - {<<: *stop, id: chiller-fault-2}") + 1
    assert loaded.source.key_at(("interlocks", 4, "when")).line == line
    assert check(loaded) == check(parse_protocol(SCALEUP, FILE))


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        (ORDERED_MAP, 1, 1, "the tag '!!omap' is not used in protocol files"),
        ("metadata: !!set", 1, 11, "the tag '!!set' is not used in protocol files"),
        ("steps:\n  - !custom {step: wait}\n", 2, 5, "the tag '!custom' is not used in protocol files"),
        ("portions: 0x_", 1, 11, "cannot read '0x_' as an integer"),
        ("metadata:\n  version: 2018-02-30\n", 2, 12, "cannot read '2018-02-30' as a date"),
    ],
    ids=["omap", "set-on-a-scalar", "local-tag", "hex-without-digits", "impossible-date"],
)
def test_tags_and_unreadable_scalars_are_located_yaml_errors(
    text: str, line: int, column: int, message: str
) -> None:
    """ruamel raised AttributeError (a collection tag on a scalar) or IndexError ('0x_') for these."""
    with pytest.raises(InputFileError) as caught:
        parse_protocol(text, FILE)
    (problem,) = caught.value.problems
    assert (problem.location.line, problem.location.column) == (line, column)
    assert message in problem.message


def test_a_portion_far_smaller_than_the_total_is_a_problem_not_a_crash() -> None:
    """ceil(total / portion) overflowed for 1e300 / 1e-300, and billions of portions hung the accumulation model."""
    text = SCALEUP.replace("portions: 10", "portion: 1e-300 g").replace("total: 47.5 g", "total: 1e300 g")
    with pytest.raises(InputFileError) as caught:
        parse_protocol(text, FILE)
    (problem,) = caught.value.problems
    assert "more than 1000 portions" in problem.message


def test_dose_solid_portion_count_is_what_the_checker_uses() -> None:
    """A sane portion size still loads and is counted."""
    loaded = assert_loads_or_reports(SCALEUP.replace("portions: 10", "portion: 4.75 g"))
    assert loaded is not None
    dose = next(s for s in loaded.protocol.steps if isinstance(s, DoseSolid))
    assert dose.portion_count() == 10
