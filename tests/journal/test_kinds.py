"""One vocabulary of record kinds: every kind a writer names is in it, and nothing outside it gets written."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from labctl.journal.kinds import RecordKind, UnknownRecordKind, families, of_family, record_kind

LABCTL = Path(__file__).resolve().parents[2] / "labctl"


def _literal_kinds(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif (
        isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "RecordKind"
    ):
        member = RecordKind.__members__.get(node.attr)
        yield node.attr if member is None else member.value
    elif isinstance(node, ast.IfExp):
        yield from _literal_kinds(node.body)
        yield from _literal_kinds(node.orelse)


def written_kinds() -> dict[str, list[str]]:
    """Kinds writers name, as text or as `RecordKind.X`: `….record(kind, …)` and `….append(t_s, kind, …)`."""
    found: dict[str, list[str]] = {}
    for path in sorted(LABCTL.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            position = {"record": 0, "append": 1}.get(node.func.attr)
            if position is None or len(node.args) <= position:
                continue
            for kind in _literal_kinds(node.args[position]):
                found.setdefault(kind, []).append(str(path.relative_to(LABCTL.parent)))
    return found


def test_every_kind_a_writer_names_is_in_the_vocabulary() -> None:
    written = written_kinds()
    outside = {kind: where for kind, where in written.items() if kind not in set(RecordKind)}
    assert outside == {}


def test_the_writers_found_include_the_engine_and_the_journal_itself() -> None:
    """The scan above must see writers at all: a scan that finds nothing passes vacuously."""
    written = written_kinds()
    assert {"run.state", "portion.start", "reading", "alarm.raised", "step.completed"} <= set(written)
    assert "labctl/engine/engine.py" in written["run.state"]
    assert RecordKind.JOURNAL_WRITE_FAILED.value == "journal.write-failed"


@pytest.mark.parametrize("kind", ["run.resume", "note", "Run.State", " reading", "alarm"])
def test_a_kind_outside_the_vocabulary_is_refused_by_name(kind: str) -> None:
    with pytest.raises(UnknownRecordKind) as caught:
        record_kind(kind)
    assert caught.value.kind == kind
    assert repr(kind) in str(caught.value)


def test_a_known_kind_given_as_text_is_its_member() -> None:
    assert record_kind("run.resumed") is RecordKind.RUN_RESUMED
    assert record_kind(RecordKind.STIR) is RecordKind.STIR


def test_families_are_the_prefixes_of_the_kinds() -> None:
    assert of_family("alarm") == {
        RecordKind.ALARM_RAISED,
        RecordKind.ALARM_ACKNOWLEDGED,
        RecordKind.ALARM_CONDITION_GONE,
        RecordKind.ALARM_CLEARED,
    }
    assert of_family("stir") == {RecordKind.STIR}
    assert families("run", "dose") == ("run", "dose")
    with pytest.raises(UnknownRecordKind, match="'doses'"):
        families("run", "doses")
