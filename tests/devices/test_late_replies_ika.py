"""IKA EUROSTAR late replies on a real byte stream: a reply that comes after its request's deadline is dropped,
never returned as the answer to a later request (in a dry run with the stirrer link slow, the old driver took
late `IN_PV_4` lines as the current speed, and doser portions were started on a stirrer that was not seen).

The unit here is a NAMUR speaker whose every reply to a read carries a *tag*: the number of the request it
answers (`<tag>.0 4`, `EUROSTAR <tag> control`), so a test can tell exactly which request a returned value
belongs to.  The watchdog echo must be the number sent, so it cannot carry a tag: the unit answers only
odd-numbered watchdog requests, and an arm that succeeds must have had one of its own answered.  It runs behind
`simulators.serving` (TCP and a pseudo-terminal) with the wire's `reply_delay_s` beyond the driver's timeout,
varied from request to request, over the request sequences the supervisor's stirrer poll produces.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from devices.errors import DeviceDisconnected, DeviceTimeout, ProtocolError
from devices.ika import IkaEurostar
from devices.transport import LineSettings
from simulators import serving
from simulators.clock import ManualClock
from simulators.ika import Eurostar, serve_ika_tcp
from simulators.serving import Send, WireFaults
from simulators.world import World, WorldConfig
from tests.devices.tagging import serve_unit

TIMEOUT_S = 0.1
_READ = re.compile(r"IN_(?:PV|SP)_([0-9])")
_WATCHDOG = re.compile(r"OUT_WD[12]@([0-9]+)")


@dataclass
class TaggingUnit:
    """Answers `IN_PV_n`/`IN_SP_n` with `<tag>.0 n`, `IN_NAME` with `EUROSTAR <tag> control`, an odd-numbered
    `OUT_WDm@s` with `s`; settings and motor commands get no reply (optionally `START_4`/`STOP_4` are echoed,
    as the spec says some firmware does)."""

    echo_motor: bool = False
    log: list[str] = field(default_factory=list)
    """Each command line received, in order; the tag of request i is i + 1."""

    def answer(self, command: str) -> bytes:
        tag = len(self.log)
        if (m := _READ.fullmatch(command)) is not None:
            return f"{tag}.0 {m[1]}\r\n".encode()
        if command == "IN_NAME":
            return f"EUROSTAR {tag} control\r\n".encode()
        if (m := _WATCHDOG.fullmatch(command)) is not None:
            return f"{m[1]}\r\n".encode() if tag % 2 else b""
        if self.echo_motor and command in ("START_4", "STOP_4"):
            return f"{command}\r\n".encode()
        return b""

    def session(self, send: Send) -> serving.ByteSession:
        unit = self

        class Session:
            def __init__(self) -> None:
                self.line = bytearray()

            def feed(self, data: bytes) -> None:
                for byte in data:
                    self.line.append(byte)
                    if byte == 0x0A:
                        command = self.line.decode("ascii", "replace").strip()
                        self.line.clear()
                        unit.log.append(command)
                        if reply := unit.answer(command):
                            send(reply)

            def poll(self) -> None: ...

            def close(self) -> None: ...

        return Session()


@dataclass
class Link:
    unit: TaggingUnit
    faults: WireFaults
    stirrer: IkaEurostar
    kind: str = "tcp"
    failures: list[str] = field(default_factory=list)
    """What each call that returned nothing raised (for the messages of failed asserts)."""


@pytest.fixture(params=["tcp", "pty"])
async def link(request: pytest.FixtureRequest) -> AsyncIterator[Link]:
    unit = TaggingUnit()
    faults = WireFaults(seed=3)
    server, url = await serve_unit(request.param, unit.session, faults)
    # a pty refuses 7E1 (specs/ika-overhead-stirrer.md): the bytes are the same 7-bit ASCII over 8N1
    stirrer = await IkaEurostar.open(url, timeout_s=TIMEOUT_S, retries=2, settings=LineSettings())
    try:
        yield Link(unit, faults, stirrer, request.param)
    finally:
        await stirrer.close()
        await server.aclose()


Op = Callable[[IkaEurostar], Awaitable[object]]
Call = tuple[str, Op]
"""(the command whose tagged reply the call returns, the call)."""


def _tag_of(value: object) -> int:
    return round(value) if isinstance(value, float) else int(str(value).split()[1])


SPEED: Call = ("IN_PV_4", lambda s: s.speed())
TORQUE: Call = ("IN_PV_5", lambda s: s.torque())
SETPOINT: Call = ("IN_SP_4", lambda s: s.speed_setpoint())
LIMIT: Call = ("IN_SP_6", lambda s: s.speed_limit())
NAME: Call = ("IN_NAME", lambda s: s.identity())
SET_SPEED: Call = ("IN_SP_4", lambda s: s.set_speed(450))
ARM: Call = ("OUT_WD1@30", lambda s: s.arm_watchdog(30))

SEQUENCES = {
    "speed twice": [SPEED, SPEED],
    "a poll: speed, torque, setpoint": [SPEED, TORQUE, SPEED, SETPOINT, LIMIT],
    "identity then speed": [NAME, SPEED],
    "set the speed then read it": [SET_SPEED, SPEED, SETPOINT],
    "feed the watchdog between readings": [ARM, SPEED, ARM],
}


def _value(result: object) -> object:
    """The tagged part of what a call returns: a Reading's or Applied's value, or the model of an identity."""
    for attribute in ("value", "in_force", "model"):
        if hasattr(result, attribute):
            return getattr(result, attribute)
    return result


async def _checked(link: Link, command: str, op: Op) -> object | None:
    """Run one call; if it returns, assert it was answered by a request this call sent, for this command."""
    before = len(link.unit.log)
    try:
        result = await op(link.stirrer)
    except (DeviceTimeout, ProtocolError) as exc:
        link.failures.append(f"{command}: {exc!r}")
        return None
    sent = link.unit.log[before:]
    if command.startswith("OUT_WD"):
        answered = [i for i, c in enumerate(sent, before + 1) if c == command and i % 2]
        assert answered, f"{command} accepted an echo none of its own requests got: sent {sent}"
        return result
    tag = _tag_of(_value(result))
    assert before < tag <= len(link.unit.log), f"{command} returned tag {tag}, sent {before + 1}…"
    assert link.unit.log[tag - 1] == command, f"tag {tag} answered {link.unit.log[tag - 1]}"
    return result


async def _fast_again(link: Link, wait_s: float, calls: list[Call]) -> None:
    """Once the link is fast again (and the replies the wire holds back have gone) every call is answered, by
    its own reply."""
    link.faults.reply_delay_s = 0.0
    link.faults.garble_rate = 0.0
    await asyncio.sleep(wait_s)
    for command, op in calls * 2:
        if command.startswith("OUT_WD"):
            continue  # answered only every other time, by design
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
    for i in range(3 * len(calls)):
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice(delays) * TIMEOUT_S
        await _checked(link, command, op)
    await _fast_again(link, max(delays) * TIMEOUT_S, calls)


async def test_a_retry_never_takes_the_first_try_s_late_answer(link: Link) -> None:
    """The first try times out; its answer lands while the retry waits (delay 2.5 × timeout)."""
    link.faults.reply_delay_s = 2.5 * TIMEOUT_S
    before = len(link.unit.log)
    try:
        reading = await link.stirrer.speed()
    except DeviceTimeout:
        return
    assert reading.value is not None
    assert round(reading.value) > before + 1, "the first try's late reply was returned as the retry's"


async def test_garbled_and_late_replies_are_never_values(link: Link) -> None:
    """Line noise (bit-6 flips in 5 % of the bytes) on top of late replies: a garbled line is dropped as its own
    request's reply or refused as a ProtocolError, never a value, and never shifts later replies onto other
    requests."""
    rng = random.Random(11)
    calls = SEQUENCES["a poll: speed, torque, setpoint"] + [NAME]
    link.faults.garble_rate = 0.05
    for i in range(16):
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.3, 0.5, 1.4, 2.3)) * TIMEOUT_S
        await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)


async def test_late_replies_across_a_reopened_link(link: Link) -> None:
    """The link is cut now and then (TCP: the socket closes and the driver reopens it; pty: the unit starts a
    fresh conversation and the wire loses what it held): readings are still their own requests' answers."""
    rng = random.Random(5)
    calls = SEQUENCES["a poll: speed, torque, setpoint"]
    for i in range(12):
        if i % 4 == 3:
            link.faults.disconnect()
            await asyncio.sleep(0.02)
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.4, 1.6, 2.4)) * TIMEOUT_S
        with contextlib.suppress(DeviceDisconnected):  # the reopened link dropped again at once
            await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)
    if link.kind == "tcp":
        assert link.stirrer._port.reopens >= 3


async def test_motor_commands_are_sent_at_once_and_an_echo_of_them_is_no_reply() -> None:
    """START_4/STOP_4 get no reply (a firmware's echo of them answers nothing); they go out without waiting, and
    a late speed line before them is still matched to its own request."""
    unit = TaggingUnit(echo_motor=True)
    faults = WireFaults()
    server, url = await serve_unit("tcp", unit.session, faults)
    stirrer = await IkaEurostar.open(url, timeout_s=TIMEOUT_S, retries=2)
    try:
        for delay in (2.5, 0.2, 1.5, 0.0):
            faults.reply_delay_s = delay * TIMEOUT_S
            link = Link(unit, faults, stirrer)
            await stirrer.start()
            await _checked(link, *SPEED)
            await stirrer.stop()
            await _checked(link, *NAME)
        assert unit.log.count("START_4") == unit.log.count("STOP_4") == 4  # each sent once
        await _fast_again(Link(unit, faults, stirrer), 2.5 * TIMEOUT_S, [SPEED, NAME])
    finally:
        await stirrer.close()
        await server.aclose()


async def test_a_unit_silent_for_longer_than_the_fences_last_answers_at_once_when_back(link: Link) -> None:
    """Silence leaves every fence unanswered in the ledger; once the unit answers again the driver works through
    it and the next readings are right."""
    link.faults.silent = True
    for _, op in SEQUENCES["a poll: speed, torque, setpoint"] * 2:
        with pytest.raises(DeviceTimeout):
            await op(link.stirrer)
    link.faults.silent = False
    for command, op in [SPEED, SPEED, TORQUE, NAME]:
        assert await _checked(link, command, op) is not None


async def test_reading_is_stamped_when_its_request_was_sent() -> None:
    """`Reading.at` is when the unit was asked (what the value measures), not when a slow reply was parsed; for
    a speed set, when the read-back was asked."""
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=7)
    unit = Eurostar(world.stirrer, clock)
    faults = WireFaults()
    server = await serve_ika_tcp(unit, faults=faults)
    now = [100.0]
    stirrer = await IkaEurostar.open(f"socket://127.0.0.1:{server.port}", clock=lambda: now[0], timeout_s=1.0)
    try:
        faults.reply_delay_s = 0.3

        async def later() -> None:
            await asyncio.sleep(0.1)
            now[0] += 5.0  # time moves on while the reply is on its way

        for call in (stirrer.speed, stirrer.torque, stirrer.speed_setpoint, lambda: stirrer.set_speed(300)):
            asked = now[0]
            task = asyncio.create_task(later())
            result = await call()
            await task
            assert result.at == asked, f"{call} stamped {result.at}, asked at {asked}"
    finally:
        await stirrer.close()
        await server.aclose()
