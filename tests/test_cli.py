"""The installed ``labctl`` command, run as a person or CI runs it: a subprocess with arguments.

Every run is also checked for what must never happen: a Python traceback on stdout or stderr.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
LABCTL = Path(sys.executable).parent / "labctl"
PROTOCOLS = sorted((ROOT / "protocols").glob("*.yaml"))
SCALEUP = ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"
STORAGE = ROOT / "protocols" / "mgbr-cold-storage.yaml"
SIM_RIG = ROOT / "rigs" / "sim.yaml"


def labctl(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the console script; plain text (no colour codes) whatever the environment asks for."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS")}
    env |= {"NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [LABCTL, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    return result


def lines(text: str) -> list[str]:
    return text.splitlines()


def line_of(path: Path, number: int) -> str:
    return path.read_text(encoding="utf-8").splitlines()[number - 1]


def variant(tmp_path: Path, name: str, source: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of ``source`` with each (old, new) replaced exactly once."""
    text = source.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_console_script_is_installed_next_to_the_interpreter() -> None:
    assert LABCTL.is_file(), f"no console script at {LABCTL}: pip install -e '.[test]'"


def test_version_is_the_package_metadata_version() -> None:
    result = labctl("--version")
    assert result.returncode == 0
    assert result.stdout == f"labctl {version('labctl')}\n"
    assert re.fullmatch(r"labctl \d+\.\d+\.\d+\S*\n", result.stdout)


# --- validate: the shipped files and files with errors --------------------------------------------------------


def test_the_shipped_protocols_validate() -> None:
    relative = [p.relative_to(ROOT) for p in PROTOCOLS]
    result = labctl("validate", *relative)
    assert result.returncode == 0, result.stdout
    out = lines(result.stdout)
    assert out == [
        "protocols/kmno4-dihydroxylation-5mmol.yaml: ok (no findings)",
        "protocols/kmno4-dihydroxylation-scaleup.yaml:94:13: info[DOSE-WINDOW] steps[4].window: the MTSR gate "
        "will stretch "
        "dosing to about 30 min (window 10 min) at the modelled consumption rate",
        "protocols/kmno4-dihydroxylation-scaleup.yaml: ok (1 info(s))",
        "protocols/mgbr-cold-storage.yaml: ok (no findings)",
        "protocols/mgbr-kcp-cluster.yaml: ok (no findings)",
    ]
    assert line_of(SCALEUP, 94).strip().startswith("window: 10 min")
    assert result.stderr == ""  # logs stay quiet for a person; the report is on stdout


def test_the_shipped_protocols_validate_against_the_sim_rig() -> None:
    result = labctl("validate", "--rig", SIM_RIG, *PROTOCOLS)
    assert result.returncode == 0, result.stdout
    summaries = [line for line in lines(result.stdout) if not re.match(r".*:\d+:\d+: ", line)]
    assert summaries == [f"{p}: ok ({'1 info(s)' if p == SCALEUP else 'no findings'})" for p in PROTOCOLS]


def test_a_checker_error_fails_and_names_file_line_and_column(tmp_path: Path) -> None:
    loose = variant(tmp_path, "loose-gate.yaml", SCALEUP, ("when: Tr <= 5 °C", "when: Tr <= 15 °C"))
    result = labctl("validate", loose, SCALEUP)
    assert result.returncode == 1
    match = re.search(
        rf"^{re.escape(str(loose))}:(\d+):(\d+): error\[DOSE-GATE\] steps\[4\]\.gate\[0\]: (.*)$",
        result.stdout,
        re.M,
    )
    assert match is not None, result.stdout
    assert match[3] == "the gate allows Tr up to 15 °C; the limit is 5 °C"
    assert "Tr <= 15 °C" in line_of(loose, int(match[1]))
    assert line_of(loose, int(match[1]))[int(match[2]) - 1 :] == "when: Tr <= 15 °C"
    assert f"{loose}: failed (1 error(s), 1 info(s))" in lines(result.stdout)
    assert f"{SCALEUP}: ok (1 info(s))" in lines(result.stdout)  # the other file is still checked


def test_a_load_error_fails_and_names_file_line_and_column(tmp_path: Path) -> None:
    typo = variant(tmp_path, "typo.yaml", SCALEUP, ("min_interval: 1 min", "min_intervall: 1 min"))
    result = labctl("validate", typo)
    assert result.returncode == 1
    first, summary = lines(result.stdout)
    location, _, message = first.partition(": error[KEY-UNKNOWN] ")
    file, line, column = location.rsplit(":", 2)
    assert file == str(typo)
    assert line_of(typo, int(line))[int(column) - 1 :] == "min_intervall: 1 min"
    assert message.startswith(
        "steps[4].min_intervall: unknown key 'min_intervall' (did you mean 'min_interval'?)"
    )
    assert summary == f"{typo}: invalid (1 problem(s))"


# --- files that cannot be read --------------------------------------------------------------------------------


def test_a_missing_file_gives_one_clear_message(tmp_path: Path) -> None:
    result = labctl("validate", "no-such-protocol.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert lines(result.stdout) == [
        "no-such-protocol.yaml:1:1: error[FILE-UNREADABLE] cannot read file: No such file or directory",
        "no-such-protocol.yaml: invalid (1 problem(s))",
    ]
    assert result.stderr == ""


def test_a_file_that_is_not_utf8_gives_one_clear_message(tmp_path: Path) -> None:
    (tmp_path / "latin1.yaml").write_bytes(b"format: 1\nmetadata:\n  name: caf\xe9\n")
    result = labctl("validate", "latin1.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert lines(result.stdout) == [
        "latin1.yaml:3:1: error[FILE-UNREADABLE] file is not valid UTF-8 text",
        "latin1.yaml: invalid (1 problem(s))",
    ]
    assert result.stderr == ""


def test_file_names_are_printed_as_written_not_as_markup(tmp_path: Path) -> None:
    """'[bold]' in a name was swallowed as a style, and '[/x]' crashed rich with a MarkupError traceback."""
    (tmp_path / "[bold]storage.yaml").write_text(STORAGE.read_text(encoding="utf-8"), encoding="utf-8")
    emoji = variant(tmp_path, "emoji.yaml", STORAGE, ("format: 1\n", "format: 1\n':warning:': 1\n"))
    result = labctl("validate", "[bold]storage.yaml", "[/x]missing.yaml", emoji.name, cwd=tmp_path)
    assert result.returncode == 1
    out = lines(result.stdout)
    assert "[bold]storage.yaml: ok (no findings)" in out
    assert "[/x]missing.yaml:1:1: error[FILE-UNREADABLE] cannot read file: No such file or directory" in out
    assert any(
        line.startswith("emoji.yaml:4:1: error[KEY-UNKNOWN] :warning:: unknown key ':warning:'")
        for line in out
    ), out


# --- parameters -----------------------------------------------------------------------------------------------


def test_set_gives_a_parameter_its_value() -> None:
    result = labctl("validate", STORAGE, "--set", "storage_time=7 d")
    assert result.returncode == 0
    assert lines(result.stdout) == [f"{STORAGE}: ok (no findings)"]


def test_set_value_reaches_the_step_that_uses_it() -> None:
    """The same parameter with a mass instead of a duration is reported where ${storage_time} is written."""
    result = labctl("validate", STORAGE, "--set", "storage_time=7 g")
    assert result.returncode == 1
    match = re.match(
        rf"{re.escape(str(STORAGE))}:(\d+):(\d+): error\[UNIT-KIND\] steps\[3\]\.duration: (.*)",
        result.stdout,
    )
    assert match is not None, result.stdout
    assert line_of(STORAGE, int(match[1])).strip() == "duration: ${storage_time}"
    assert match[3].startswith("'7 g' is a mass; expected a duration")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("2 min", "'storage_time' is 2 min, below its minimum of 10 min (as set for this run)"),
        ("90 d", "'storage_time' is 90 d, above its maximum of 30 d (as set for this run)"),
    ],
)
def test_set_is_checked_against_the_parameters_bounds(value: str, said: str) -> None:
    result = labctl("validate", STORAGE, "--set", f"storage_time={value}")
    assert result.returncode == 1
    [finding, verdict] = lines(result.stdout)
    assert "error[PARAMETER-BOUND] parameters.storage_time." in finding
    assert finding.endswith(said)
    assert verdict == f"{STORAGE}: failed (1 error(s))"


def test_set_of_an_undeclared_parameter_fails_clearly() -> None:
    result = labctl("validate", STORAGE, "--set", "nope=1")
    assert result.returncode == 1
    assert lines(result.stdout) == [
        f"{STORAGE}:5:1: error[PARAMETER-UNKNOWN] nope: no such parameter in this protocol (declared: storage_time)",
        f"{STORAGE}: invalid (1 problem(s))",
    ]


def test_set_without_a_value_is_a_usage_error() -> None:
    result = labctl("validate", STORAGE, "--set", "storage_time")
    assert result.returncode == 2
    assert "expected NAME=VALUE, got 'storage_time'" in result.stderr


# --- warnings, acknowledgements and thresholds ----------------------------------------------------------------


def test_a_warning_fails_until_an_override_acknowledges_it(tmp_path: Path) -> None:
    # 55.3 g KMnO4 = 0.35 mol = 1.4 equiv on 0.25 mol alkene: a warning. More bisulfite keeps the quench enough.
    heavy_edits = (
        ("    mass: 47.5 g", "    mass: 55.3 g"),
        ("    total: 47.5 g", "    total: 55.3 g"),  # dosed in full: the steps add what the materials say
        ("mass: 25.0 g", "mass: 33.0 g"),  # in 60 mL: 550 g/L, as much as water dissolves
        ("(25.0 g in 50 mL)", "(33.0 g in 60 mL)"),  # and labelled so
        (
            "    molar_mass: 104.06 g/mol\n    volume: 50 mL",
            "    molar_mass: 104.06 g/mol\n    volume: 60 mL",
        ),
        ("    volume: 50 mL\n    rate: one portion", "    volume: 60 mL\n    rate: one portion"),
    )
    heavy = variant(tmp_path, "kmno4-1.4-equiv.yaml", SCALEUP, *heavy_edits)
    acknowledged = variant(
        tmp_path,
        "kmno4-1.4-equiv-acknowledged.yaml",
        SCALEUP,
        *heavy_edits,
        (
            "interlocks:\n",
            "overrides:\n  - rule: KMNO4-STOICH\n    reason: excess needed for this substrate lot\n"
            "    approved_by: [Dr. A. Safety, B. Plant-Manager]\ninterlocks:\n",
        ),
    )
    warned = labctl("validate", heavy)
    accepted = labctl("validate", acknowledged)
    assert line_of(heavy, 37).strip() == "mass: 55.3 g"
    assert (warned.returncode, accepted.returncode) == (1, 0)
    assert (
        f"{heavy}:37:11: warning[KMNO4-STOICH] materials[3].mass: 1.40 equiv KMnO4 per alkene is outside the "
        "usual 1–1.3 equiv"
    ) in lines(warned.stdout)
    assert lines(warned.stdout)[-1] == f"{heavy}: failed (1 warning(s), 1 info(s))"
    assert (
        f"{acknowledged}:37:11: acknowledged[KMNO4-STOICH] materials[3].mass: 1.40 equiv KMnO4 per alkene is "
        "outside the usual 1–1.3 equiv [warning acknowledged by Dr. A. Safety and B. Plant-Manager: excess needed for this substrate lot]"
    ) in lines(accepted.stdout)
    assert lines(accepted.stdout)[-1] == f"{acknowledged}: ok (1 acknowledged(s), 1 info(s))"


def test_thresholds_file_tightens_a_limit(tmp_path: Path) -> None:
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("# a tighter site limit\nmax_adiabatic_rise: 3 K\n", encoding="utf-8")
    result = labctl("validate", "--thresholds", thresholds, SCALEUP)
    assert result.returncode == 1
    match = re.search(
        rf"^{re.escape(str(SCALEUP))}:(\d+):\d+: error\[PORTION-ADIABATIC\] (.*)$", result.stdout, re.M
    )
    assert match is not None, result.stdout
    assert line_of(SCALEUP, int(match[1])).strip() == "portions: 10"
    assert "each portion of 4.75 g could raise the reactor 6.7 K adiabatically (limit 3 K)" in match[2]
    assert labctl("validate", SCALEUP).returncode == 0  # the default 10 K passes the same file


def test_thresholds_file_with_a_bare_number_is_located(tmp_path: Path) -> None:
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("# a tighter site limit\nmax_adiabatic_rise: 3\n", encoding="utf-8")
    result = labctl("validate", "--thresholds", thresholds, SCALEUP)
    assert result.returncode == 1
    assert lines(result.stdout) == [
        f"{thresholds}:2:21: error[UNIT-MISSING] max_adiabatic_rise: expected a temperature difference with a unit (K), "
        "e.g. '1 K', got the bare number 3 (units are required)"
    ]


# --- rigs -----------------------------------------------------------------------------------------------------


def test_a_broken_rig_file_is_located(tmp_path: Path) -> None:
    rig = variant(
        tmp_path,
        "rig.yaml",
        SIM_RIG,
        ("temperature_range: [-75 °C, 250 °C]", "temperature_range: [-75, 250 °C]"),
    )
    result = labctl("validate", "--rig", rig, SCALEUP)
    assert result.returncode == 1
    (problem,) = lines(result.stdout)  # nothing is checked against a rig that cannot be read
    location, _, message = problem.partition(": error[UNIT-MISSING] ")
    file, line, column = location.rsplit(":", 2)
    assert file == str(rig)
    assert line_of(rig, int(line))[int(column) - 1 :] == "-75, 250 °C]"
    assert message == (
        "instruments.chiller.capabilities.temperature_range[0]: expected a temperature with a unit "
        "(°C, degC, ℃), e.g. '0 °C', got the bare number -75 (units are required)"
    )


# --- logs -----------------------------------------------------------------------------------------------------


def test_log_json_writes_one_json_event_per_file(tmp_path: Path) -> None:
    result = labctl("--log-json", "validate", *PROTOCOLS, tmp_path / "missing.yaml")
    assert result.returncode == 1
    events = [json.loads(line) for line in lines(result.stderr)]
    assert [(e["event"], e["file"]) for e in events] == [
        *(("protocol.checked", str(p)) for p in PROTOCOLS),
        ("protocol.invalid", str(tmp_path / "missing.yaml")),
    ]
    assert all(e["level"] == "info" and e["timestamp"].endswith("Z") for e in events)
    scaleup = events[1]
    assert (scaleup["ok"], scaleup["error"], scaleup["warning"], scaleup["info"]) == (True, 0, 0, 1)
    assert events[-1]["problems"] == 1
    assert f"{SCALEUP}: ok (1 info(s))" in lines(result.stdout)  # the report itself stays on stdout


def test_log_json_reports_an_unreadable_rig(tmp_path: Path) -> None:
    result = labctl("--log-json", "validate", "--rig", tmp_path / "rig.yaml", SCALEUP)
    assert result.returncode == 1
    (event,) = (json.loads(line) for line in lines(result.stderr))
    assert (event["event"], event["file"], event["problems"]) == (
        "input.invalid",
        str(tmp_path / "rig.yaml"),
        1,
    )


# --- schema ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["protocol", "rig"])
def test_schema_prints_json(kind: str) -> None:
    result = labctl("schema", "--kind", kind)
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == f"labctl {kind}"


def test_schema_of_an_unknown_kind_is_a_usage_error() -> None:
    result = labctl("schema", "--kind", "reactor")
    assert result.returncode == 2
    assert "expected one of protocol, rig" in result.stderr


# --- starting up: the CLI answers at once ---------------------------------------------------------------------

HEAVY = (
    "matplotlib",
    "jinja2",
    "rdkit",
    "pymodbus",
    "aiomqtt",
    "pydantic",
    "structlog",
    "simulators",
    "devices",
)


def test_importing_the_cli_leaves_the_heavy_modules_to_the_commands_that_need_them() -> None:
    """Every command's module is imported to build the CLI; what they run with is imported when they run."""
    done = subprocess.run(
        [sys.executable, "-c", "import labctl.cli, sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    modules = set(json.loads(done.stdout))
    assert "labctl.cli" in modules
    assert {m for m in modules if m.split(".")[0] in HEAVY} == set()
    heavy_labctl = ("labctl.engine", "labctl.report", "labctl.protocol", "labctl.rig", "labctl.journal")
    assert {m for m in modules if m.startswith(heavy_labctl)} == set()


def test_version_needs_no_heavy_module() -> None:
    """`--version` answers from labctl itself: the same check on the running command, by its modules."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['labctl', '--version']\n"
            "from labctl.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import json\nprint(json.dumps(sorted(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    version_line, modules_line = done.stdout.splitlines()
    assert version_line == f"labctl {version('labctl')}"
    modules = set(json.loads(modules_line))
    assert {m for m in modules if m.split(".")[0] in (*HEAVY, "rich")} == set()


MQTT_OPTIONS = "--mqtt --mqtt-rig --mqtt-ca --mqtt-cert --mqtt-key --home-assistant --mqtt-config"
BROKER_OPTIONS = "--mqtt --mqtt-ca --mqtt-cert --mqtt-key --mqtt-config"


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("dry-run", f"--seed --faults --journal --set --speed {MQTT_OPTIONS} --operator --report"),
        ("run", f"--rig --journal --set {MQTT_OPTIONS} --operator"),
        ("resume", f"--journal --rig {MQTT_OPTIONS} --operator"),
        (
            "sim serve",
            f"--speed --faults --host --port-base --pty --seed --rig-out --ledger --duration {BROKER_OPTIONS}",
        ),
        ("monitor", f"--once --wait {BROKER_OPTIONS}"),
    ],
)
def test_a_command_s_help_lists_every_option(command: str, options: str) -> None:
    result = labctl(*command.split(), "--help")
    assert result.returncode == 0, result.stdout
    listed = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.stdout))
    assert listed == {*options.split(), "--help"}, result.stdout
