"""YAML loading keeps positions, so messages point at the line a person edits."""

import pytest

from labctl.errors import InputFileError, Location
from labctl.yamlfile.loading import load_yaml

DOC = """\
metadata:
  name: x
steps:
  - step: wait
    duration: 5 min
  - step: hold
"""


def test_positions_of_keys_and_values() -> None:
    data, source = load_yaml(DOC, "p.yaml")
    assert data["steps"][0] == {"step": "wait", "duration": "5 min"}
    assert source.key_at(("steps", 0, "duration")) == Location("p.yaml", 5, 5)
    assert source.value_at(("steps", 0, "duration")) == Location("p.yaml", 5, 15)
    assert source.value_at(("steps", 1)) == Location("p.yaml", 6, 5)


def test_missing_path_falls_back_to_the_nearest_parent() -> None:
    _, source = load_yaml(DOC, "p.yaml")
    assert source.value_at(("steps", 1, "duration")) == Location("p.yaml", 6, 5)


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [
        ("a: [1,\nb: 2\n", 1, "a '[' list that is never closed"),
        ("a: 1\na: 2\n", 2, 'found duplicate key "a"'),
        ("a:\n\t- b\n", 2, "found character '\\t' that cannot start any token"),
        ("? [a, b]\n: c\n", 1, "keys must be plain text"),
    ],
)
def test_bad_yaml_is_a_located_problem(text: str, line: int, phrase: str) -> None:
    with pytest.raises(InputFileError) as caught:
        load_yaml(text, "bad.yaml")
    (problem,) = caught.value.problems
    assert problem.location.file == "bad.yaml"
    assert problem.location.line == line
    assert phrase in problem.message


def test_alias_bombs_are_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 10)]
    with pytest.raises(InputFileError, match="more than 5000 nodes"):
        load_yaml("\n".join(lines), "bomb.yaml")
