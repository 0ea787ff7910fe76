"""Every file in broken/ is reported with exactly the rule ids and lines its ``# expect:`` markers name.

A broken file is a shipped protocol with one mistake. A trailing ``# expect: RULE-ID`` (several separated by
commas) marks the line a checker error must be reported on; a loader problem code (``# expect: UNIT-MISSING``,
``YAML-SYNTAX``, ``KEY-UNKNOWN``, …: labctl.errors.PROBLEM_CODES) marks the line of a problem that stops the
file from loading. Header comments:

- ``# rig: rigs/NAME.yaml`` checks the file against that rig (path relative to broken/);
- ``# known-bug: WHY`` says labctl reports this file on a line other than the one to edit; the test is
  expected to fail (strictly: once the location is fixed, remove the header).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from labctl.errors import PROBLEM_CODES, InputFileError
from labctl.protocol.checks import RULES, Severity, check
from labctl.protocol.loader import load_protocol
from labctl.rig import load_rig

BROKEN = Path(__file__).parent / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))

_EXPECT = re.compile(r"#\s*expect:\s*(?P<rules>[A-Za-z0-9\-, ]+?)\s*$")
_RIG = re.compile(r"^#\s*rig:\s*(?P<path>\S+)\s*$")
_KNOWN_BUG = re.compile(r"^#\s*known-bug:\s*(?P<why>.+?)\s*$")
# What `labctl validate` prints per finding or problem: "file:line:col: error[RULE-OR-CODE] key: message"
_CLI_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning|acknowledged|info)(?P<rule>\[[A-Z0-9-]+\])"
)


@dataclass(frozen=True)
class Expectations:
    markers: frozenset[tuple[str, int]]  # (rule id or problem code, 1-based line)
    rig: Path | None
    known_bug: str | None

    @property
    def loader_error(self) -> bool:
        return any(rule in PROBLEM_CODES for rule, _ in self.markers)


def expectations(path: Path) -> Expectations:
    markers: set[tuple[str, int]] = set()
    rig = known_bug = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if (match := _EXPECT.search(line)) is not None:
            markers |= {(rule.strip(), number) for rule in match["rules"].split(",") if rule.strip()}
        if (match := _RIG.match(line)) is not None:
            rig = BROKEN / match["path"]
        if (match := _KNOWN_BUG.match(line)) is not None:
            known_bug = match["why"]
    return Expectations(frozenset(markers), rig, known_bug)


def _params() -> list[object]:
    params = []
    for path in FILES:
        known_bug = expectations(path).known_bug
        marks = [pytest.mark.xfail(strict=True, reason=known_bug)] if known_bug else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def reported(path: Path, rig_path: Path | None) -> set[tuple[str, int]]:
    """(rule or problem code, line) of every error labctl reports for ``path``."""
    try:
        loaded = load_protocol(path)
    except InputFileError as exc:
        return {(problem.code, problem.location.line) for problem in exc.problems}
    rig = load_rig(rig_path).rig if rig_path is not None else None
    findings = check(loaded, rig)
    assert all(f.location is not None for f in findings), "every finding must be located"
    return {(f.rule, f.location.line) for f in findings if f.severity is Severity.ERROR and f.location}


def test_the_folder_holds_the_cases_the_checker_must_catch() -> None:
    names = {path.stem for path in FILES}
    assert len(FILES) >= 30
    for needed in (
        "unit-missing",
        "unit-kelvin-for-temperature",
        "unit-mass-for-duration",
        "step-kind-unknown",
        "key-unknown-typo",
        "key-missing-required",
        "mgbr-ether-tagged",
        "mgbr-ether-named-thf",
        "mgbr-protic-water",
        "mgbr-protic-alcohol",
        "mgbr-setpoint-above-40",
        "mgbr-ramp-above-40",
        "kmno4-all-at-once",
        "kmno4-2-equiv",
        "chiller-below-rig-range",
        "quench-before-hold",
        "quench-too-little-bisulfite",
        "quench-permissive-no-tr",
        "quench-permissive-too-warm",
        "interlocks-missing-trips",
        "dose-interval-too-short",
        "dose-window-too-short",
        "kmno4-methanol",
        "yaml-syntax-error",
        "yaml-tab-indent",
        "yaml-duplicate-key",
        "parameter-unknown",
    ):
        assert needed in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_markers_are_well_formed(path: Path) -> None:
    expected = expectations(path)
    assert expected.markers, f"{path.name} has no '# expect:' marker"
    rules = {rule for rule, _ in expected.markers}
    assert rules <= {*RULES, *PROBLEM_CODES}, f"unknown id in a marker: {rules - {*RULES, *PROBLEM_CODES}}"
    assert not (expected.loader_error and not rules <= PROBLEM_CODES), (
        "a file that does not load has no checker findings"
    )
    if expected.rig is not None:
        assert expected.rig.is_file(), expected.rig
        assert not expected.loader_error


@pytest.mark.parametrize("path", _params())
def test_errors_are_reported_exactly_on_the_marked_lines(path: Path) -> None:
    expected = expectations(path)
    assert reported(path, expected.rig) == set(expected.markers)


@pytest.mark.parametrize("path", [p for p in FILES if expectations(p).rig is not None], ids=lambda p: p.stem)
def test_rig_findings_need_the_rig(path: Path) -> None:
    """Without its rig the same file passes: the error comes from the rig's capabilities alone."""
    errors = [f for f in check(load_protocol(path)) if f.severity is Severity.ERROR]
    assert errors == []


def _labctl() -> Path:
    executable = Path(sys.executable).parent / "labctl"
    assert executable.is_file(), executable
    return executable


def _cli_errors(stdout: str) -> dict[str, set[tuple[str, int]]]:
    """Per file, the (rule or problem code, line) of every error line `labctl validate` printed."""
    errors: dict[str, set[tuple[str, int]]] = {}
    for line in stdout.splitlines():
        match = _CLI_LINE.match(line)
        if match is not None and match["severity"] == "error":
            rule = match["rule"][1:-1]
            errors.setdefault(match["file"], set()).add((rule, int(match["line"])))
    return errors


CLI_FILES = [
    "unit-missing.yaml",
    "yaml-tab-indent.yaml",
    "key-unknown-typo.yaml",
    "mgbr-ether-named-thf.yaml",
    "kmno4-all-at-once.yaml",
    "quench-too-little-bisulfite.yaml",
]


def test_cli_reports_broken_files_with_file_line_column_and_exit_1() -> None:
    paths = [BROKEN / name for name in CLI_FILES]
    result = subprocess.run(
        [str(_labctl()), "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    errors = _cli_errors(result.stdout)
    for path in paths:
        assert errors.get(str(path)) == set(expectations(path).markers), path.name
        status = "invalid" if expectations(path).loader_error else "failed"
        assert f"{path}: {status}" in result.stdout
    assert "yaml-tab-indent.yaml:" in result.stdout
    assert "found character '\\t' that cannot start any token" in result.stdout
    assert "unknown key 'on_timout' (did you mean 'on_timeout'?)" in result.stdout


def test_cli_checks_against_the_rig_given_with_rig() -> None:
    path = BROKEN / "chiller-below-rig-range.yaml"
    expected = expectations(path)
    assert expected.rig is not None
    with_rig = subprocess.run(
        [str(_labctl()), "validate", "--rig", str(expected.rig), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert with_rig.returncode == 1
    assert "Traceback" not in with_rig.stdout + with_rig.stderr
    assert _cli_errors(with_rig.stdout) == {str(path): set(expected.markers)}
    assert "rig 'bench-minus-40'" in with_rig.stdout

    without = subprocess.run(
        [str(_labctl()), "validate", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert without.returncode == 0, without.stdout
    assert f"{path}: ok" in without.stdout
