"""The protocol language and the rig files are two packages that do not know each other; what they share (YAML
with positions, quantities) lives in neutral packages that know neither. Read from the source with ``ast``, every
import counts: at the top, inside a function, under ``TYPE_CHECKING``, relative or absolute."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

NEUTRAL_MUST_NOT_IMPORT = ("labctl.protocol", "labctl.rig", "labctl.telemetry", "labctl.sim")

BOUNDARIES: dict[str, tuple[str, ...]] = {
    "labctl.protocol": ("labctl.rig",),
    "labctl.rig": ("labctl.protocol",),
    "labctl.yamlfile": NEUTRAL_MUST_NOT_IMPORT,
    "labctl.quantities": NEUTRAL_MUST_NOT_IMPORT,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, module) for every module an import statement names; ``from a import b`` names ``a`` and ``a.b``,
    since ``b`` may be a submodule (``from labctl import rig``)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module, node.level, module, is_package)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _absolute(name: str | None, level: int, module: str, is_package: bool) -> str:
    if level == 0:
        return name or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    anchor = package[: len(package) - (level - 1)]
    return ".".join([*anchor, name] if name else anchor)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def crossings(package: str, forbidden: tuple[str, ...]) -> list[str]:
    """``file:line: imports <module>`` for each import statement that crosses, naming what it imports."""
    found = []
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        names = imports_of(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
        per_line: dict[int, str] = {}
        for line, name in names:
            if any(_within(name, other) for other in forbidden):
                per_line[line] = min(per_line.get(line, name), name, key=len)
        found += [
            f"{path.relative_to(ROOT)}:{line}: imports {name}" for line, name in sorted(per_line.items())
        ]
    return found


@pytest.mark.parametrize("package", sorted(BOUNDARIES))
def test_a_package_does_not_import_across_its_boundary(package: str) -> None:
    assert (ROOT / package.replace(".", "/")).is_dir()
    assert crossings(package, BOUNDARIES[package]) == []


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        ("from labctl.rig.model import Rig", "labctl.protocol.schema", False, "labctl.rig.model"),
        ("import labctl.rig", "labctl.protocol.loader", False, "labctl.rig"),
        ("from labctl import rig", "labctl.protocol.loader", False, "labctl.rig"),
        ("def f():\n    from labctl.rig import load_rig\n", "labctl.protocol.x", False, "labctl.rig"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from labctl.rig.model import Rig\n",
            "labctl.protocol.x",
            False,
            "labctl.rig.model",
        ),
        ("from ...rig import model", "labctl.protocol.checks.context", False, "labctl.rig.model"),
        ("from ..rig.model import Rig", "labctl.protocol", True, "labctl.rig.model"),
    ],
)
def test_every_form_of_import_is_seen(source: str, module: str, is_package: bool, expected: str) -> None:
    assert expected in {name for _, name in imports_of(source, module, is_package)}


def test_a_crossing_is_reported_with_its_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "labctl" / "protocol"
    package.mkdir(parents=True)
    (package / "schema.py").write_text('"""x"""\n\nfrom labctl.rig.model import Rig\n', encoding="utf-8")
    (package / "fine.py").write_text("from labctl.rigging import x\nimport labctl.errors\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert crossings("labctl.protocol", ("labctl.rig",)) == [
        "labctl/protocol/schema.py:3: imports labctl.rig.model"
    ]
