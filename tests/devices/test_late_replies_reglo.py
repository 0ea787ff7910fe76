"""Reglo ICC late replies on a real byte stream: a reply that comes after its request's deadline is dropped, never
returned as the answer to a later request (a late `2000E+1` as the current rate, a late `+` as "running"), and
the start `H` is never sent twice.

The unit here is a Reglo speaker whose every data reply carries a *tag*: the number of the request it answers
(`<tag>E+3` is the Volume Type 1 number `tag`, `<tag>.00 ml`, `REGLO ICC <tag> 306`), so a test can tell
exactly which request a returned value belongs to.  A status byte cannot carry a tag, so the unit makes its
own bytes tell: `E` answers `+` to odd-numbered requests and `-` to even ones, and `H` and `I` are answered
(`*`) only when odd-numbered (an even one is lost): a call that reports running, or succeeds, must have had a
request of its own answered so.  It runs behind `simulators.serving` (TCP and a pseudo-terminal) with the
wire's `reply_delay_s` beyond the driver's timeout, varied from request to request, over the request sequences
the supervisor's pump steps produce.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from devices.errors import DeviceDisconnected, DeviceTimeout, OutcomeUnknown, ProtocolError
from devices.reglo import RegloICC
from simulators import serving
from simulators.clock import ManualClock
from simulators.reglo import RegloICC as SimulatedReglo
from simulators.reglo import serve_reglo_tcp
from simulators.serving import Send, WireFaults
from simulators.world import World, WorldConfig
from tests.devices.tagging import serve_unit

TIMEOUT_S = 0.1
_SETTING = re.compile(r"1[fv][0-9]{4}[+-][0-9]")


@dataclass
class TaggingUnit:
    """Answers pump address 1 (see the module docstring); with `events`, an `^U` status line goes out before
    every reply, as a running pump with events on sends them unasked."""

    events: bool = False
    log: list[str] = field(default_factory=list)
    """Each command received (without `\\r`), in order; the tag of request i is i + 1."""

    def answer(self, command: str) -> bytes:
        tag = len(self.log)
        odd = tag % 2 == 1
        replies = {
            "1f": b"%04dE+3\r\n" % tag,
            "1:": b"%d.00 ml\r\n" % tag,
            "1+": b"%d.00 mm\r\n" % tag,
            "1?": b"%d.00 ml/min\r\n" % tag,
            "1#": b"REGLO ICC %04d 306\r\n" % tag,
            "1E": b"+" if odd else b"-",
            "1H": b"*" if odd else b"",
            "1I": b"*" if odd else b"",
        }
        if command in replies:
            return replies[command]
        if _SETTING.fullmatch(command):
            return b"%04dE+3\r\n" % tag  # "the value in force" is the tag
        return b"*" if command in ("1~1", "1xE1", "1O", "1J", "1+0279") else b"#"

    def session(self, send: Send) -> serving.ByteSession:
        unit = self

        class Session:
            def __init__(self) -> None:
                self.line = bytearray()

            def feed(self, data: bytes) -> None:
                for byte in data:
                    if byte != 0x0D:
                        self.line.append(byte)
                        continue
                    command = self.line.decode("ascii", "replace").strip()
                    self.line.clear()
                    unit.log.append(command)
                    if unit.events:
                        send(b"^U1|%04dE+0|J\r\n" % len(unit.log))
                    if reply := unit.answer(command):
                        send(reply)

            def poll(self) -> None: ...

            def close(self) -> None: ...

        return Session()


@dataclass
class Link:
    unit: TaggingUnit
    faults: WireFaults
    pump: RegloICC
    kind: str = "tcp"
    failures: list[str] = field(default_factory=list)
    """What each call that returned nothing raised (for the messages of failed asserts)."""


@pytest.fixture(params=["tcp", "pty"])
async def link(request: pytest.FixtureRequest) -> AsyncIterator[Link]:
    unit = TaggingUnit()
    faults = WireFaults(seed=4)
    server, url = await serve_unit(request.param, unit.session, faults)
    pump = await RegloICC.open(url, timeout_s=TIMEOUT_S, retries=2)
    try:
        yield Link(unit, faults, pump, request.param)
    finally:
        await pump.close()
        await server.aclose()


Op = Callable[[RegloICC], Awaitable[object]]
Call = tuple[str, Op]
"""(the command whose reply decides the call's result, the call)."""

RATE: Call = ("1f", lambda p: p.get_rate())
DISPENSED: Call = ("1:", lambda p: p.dispensed_volume())
TUBING: Call = ("1+", lambda p: p.get_tubing())
MAX_FLOW: Call = ("1?", lambda p: p.max_flow())
IDENTITY: Call = ("1#", lambda p: p.identity())
SET_RATE: Call = ("1f2000+1", lambda p: p.set_rate(20.0))
SET_VOLUME: Call = ("1v5000+1", lambda p: p.set_volume(50.0))
RUNNING: Call = ("1E", lambda p: p.is_running())
STOP: Call = ("1I", lambda p: p.stop())
START: Call = ("1H", lambda p: p.start())

SEQUENCES = {
    "the rate twice": [RATE, RATE],
    "a running pump's poll": [RUNNING, DISPENSED, RUNNING, DISPENSED],
    "set up a transfer": [SET_RATE, SET_VOLUME, DISPENSED, TUBING, MAX_FLOW, IDENTITY],
    "start, poll, stop": [SET_VOLUME, DISPENSED, START, RUNNING, DISPENSED, STOP, RUNNING],
}


def _tag(result: object) -> int:
    """The tag in what a call returns: a Reading's or Applied's value, a number, or an identity's firmware."""
    for attribute in ("value", "in_force", "firmware"):
        if hasattr(result, attribute):
            result = getattr(result, attribute)
            break
    assert isinstance(result, float | str), result
    return round(float(result))


def _answered(sent: list[str], first: int, command: str, odd: bool = True) -> list[int]:
    """Numbers of the requests for `command` among `sent` (numbered from `first`) the unit answered with its
    odd (`*`, `+`) or even (`-`) reply."""
    return [i for i, c in enumerate(sent, first) if c == command and i % 2 == int(odd)]


async def _checked(link: Link, command: str, op: Op) -> object | None:
    """Run one call; if it returns, assert that a request this call sent, for this command, decided it."""
    before = len(link.unit.log)
    try:
        result = await op(link.pump)
    except (DeviceTimeout, ProtocolError, OutcomeUnknown) as exc:
        link.failures.append(f"{command}: {exc!r}")
        if command == "1H":
            _check_start(link.unit.log[before:], before + 1, exc)
        return None
    sent = link.unit.log[before:]
    if command == "1E":
        answers = _answered(sent, before + 1, "1E", odd=bool(result))
        assert answers, f"E returned {result} that none of its requests got: sent {sent}"
    elif command in ("1I", "1H"):
        if command == "1H":
            _check_start(sent, before + 1, None)
        assert _answered(sent, before + 1, command) or _answered(sent, before + 1, "1E"), (
            f"{command} succeeded on a reply none of its own requests got: sent {sent}"
        )
    else:
        tag = _tag(result)
        assert before < tag <= len(link.unit.log), f"{command} returned tag {tag}, sent {before + 1}…"
        assert link.unit.log[tag - 1] == command, f"tag {tag} answered {link.unit.log[tag - 1]}"
    return result


def _check_start(sent: list[str], first: int, error: BaseException | None) -> None:
    """`H` goes out at most once per start(); not at all when start() says the link was too slow to send it."""
    starts = sent.count("1H")
    assert starts <= 1, f"H sent {starts} times by one start(): {sent}"
    if isinstance(error, DeviceTimeout):
        assert starts == 0, f"start() raised a plain timeout after H went out: {sent}"
    if error is None and not _answered(sent, first, "1H"):
        # H unanswered: only an `E` of this call that answered `+` after it may say it runs
        h = first + sent.index("1H")
        assert [i for i in _answered(sent, first, "1E") if i > h], f"start() returned on no evidence: {sent}"


async def _fast_again(link: Link, wait_s: float, calls: list[Call]) -> None:
    """Once the link is fast again (and the replies the wire holds back have gone) every data call is answered,
    by its own reply."""
    link.faults.reply_delay_s = 0.0
    link.faults.garble_rate = 0.0
    await asyncio.sleep(wait_s)
    for command, op in calls * 2:
        if command in ("1E", "1I", "1H"):
            continue  # status bytes: checked where they return, but lost half of the time by design
        assert await _checked(link, command, op) is not None, (
            f"{command} failed on a fast link: {link.failures[-1]}; sent {link.unit.log[-12:]}"
        )


@pytest.mark.parametrize("sequence", SEQUENCES)
@pytest.mark.parametrize("delays", [(1.5,), (2.5,), (0.4, 2.2, 1.3, 3.1, 0.2, 2.6)])
async def test_no_late_reply_is_returned_as_current(
    link: Link, sequence: str, delays: tuple[float, ...]
) -> None:
    """Delays are multiples of the timeout; a mixed list changes the delay before every call (some replies
    are on time, most are late) so late replies and prompt ones interleave on the wire."""
    rng = random.Random(sequence)
    calls = SEQUENCES[sequence]
    for i in range(2 * len(calls)):
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice(delays) * TIMEOUT_S
        await _checked(link, command, op)
    await _fast_again(link, max(delays) * TIMEOUT_S, calls)


async def test_a_retry_never_takes_the_first_try_s_late_answer(link: Link) -> None:
    """The first try times out; its answer lands while the retry waits (delay 2.5 × timeout)."""
    link.faults.reply_delay_s = 2.5 * TIMEOUT_S
    before = len(link.unit.log)
    try:
        reading = await link.pump.get_rate()
    except DeviceTimeout:
        return
    assert reading.value is not None
    assert round(reading.value) > before + 1, "the first try's late reply was returned as the retry's"


async def test_a_request_goes_out_once_only_its_own_fence_is_left(link: Link) -> None:
    """A late reply is still on its way when the next request is asked, and replies are prompt again (0.3 × the
    timeout): the late one settles the ledger up to the fence, and the request goes out while that fence's
    reply is still coming.  (Waiting for an empty ledger instead, each reply would send one more fence, and one
    would always be in flight until the deadline.)"""
    link.pump.retries = 0
    link.faults.reply_delay_s = 1.5 * TIMEOUT_S
    with pytest.raises(DeviceTimeout):
        await link.pump.get_rate()
    link.faults.reply_delay_s = 0.3 * TIMEOUT_S
    for _ in range(3):
        assert await _checked(link, *RATE) is not None, link.failures[-1]


async def test_a_late_start_answer_is_never_taken_for_the_next_start(link: Link) -> None:
    """Each start() sends `H` once; an earlier `H`'s late `*` is matched to that `H`, so a start whose own `H`
    got no answer returns only if an `E` of its own said running."""
    rng = random.Random(2)
    for _ in range(10):
        link.faults.reply_delay_s = rng.choice((0.3, 1.5, 2.5)) * TIMEOUT_S
        await _checked(link, *START)
    starts = link.unit.log.count("1H")
    assert 1 <= starts <= 10


async def test_event_lines_are_kept_and_never_a_reply(link: Link) -> None:
    """With events on, an `^U` line goes out before every reply, late or not: each is kept in `events`, and
    the replies are still their own requests'."""
    link.unit.events = True
    rng = random.Random(8)
    calls = [RATE, RATE, RUNNING, DISPENSED, DISPENSED]
    for i in range(15):
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.3, 1.4, 2.4)) * TIMEOUT_S
        await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)
    assert link.pump.events, "no event was kept"
    assert all(re.fullmatch(r"\^U1\|[0-9]{4}E\+0\|J", e) for e in link.pump.events), list(link.pump.events)


async def test_garbled_and_late_replies_are_never_values(link: Link) -> None:
    """Line noise (bit-6 flips in 5 % of the bytes) on top of late replies: a garbled reply is dropped as its own
    request's or refused as a ProtocolError, never a value, and never shifts later replies onto other
    requests."""
    rng = random.Random(13)
    calls = [RATE, RATE, DISPENSED, DISPENSED, RUNNING, IDENTITY, SET_RATE]
    link.faults.garble_rate = 0.05
    for i in range(16):
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.3, 0.5, 1.4, 2.3)) * TIMEOUT_S
        await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)


async def test_late_replies_across_a_reopened_link(link: Link) -> None:
    """The link is cut now and then (TCP: the socket closes and the driver reopens it; pty: the unit starts a
    fresh conversation and the wire loses what it held): readings are still their own requests' answers, and a
    start across a cut is not sent twice."""
    rng = random.Random(6)
    calls = [DISPENSED, DISPENSED, START, RUNNING, RATE, RATE, STOP]
    for i in range(14):
        if i % 4 == 3:
            link.faults.disconnect()
            await asyncio.sleep(0.02)
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.4, 1.6, 2.4)) * TIMEOUT_S
        with contextlib.suppress(DeviceDisconnected):  # the reopened link dropped again at once
            await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)
    if link.kind == "tcp":
        assert link.pump._port.reopens >= 2


async def test_a_unit_silent_for_longer_than_the_fences_last_answers_at_once_when_back(link: Link) -> None:
    """Silence leaves every fence unanswered in the ledger; once the unit answers again the driver works through
    it and the next readings are right."""
    link.faults.silent = True
    for _, op in [RATE, DISPENSED, TUBING, MAX_FLOW, IDENTITY] * 2:
        with pytest.raises(DeviceTimeout):
            await op(link.pump)
    with pytest.raises(DeviceTimeout):
        await link.pump.start()  # its fence goes unanswered: H is never sent
    assert "1H" not in link.unit.log
    link.faults.silent = False
    for command, op in [RATE, RATE, DISPENSED, IDENTITY]:
        assert await _checked(link, command, op) is not None


async def test_reading_is_stamped_when_its_request_was_sent() -> None:
    """`Reading.at` / `Applied.at` are when the pump was asked, not when a slow reply was parsed."""
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=5)
    unit = SimulatedReglo(world.pump, clock)
    faults = WireFaults()
    server = await serve_reglo_tcp(unit, faults=faults)
    now = [100.0]
    pump = await RegloICC.open(f"socket://127.0.0.1:{server.port}", clock=lambda: now[0], timeout_s=1.0)
    try:
        faults.reply_delay_s = 0.3

        async def later() -> None:
            await asyncio.sleep(0.1)
            now[0] += 5.0  # time moves on while the reply is on its way

        for call in (pump.get_rate, pump.dispensed_volume, lambda: pump.set_rate(10.0)):
            asked = now[0]
            task = asyncio.create_task(later())
            result = await call()
            await task
            assert result.at == asked, f"{call} stamped {result.at}, asked at {asked}"
    finally:
        await pump.close()
        await server.aclose()
