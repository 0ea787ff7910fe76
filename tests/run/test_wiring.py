"""What a run opens is closed whatever fails half-way through opening it: the instrument links already open when
the second instrument does not answer or the journal cannot be opened, for `labctl run`, `resume` and `dry-run`
alike; and the command says what failed in one line, no traceback."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console

from labctl.dryrun.run import dry_run
from labctl.journal import JournalError
from labctl.protocol.loader import load_protocol
from labctl.rig.connect import RigConnectError
from labctl.rig.loader import LoadedRig, parse_rig
from labctl.run.session import resume_run, start_run
from labctl.sim.serve import rig_yaml
from simulators.clock import ScaledClock
from simulators.rig import Endpoints, SimulatedRig
from tests.test_cli import ROOT, SCALEUP

LABCTL = Path(sys.executable).parent / "labctl"


class Tap:
    """A TCP relay between the controller and one simulated instrument, counting the controller's connections:
    how many it opened, and how many it has closed again."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.opened = 0
        self.closed = 0
        self._changed = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def all_closed(self, within_s: float = 5.0) -> None:
        async with asyncio.timeout(within_s):
            while self.closed < self.opened:
                self._changed.clear()
                await self._changed.wait()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        back = asyncio.create_task(self._pipe(up_reader, writer))
        try:
            await self._pipe(reader, up_writer)  # until the controller closes its end
        finally:
            self.closed += 1
            self._changed.set()
            back.cancel()
            writer.close()

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(4096):
                target.write(data)
                await target.drain()
        except ConnectionError:
            pass
        finally:
            target.close()


async def _served() -> tuple[SimulatedRig, Endpoints]:
    sim = SimulatedRig(ScaledClock(1.0))
    return sim, await sim.serve(huber_reply_delay_s=0.0)


@pytest.fixture
async def rig_with_tapped_chiller() -> AsyncIterator[tuple[str, Tap, Endpoints]]:
    """The simulated rig's file, its chiller (the first instrument opened) reached through a Tap."""
    sim, endpoints = await _served()
    tap = Tap(endpoints.chiller)
    port = await tap.start()
    text = rig_yaml(endpoints, 1.0).replace(endpoints.urls()["chiller"], f"socket://127.0.0.1:{port}", 1)
    try:
        yield text, tap, endpoints
    finally:
        await tap.stop()
        await sim.close()


def _quiet() -> Console:
    return Console(file=io.StringIO())


async def test_a_journal_that_cannot_be_opened_closes_the_instruments_already_open(
    rig_with_tapped_chiller: tuple[str, Tap, Endpoints], tmp_path: Path
) -> None:
    text, tap, _ = rig_with_tapped_chiller
    rig = parse_rig(text, "<tapped rig>")
    with pytest.raises(JournalError, match="cannot open the journal"):
        await start_run(load_protocol(SCALEUP), rig, tmp_path, _quiet())  # a folder is no journal
    assert tap.opened == 1
    await tap.all_closed()
    assert tap.closed == 1


async def _dead_port() -> str:
    """A port nobody listens on any more: an instrument that does not answer."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return f"socket://127.0.0.1:{port}"


async def test_a_second_instrument_that_does_not_answer_closes_the_first(
    rig_with_tapped_chiller: tuple[str, Tap, Endpoints], tmp_path: Path
) -> None:
    text, tap, endpoints = rig_with_tapped_chiller
    rig = parse_rig(text.replace(endpoints.urls()["stirrer"], await _dead_port()), "<rig, stirrer off>")
    with pytest.raises(RigConnectError, match="stirrer"):
        await start_run(load_protocol(SCALEUP), rig, tmp_path / "j.sqlite", _quiet())
    assert tap.opened == 1
    await tap.all_closed()
    assert not (tmp_path / "j.sqlite").exists()


async def test_resume_closes_the_instruments_already_open_when_one_does_not_answer(
    rig_with_tapped_chiller: tuple[str, Tap, Endpoints], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resume opens the journal first, then the instruments: the same failure closes both."""
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # the run's console reads no command
    text, tap, endpoints = rig_with_tapped_chiller
    journal_path = tmp_path / "j.sqlite"
    run_id = await _interrupted_run(parse_rig(text, "<tapped rig>"), journal_path)
    await tap.all_closed()
    rig = parse_rig(text.replace(endpoints.urls()["stirrer"], await _dead_port()), "<rig, stirrer off>")
    with pytest.raises(RigConnectError, match="stirrer"):
        await resume_run(run_id, journal_path, rig, _quiet())
    assert tap.opened == 2
    await tap.all_closed()


async def _interrupted_run(rig: LoadedRig, journal_path: Path) -> str:
    """A run started and stopped at once (as by Ctrl-C), left resumable in the journal."""
    text = io.StringIO()
    console = Console(file=text, soft_wrap=True)
    task = asyncio.create_task(start_run(load_protocol(SCALEUP), rig, journal_path, console))
    async with asyncio.timeout(30):
        while "resume with" not in text.getvalue():  # noqa: ASYNC110  # the console is a plain file
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return text.getvalue().split()[1]


async def test_a_dry_run_whose_journal_cannot_be_opened_leaves_nothing_running(tmp_path: Path) -> None:
    """The dry run's own simulated rig, and the drivers on it with their tasks, are all closed again."""
    before = asyncio.all_tasks()
    with pytest.raises(JournalError):
        await dry_run(load_protocol(SCALEUP), tmp_path)
    await asyncio.sleep(0.1)  # transports close on the next turns of the loop
    assert asyncio.all_tasks() == before


async def test_the_command_says_in_one_line_why_the_run_did_not_start(
    rig_with_tapped_chiller: tuple[str, Tap, Endpoints], tmp_path: Path
) -> None:
    text, tap, _ = rig_with_tapped_chiller
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(text, encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        str(LABCTL), "run", str(SCALEUP), "--rig", str(rig_file), "--journal", str(tmp_path),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")} | {"NO_COLOR": "1"},
    )  # fmt: skip
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode == 1
    assert stdout.decode().splitlines() == [
        f"error: {tmp_path}: cannot open the journal: unable to open database file"
    ]
    assert b"Traceback" not in stderr
    assert tap.opened == 1
    await tap.all_closed()
