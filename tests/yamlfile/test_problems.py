"""Validation problems for any file kind: a model of shapes told apart by ``shape:`` is reported as a protocol's
steps are by ``step:``, at the line and column a person edits."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field

from labctl.errors import InputFileError, Location, Problem
from labctl.yamlfile.document import expect_mapping
from labctl.yamlfile.loading import load_yaml
from labctl.yamlfile.problems import TaggedUnion, validated
from labctl.yamlfile.spec import Identifier, Spec


class Circle(Spec):
    shape: Literal["circle"]
    radius: float = Field(gt=0)


class Square(Spec):
    shape: Literal["square"]
    side: float


class Drawing(Spec):
    title: Identifier
    shapes: list[Annotated[Circle | Square, Field(discriminator="shape")]]


SHAPES = TaggedUnion("shape", ("circle", "square"), "VALUE-CHOICE")


def problems(text: str, tagged: TaggedUnion | None = SHAPES) -> list[Problem]:
    data, source = load_yaml(text, "d.yaml")
    with pytest.raises(InputFileError) as caught:
        validated(Drawing, data, source, tagged)
    return caught.value.problems


def test_a_valid_file_gives_the_model() -> None:
    data, source = load_yaml("title: d1\nshapes:\n  - shape: circle\n    radius: 2\n", "d.yaml")
    assert validated(Drawing, data, source, SHAPES) == Drawing(
        title="d1", shapes=[Circle(shape="circle", radius=2)]
    )


def test_an_unknown_tag_names_the_kinds_allowed_at_the_tag() -> None:
    text = "title: d1\nshapes:\n  - shape: circle\n    radius: 2\n  - shape: triangle\n    side: 1\n"
    assert problems(text) == [
        Problem(
            Location("d.yaml", 5, 12),
            "shapes[1].shape",
            "unknown shape kind 'triangle'; expected one of: circle, square",
            "VALUE-CHOICE",
        )
    ]


def test_a_missing_tag_says_how_to_write_one() -> None:
    assert problems("title: d1\nshapes:\n  - side: 1\n") == [
        Problem(
            Location("d.yaml", 3, 5),
            "shapes[0]",
            "a shape needs 'shape: <kind>' with kind one of: circle, square",
            "VALUE-CHOICE",
        )
    ]


def test_a_misspelt_key_is_matched_against_the_model_its_tag_names() -> None:
    assert problems("title: d1\nshapes:\n  - shape: circle\n    raduis: 2\n") == [
        Problem(
            Location("d.yaml", 4, 5),
            "shapes[0].raduis",
            "unknown key 'raduis' (did you mean 'radius'?); expected one of: shape, radius",
            "KEY-UNKNOWN",
        )
    ]


def test_range_and_name_problems_are_located_at_their_values() -> None:
    assert problems("title: 1st\nshapes:\n  - shape: circle\n    radius: -1\n") == [
        Problem(
            Location("d.yaml", 1, 8),
            "title",
            "expected a name made of a letter then letters, digits, '_' or '-', got '1st'",
            "NAME-FORMAT",
        ),
        Problem(
            Location("d.yaml", 4, 13), "shapes[0].radius", "must be greater than 0, got -1", "VALUE-RANGE"
        ),
    ]


def test_a_document_that_is_not_a_mapping_is_one_problem_at_its_start() -> None:
    data, _ = load_yaml("- a\n- b\n", "d.yaml")
    with pytest.raises(InputFileError) as caught:
        expect_mapping(data, "d.yaml", "expected a drawing: a mapping with title and shapes")
    assert caught.value.problems == [
        Problem(
            Location("d.yaml", 1, 1), "", "expected a drawing: a mapping with title and shapes", "DOCUMENT"
        )
    ]
    assert expect_mapping({"title": "d1"}, "d.yaml", "unused") == {"title": "d1"}
