"""The steps and the guards know the run only through their Protocols, never the Engine class."""

from __future__ import annotations

from pathlib import Path

import labctl.engine

ENGINE_DIR = Path(labctl.engine.__file__).parent


def test_no_engine_module_but_the_engine_imports_the_engine() -> None:
    importers = [
        str(path.relative_to(ENGINE_DIR))
        for path in sorted(ENGINE_DIR.rglob("*.py"))
        if path.name != "engine.py" and "labctl.engine.engine" in path.read_text(encoding="utf-8")
    ]
    assert importers == []
    assert (ENGINE_DIR / "steps" / "dosing.py").is_file()  # the walk does reach the steps
