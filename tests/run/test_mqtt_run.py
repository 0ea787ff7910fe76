"""A real run with `--mqtt` against `labctl sim serve`: killed, its last will says so; resumed, the same run is
back online and publishes from where it was (no event twice from the earlier session, none skipped)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from labctl.journal import Journal
from labctl.telemetry.run_view import NOT_EVENTS
from tests.telemetry.broker import Broker
from tests.telemetry.subscriber import Seen, Subscriber

LABCTL = Path(sys.executable).parent / "labctl"
PROTOCOL = Path(__file__).with_name("short-dosing.yaml")
ROOT = "labctl/sim"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Path]:
    process = await asyncio.create_subprocess_exec(
        str(LABCTL), "sim", "serve", "--port-base", "0", "--speed", "20",
        cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with asyncio.timeout(30):
            while not (tmp_path / ".labctl" / "sim-rig.yaml").exists():  # noqa: ASYNC110 (another process)
                await asyncio.sleep(0.05)
        yield tmp_path
    finally:
        process.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()


async def _controller(cwd: Path, broker: Broker, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(LABCTL), *args, "--journal", "journal.sqlite", "--mqtt", broker.url,
        cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def _status(seen: list[Seen]) -> list[dict[str, object]]:
    return [s.json() for s in seen if s.topic == f"{ROOT}/status"]


def _event_seqs(seen: list[Seen]) -> list[int]:
    return [s.json()["seq"] for s in seen if s.topic == f"{ROOT}/events"]


@pytest.mark.long
async def test_a_killed_run_leaves_its_will_and_its_resume_publishes_on_from_there(
    served: Path, broker: Broker
) -> None:
    async with Subscriber(broker.port, f"{ROOT}/#") as watcher:
        first = await _controller(served, broker, "run", str(PROTOCOL), "--rig", ".labctl/sim-rig.yaml")
        running = await watcher.wait_for(lambda seen: [s for s in _status(seen) if s.get("step") == "cold"])
        run_id = running[0]["run_id"]
        assert running[0]["mode"] == "run"
        first.kill()
        await first.wait()
        await watcher.wait_for(lambda seen: [s for s in _status(seen) if s["state"] == "lost"])
        before = _event_seqs(watcher.seen)
        watcher.seen.clear()

        second = await _controller(served, broker, "resume", str(run_id))
        back = await watcher.wait_for(
            lambda seen: [s for s in _status(seen) if s["online"] and s["state"] == "running"]
        )
        await watcher.wait_for(
            lambda seen: any(s.json()["kind"] == "run.state" for s in seen if s.topic.endswith("/events"))
        )
        second.send_signal(signal.SIGINT)
        await second.wait()
        await watcher.wait_for(
            lambda seen: [s for s in _status(seen) if not s["online"] and s["state"] != "lost"]
        )
    assert back[0]["run_id"] == run_id
    after = _event_seqs(watcher.seen)
    assert before
    assert after
    assert min(after) > max(before)

    journal = Journal(served / "journal.sqlite")
    events = [r.seq for r in journal.records(str(run_id)) if r.kind not in NOT_EVENTS]
    journal.close()
    published = sorted(set(before) | set(after))
    assert [seq for seq in events if seq > max(before)] == sorted(set(after))
    assert set(published) <= set(events)
    assert _status(watcher.seen)[-1]["state"] == "failed"  # Ctrl-C: stopped, resumable
