"""Late replies on a real byte stream: a reply that comes after its request's deadline is discarded, never
returned as the answer to a later request (issue 14, #7: with `chiller.link-slow`, readings journalled `ok` were
the previous poll's values).

The unit here is a PB speaker whose every reply to a read carries a *tag*: the number of the request it answers.
So a test can tell exactly which request a returned value belongs to, which a real temperature cannot.  It runs
behind `simulators.serving` (TCP and a pseudo-terminal) with the wire's `reply_delay_s` set beyond the driver's
timeout, varied from request to request, over the request sequences a poll produces.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from devices.errors import DeviceTimeout, ProtocolError
from devices.huber_modbus import HuberModbus
from devices.huber_pb import HuberPB
from simulators import serving
from simulators.clock import ManualClock
from simulators.huber.pb import parse_command, serve_tcp
from simulators.huber.thermostat import Thermostat
from simulators.serving import Send, WireFaults
from simulators.world import World, WorldConfig
from tests.devices.tagging import serve_unit

TIMEOUT_S = 0.1
WRITTEN = 0x2000
"""Written values start here; read tags stay far below, so a write's echo is never mistaken for a read's tag."""


@dataclass
class TaggingUnit:
    """Answers `{Mtt****` with `{Stt<n>` (n = this request's number) and a write with the value written."""

    log: list[tuple[int, int | None]] = field(default_factory=list)
    """(address, written value or None) per request received, in order; the tag of request i is i + 1."""

    def session(self, send: Send) -> serving.ByteSession:
        unit = self

        class Session:
            def __init__(self) -> None:
                self.line = bytearray()

            def feed(self, data: bytes) -> None:
                for byte in data:
                    self.line.append(byte)
                    if byte == 0x0A:
                        command = parse_command(bytes(self.line))
                        self.line.clear()
                        if command is not None:
                            unit.log.append(command)
                            address, value = command
                            word = len(unit.log) if value is None else value & 0xFFFF
                            send(b"{S%02X%04X\r\n" % (address, word))

            def poll(self) -> None: ...

            def close(self) -> None: ...

        return Session()


@dataclass
class Link:
    unit: TaggingUnit
    faults: WireFaults
    huber: HuberPB


@pytest.fixture(params=["tcp", "pty"])
async def link(request: pytest.FixtureRequest) -> AsyncIterator[Link]:
    unit = TaggingUnit()
    faults = WireFaults()
    server, url = await serve_unit(request.param, unit.session, faults)
    huber = await HuberPB.open(url, timeout_s=TIMEOUT_S, retries=2)
    try:
        yield Link(unit, faults, huber)
    finally:
        await huber.close()
        await server.aclose()


Op = Callable[[HuberPB], Awaitable[int]]


Call = tuple[str, int, int | None, Op]


def read(address: int) -> Call:
    return "read", address, None, lambda h: h.read(address)


def write(address: int, value: int) -> Call:
    return "write", address, value, lambda h: h.write(address, value)


SEQUENCES = {
    "same address twice": [read(0x07), read(0x07)],
    "a poll: different addresses": [read(0x07), read(0x01), read(0x0A), read(0x00)],
    "write then read": [write(0x00, WRITTEN + 1), read(0x00), write(0x00, WRITTEN + 2), read(0x00)],
}


async def _checked(link: Link, kind: str, address: int, op: Op, value: int | None = None) -> int | None:
    """Run one call; if it returns a value, assert it answers a request this call sent, to this address."""
    before = len(link.unit.log)
    try:
        got = await op(link.huber)
    except (DeviceTimeout, ProtocolError):
        return None
    if kind == "write":
        assert got == value, f"write of {value:#x} answered {got:#x}"
        return got
    tag = got
    assert before < tag <= len(link.unit.log), f"read {address:02X} returned tag {tag}, sent {before + 1}…"
    assert link.unit.log[tag - 1] == (address, None), f"tag {tag} answered {link.unit.log[tag - 1]}"
    return got


@pytest.mark.parametrize("sequence", SEQUENCES)
@pytest.mark.parametrize("delays", [(1.5,), (2.0,), (2.5,), (3.5,), (0.4, 2.2, 1.3, 3.1, 0.2, 2.6)])
async def test_no_late_reply_is_returned_as_current(
    link: Link, sequence: str, delays: tuple[float, ...]
) -> None:
    """Delays are multiples of the timeout; a mixed list changes the delay before every call (some replies
    are on time, most are late) so late replies and prompt ones interleave on the wire."""
    rng = random.Random(sequence)
    ops = SEQUENCES[sequence]
    for i in range(3 * len(ops)):
        kind, address, value, op = ops[i % len(ops)]
        link.faults.reply_delay_s = rng.choice(delays) * TIMEOUT_S
        await _checked(link, kind, address, op, value)
    # the link is fast again (once the reply the wire is holding back has gone): every request is answered,
    # by its own reply
    link.faults.reply_delay_s = 0.0
    await asyncio.sleep(max(delays) * TIMEOUT_S)
    for kind, address, value, op in ops * 2:
        got = await _checked(link, kind, address, op, value)
        assert got is not None, f"{kind} {address:02X} failed on a fast link"


async def test_a_retry_never_takes_the_first_try_s_late_answer(link: Link) -> None:
    """The first try times out; its answer lands while the retry waits (delay 2.5 × timeout)."""
    link.faults.reply_delay_s = 2.5 * TIMEOUT_S
    before = len(link.unit.log)
    try:
        tag = await link.huber.read(0x07)
    except DeviceTimeout:
        return
    assert tag > before + 1, "the first try's late reply was returned as the retry's"


async def test_reading_is_stamped_when_its_request_was_sent() -> None:
    """`Reading.at` is when the unit was asked (what the value measures), not when a slow reply was parsed."""
    clock = ManualClock()
    world = World(WorldConfig(), clock, seed=7)
    unit = Thermostat(world.thermostat, clock)
    faults = WireFaults()
    server = await serve_tcp(unit, reply_delay_s=0.0, faults=faults)
    stamps: list[float] = []
    now = [100.0]

    def driver_clock() -> float:
        stamps.append(now[0])
        return now[0]

    huber = await HuberPB.open(f"socket://127.0.0.1:{server.port}", clock=driver_clock, timeout_s=1.0)
    try:
        faults.reply_delay_s = 0.3

        async def later() -> None:
            await asyncio.sleep(0.1)
            now[0] = 105.0  # time moves on while the reply is on its way

        task = asyncio.create_task(later())
        reading = await huber.internal_temperature()
        await task
        assert reading.at == 100.0
        assert reading.value == unit.read(0x01) / 100  # type: ignore[operator]
    finally:
        await huber.close()
        await server.aclose()


# --- Modbus TCP: the transaction id does the matching (pymodbus' framer skips a frame with another id) ----------


@dataclass
class TaggingModbusUnit:
    """FC 03 answers register value = this request's number, echoing the request's transaction id; behind
    `simulators.serving` so the wire's reply delay applies."""

    count: int = 0

    def session(self, send: Send) -> serving.ByteSession:
        unit = self

        class Session:
            def __init__(self) -> None:
                self.data = bytearray()

            def feed(self, data: bytes) -> None:
                self.data += data
                while len(self.data) >= 12:
                    frame, self.data = bytes(self.data[:12]), self.data[12:]
                    assert frame[7] == 3, "this unit only reads"
                    unit.count += 1
                    tid, uid = frame[:2], frame[6:7]
                    send(tid + b"\x00\x00\x00\x05" + uid + b"\x03\x02" + unit.count.to_bytes(2, "big"))

            def poll(self) -> None: ...

            def close(self) -> None: ...

        return Session()


@pytest.mark.parametrize("delays", [(1.5,), (2.5,), (0.4, 2.2, 1.3, 3.1, 0.2, 2.6)])
async def test_modbus_late_reply_is_skipped_by_its_transaction_id(delays: tuple[float, ...]) -> None:
    unit = TaggingModbusUnit()
    faults = WireFaults()
    server = await serving.serve_tcp(unit.session, faults=faults)
    huber = HuberModbus("127.0.0.1", server.port, timeout_s=TIMEOUT_S, retries=2)
    await huber.connect()
    rng = random.Random(1)
    returned = 0
    try:
        for address in [0x07, 0x07, 0x01, 0x0A, 0x00] * 3:
            faults.reply_delay_s = rng.choice(delays) * TIMEOUT_S
            before = unit.count
            try:
                tag = await huber.read(address)
            except DeviceTimeout:
                continue
            returned += 1
            assert before < tag <= unit.count, f"read {address:02X} returned tag {tag}, sent {before + 1}…"
        if min(delays) < 1:
            assert returned > 0, "no reply was on time: the check above saw nothing"
        faults.reply_delay_s = 0.0
        await asyncio.sleep(max(delays) * TIMEOUT_S)
        for address in [0x07, 0x07, 0x01]:
            before = unit.count
            assert before < await huber.read(address) <= unit.count
    finally:
        await huber.close()
        await server.aclose()


async def test_a_unit_silent_for_longer_than_the_fences_last_answers_at_once_when_back(link: Link) -> None:
    """Silence leaves every fence address unanswered in the ledger; once the unit answers again the driver
    works through it (fences whose replies settle the older entries) and the next reads are right."""
    link.faults.silent = True
    for address in [0x07, 0x01, 0x0A, 0x00] * 4:
        with pytest.raises(DeviceTimeout):
            await link.huber.read(address)
    link.faults.silent = False
    for address in [0x07, 0x07, 0x01]:
        before = len(link.unit.log)
        tag = await link.huber.read(address)
        assert before < tag <= len(link.unit.log)
        assert link.unit.log[tag - 1] == (address, None)
