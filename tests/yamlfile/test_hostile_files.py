"""Files no chemist wrote are refused by what they are, before they cost memory or time, with one located
message: devices, pipes, directories, and nesting thousands of levels deep."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from labctl.errors import InputFileError
from labctl.yamlfile.limits import MAX_BYTES, MAX_DEPTH, MAX_NODES
from labctl.yamlfile.loading import load_yaml
from labctl.yamlfile.reading import read_text

LABCTL = Path(sys.executable).parent / "labctl"


def _refusal(path: Path) -> str:
    """The one message read_text gives, from a thread so that a blocking read fails the test instead of hanging it."""
    said: list[str] = []

    def read() -> None:
        try:
            read_text(path)
        except InputFileError as exc:
            (problem,) = exc.problems
            said.append(f"{problem.location.line}:{problem.code}:{problem.message}")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), f"reading {path} blocked"
    assert said, f"{path} was read as a protocol"
    return said[0]


def test_a_character_device_is_not_read() -> None:
    assert _refusal(Path("/dev/zero")) == "1:FILE-UNREADABLE:not a regular file (a character device)"
    assert _refusal(Path("/dev/urandom")) == "1:FILE-UNREADABLE:not a regular file (a character device)"


def test_a_pipe_nobody_writes_to_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "protocol.yaml"
    os.mkfifo(fifo)
    assert _refusal(fifo) == "1:FILE-UNREADABLE:not a regular file (a pipe)"


def test_a_directory_is_said_to_be_one(tmp_path: Path) -> None:
    folder = tmp_path / "protocol.yaml"
    folder.mkdir()
    assert _refusal(folder) == "1:FILE-UNREADABLE:not a regular file (a directory)"


def test_a_socket_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        assert _refusal(path) == "1:FILE-UNREADABLE:not a regular file (a socket)"


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as out:
        out.truncate(50 * MAX_BYTES)  # sparse: 100 MB that costs no disk
    assert _refusal(big) == f"1:FILE-UNREADABLE:file is larger than {MAX_BYTES} bytes"


def test_a_file_just_at_the_limit_is_read(tmp_path: Path) -> None:
    edge = tmp_path / "edge.yaml"
    edge.write_text("a: 1\n" + "#" * (MAX_BYTES - 6) + "\n", encoding="utf-8")
    assert len(read_text(edge)) == MAX_BYTES


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    assert _refusal(tmp_path / "nope.yaml") == "1:FILE-UNREADABLE:cannot read file: No such file or directory"


def _deep_lists(depth: int) -> str:
    return "metadata: " + "[" * depth + "]" * depth + "\n"


def _deep_maps(depth: int) -> str:
    return "metadata: " + "{a: " * depth + "1" + "}" * depth + "\n"


def _deep_mixed(depth: int) -> str:
    return "steps:\n  - " + "[{k: " * (depth // 2) + "1" + "}]" * (depth // 2) + "\n"


def _deep_block(depth: int) -> str:
    return "".join("  " * i + "a:\n" for i in range(depth)) + "  " * depth + "b: 1\n"


def _deep_dashes(depth: int) -> str:
    return "steps:\n" + "- " * depth + "x\n"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 1000, 5000, 50_000])
@pytest.mark.parametrize("shape", [_deep_lists, _deep_maps, _deep_mixed])
def test_deep_flow_nesting_is_refused_where_it_gets_too_deep(shape: object, depth: int) -> None:
    assert callable(shape)
    with pytest.raises(InputFileError) as caught:
        load_yaml(shape(depth), "deep.yaml")
    (problem,) = caught.value.problems
    assert (problem.code, problem.message) == ("YAML-STRUCTURE", f"nested more than {MAX_DEPTH} levels deep")
    assert problem.location.line == (2 if shape is _deep_mixed else 1)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 600, 1300])
@pytest.mark.parametrize("shape", [_deep_block, _deep_dashes])
def test_deep_block_nesting_is_refused_at_its_line(shape: object, depth: int) -> None:
    assert callable(shape)
    with pytest.raises(InputFileError) as caught:
        load_yaml(shape(depth), "deep.yaml")
    (problem,) = caught.value.problems
    assert (problem.code, problem.message) == ("YAML-STRUCTURE", f"nested more than {MAX_DEPTH} levels deep")
    assert problem.location.line == (MAX_DEPTH + 1 if shape is _deep_block else 2)


def test_brackets_inside_quotes_are_only_text() -> None:
    text = 'metadata:\n  note: "' + "[" * 500 + '"\n  name: x\nsteps: [[1, 2], {a: [3]}]\n'
    data, _ = load_yaml(text, "quoted.yaml")
    assert data["metadata"]["note"] == "[" * 500
    assert data["steps"] == [[1, 2], {"a": [3]}]


def test_nesting_at_the_limit_is_allowed() -> None:
    data, _ = load_yaml("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n", "edge.yaml")
    assert isinstance(data["a"], list)


def test_a_broken_file_behind_a_bracket_pile_still_gets_its_own_error() -> None:
    text = "a: '" + "[" * 80 + "'\nb: [1,\nc: 2\n"
    with pytest.raises(InputFileError) as caught:
        load_yaml(text, "bad.yaml")
    (problem,) = caught.value.problems
    assert problem.location.line == 2
    assert "never closed" in problem.message


@pytest.mark.parametrize("command", ["validate", "dry-run"])
def test_the_cli_refuses_a_device_with_one_line_and_no_traceback(command: str) -> None:
    done = subprocess.run(
        [str(LABCTL), command, "/dev/zero"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert "/dev/zero:1:1: error[FILE-UNREADABLE] not a regular file (a character device)" in said
    assert "Traceback" not in said


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: [" + "[], " * 20_000 + "]\n", 1),
        (
            "".join(f"k{i}: {i}\n" for i in range(15_000)),
            MAX_NODES // 2,
        ),  # the root, then a key and a value a line
        ("steps:\n" + "".join(f"  - {i}\n" for i in range(15_000)), MAX_NODES - 1),  # root, key, list, items
    ],
)
def test_too_many_nodes_are_refused_where_the_bound_is_passed(text: str, line: int) -> None:
    with pytest.raises(InputFileError) as caught:
        load_yaml(text, "many.yaml")
    (problem,) = caught.value.problems
    assert (problem.code, problem.message) == ("YAML-STRUCTURE", f"document has more than {MAX_NODES} nodes")
    assert problem.location.line == line
