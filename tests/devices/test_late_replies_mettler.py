"""MT-SICS / Quantos late replies on a real byte stream: a reply that comes after its request's deadline is dropped,
never returned as the answer to a later request (a late `S S  12.34 g` as the current weight, a late
`QRD 2 4 12` block as the last dose's result), and the dose start `QRA 61 1` is never sent twice.

The unit here is a balance whose every reply to a read carries a *tag*: the number of the request it answers
(`S S  <tag>.00 g`, `I2 A "XPE<tag> 220.0090 g"`, `I4 A "<tag>"`, an XML `<Content Unit="mg">` of `<tag>` g), so
a test can tell exactly which request a returned value belongs to.  An acknowledgement cannot carry a tag, so the
unit makes its own replies tell: a setting is acknowledged (`QRD 1 1 5 A`) only when its request is odd-numbered
(an even one is lost), and a dose answers `QRA 61 1 B` at once and then `QRA 61 1 A` when odd-numbered,
`QRA 61 1 I 7` when even.  On every new conversation it sends the power-on `I4 A "B021002593"`.  It runs
behind `simulators.serving` (TCP and a pseudo-terminal) with the wire's `reply_delay_s` beyond the driver's
timeout, varied from request to request, over the request sequences a dosing step's poll produces.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from devices.errors import (
    DeviceDisconnected,
    DeviceReplyError,
    DeviceTimeout,
    DosingFailed,
    OutcomeUnknown,
    ProtocolError,
)
from devices.mettler import MettlerBalance, QuantosDoser, open_quantos
from devices.reading import Reading
from devices.roles import DoseResult, InstrumentIdentity
from simulators import serving
from simulators.serving import Send, WireFaults
from tests.devices.tagging import serve_unit

TIMEOUT_S = 0.1
BANNER = b'I4 A "B021002593"\r\n'
DOSE_S = 0.02
"""Wall time from a dose's `B` to its outcome."""


@dataclass
class TaggingUnit:
    """Answers as the module docstring says; `ES` to anything else (and to `I2` when `no_i2`)."""

    no_i2: bool = False
    log: list[str] = field(default_factory=list)
    """Each command line received (without CRLF), in order; the tag of request i is i + 1."""
    dosing: list[tuple[float, bytes]] = field(default_factory=list)
    """(when, outcome line) of the running dose, sent by `poll()`."""
    dose_s: float = DOSE_S
    refused: list[int] = field(default_factory=list)
    """Numbers of the starts refused `I 2` because a dose was running."""

    def answer(self, command: str) -> bytes:
        tag = len(self.log)
        odd = tag % 2 == 1
        if command == "S":
            return b"S S %10.2f g\r\n" % tag
        if command == "SI":
            return b"S D %10.2f g\r\n" % tag
        if command == "I2":
            return b"ES\r\n" if self.no_i2 else b'I2 A "XPE%d 220.0090 g"\r\n' % tag
        if command == "I4":
            return b'I4 A "%d"\r\n' % tag
        if command == "QRD 2 4 12":
            return (
                b'QRD 2 4 12 B\r\n<?xml version="1.0" encoding="UTF-8"?>\r\n'
                b'<Dose_result><Sample_ID>s%d</Sample_ID><Content Unit="mg">%d.0</Content></Dose_result>\r\n'
                b"QRD 2 4 12 A\r\n" % (tag, tag * 1000)
            )
        if command == "QRD 2 4 11":
            return (
                b'QRD 2 4 11 B\r\n<Head_Data><Rem._quantity Unit="mg">%d.0</Rem._quantity></Head_Data>\r\n'
                % (tag * 1000)
                + b"QRD 2 4 11 A\r\n"
            )
        if command == "QRD 1 1 5 4750":
            return b"QRD 1 1 5 A\r\n" if odd else b""
        if command == "QRA 61 1":
            if self.dosing:
                self.refused.append(tag)
                return b"QRA 61 1 I 2\r\n"  # another job running
            outcome = b"QRA 61 1 A\r\n" if odd else b"QRA 61 1 I 7\r\n"
            self.dosing = [(time.monotonic() + self.dose_s, outcome)]
            return b"QRA 61 1 B\r\n"
        if command == "QRA 61 4":
            if self.dosing:
                self.dosing = [(time.monotonic(), b"QRA 61 1 I 8\r\n")]
            return b"QRA 61 4 A\r\n"
        return b"ES\r\n"

    def session(self, send: Send) -> serving.ByteSession:
        unit = self

        class Session:
            def __init__(self) -> None:
                self.line = bytearray()
                send(BANNER)

            def feed(self, data: bytes) -> None:
                self.line += data
                while (end := self.line.find(b"\n")) >= 0:
                    command = self.line[:end].decode("ascii", "replace").strip()
                    del self.line[: end + 1]
                    if not command:
                        continue
                    unit.log.append(command)
                    if reply := unit.answer(command):
                        send(reply)  # one chunk: a QRD block is not spread out by the wire's delay

            def poll(self) -> None:
                if unit.dosing and unit.dosing[0][0] <= time.monotonic():
                    send(unit.dosing.pop()[1])

            def close(self) -> None:
                unit.dosing.clear()  # a new conversation: the dose's outcome went with the old one

        return Session()


@dataclass
class Link:
    unit: TaggingUnit
    faults: WireFaults
    balance: MettlerBalance
    doser: QuantosDoser
    kind: str = "tcp"
    failures: list[str] = field(default_factory=list)
    """What each call that returned nothing raised (for the messages of failed asserts)."""


@pytest.fixture(params=["tcp", "pty"])
async def link(request: pytest.FixtureRequest) -> AsyncIterator[Link]:
    unit = TaggingUnit()
    faults = WireFaults(seed=4)
    server, url = await serve_unit(request.param, unit.session, faults)
    balance, doser = await open_quantos(url, timeout_s=TIMEOUT_S, dose_timeout_s=120.0)
    balance.stable_timeout_s = TIMEOUT_S
    try:
        yield Link(unit, faults, balance, doser, request.param)
    finally:
        await balance.close()
        await server.aclose()


Op = Callable[[Link], Awaitable[object]]
Call = tuple[str, Op]
"""(the command whose reply decides the call's result, the call)."""

STABLE: Call = ("S", lambda link: link.balance.stable_weight())
IMMEDIATE: Call = ("SI", lambda link: link.balance.immediate_weight())
IDENTITY: Call = ("I2", lambda link: link.balance.identity())
LAST_DOSE: Call = ("QRD 2 4 12", lambda link: link.doser.last_dose())
REMAINING: Call = ("QRD 2 4 11", lambda link: link.doser.remaining_quantity())
SET_TARGET: Call = ("QRD 1 1 5 4750", lambda link: link.doser.set_target(4.75))
DOSE: Call = ("QRA 61 1", lambda link: link.doser.dose(timeout_s=TIMEOUT_S))

SEQUENCES = {
    "the weight twice": [STABLE, STABLE],
    "a dosing step's poll": [IMMEDIATE, STABLE, REMAINING, IMMEDIATE],
    "dose and read back": [SET_TARGET, DOSE, LAST_DOSE, STABLE, IDENTITY],
}


def _tag(result: object) -> int:
    """The tag in what a read returns: a Reading's value or a DoseResult's mass (in g)."""
    if isinstance(result, Reading):
        result = result.value
    elif isinstance(result, DoseResult):
        result = result.grams
    assert isinstance(result, float), result
    return round(result)


def _answered(sent: list[str], first: int, command: str, odd: bool = True) -> list[int]:
    """Numbers of the requests for `command` among `sent` (numbered from `first`) the unit answered with its
    odd (`A`) or even (`I 7`, none) reply."""
    return [i for i, c in enumerate(sent, first) if c == command and i % 2 == int(odd)]


def _check_tag(link: Link, before: int, command: str, tag: int) -> None:
    assert before < tag <= len(link.unit.log), f"{command} returned tag {tag}, sent {before + 1}…"
    assert link.unit.log[tag - 1] == command, f"tag {tag} answered {link.unit.log[tag - 1]}"


async def _checked(link: Link, command: str, op: Op) -> object | None:
    """Run one call; if it returns (or fails with a dose outcome), assert that a request this call sent, for
    this command, decided it."""
    before = len(link.unit.log)
    try:
        result = await op(link)
    except DosingFailed as exc:
        code = exc.error_code
        sent = link.unit.log[before:]
        assert sent.count("QRA 61 1") == 1, f"dose start sent {sent.count('QRA 61 1')} times: {sent}"
        assert code in (2, 7), f"dose failed with I {code}: no stop was sent"
        own = range(before + 1, len(link.unit.log) + 1)
        if code == 2:
            assert [i for i in link.unit.refused if i in own], f"I 2 was not this dose's: sent {sent}"
            return None
        failed = [i for i in _answered(sent, before + 1, command, odd=False) if i not in link.unit.refused]
        assert failed, f"dose failed on an outcome its own start did not get: sent {sent}"
        return None
    except (DeviceTimeout, ProtocolError, OutcomeUnknown, DeviceReplyError) as exc:
        link.failures.append(f"{command}: {exc!r}")
        sent = link.unit.log[before:]
        if command == "QRA 61 1":
            assert sent.count("QRA 61 1") <= 1, f"dose start sent twice: {sent}"
            if isinstance(exc, DeviceTimeout):
                assert "QRA 61 1" not in sent, (
                    f"dose() raised a plain timeout after the start went out: {sent}"
                )
        if isinstance(exc, OutcomeUnknown):
            await _settle_dose(link)
        return None
    sent = link.unit.log[before:]
    if command == "QRA 61 1":
        assert sent.count("QRA 61 1") == 1, f"dose start sent {sent.count('QRA 61 1')} times: {sent}"
        done = [i for i in _answered(sent, before + 1, command) if i not in link.unit.refused]
        assert done, f"dose done on an outcome not its own: sent {sent}"
    elif command == "QRD 1 1 5 4750":
        assert _answered(sent, before + 1, command), f"target acknowledged by an earlier ack: sent {sent}"
    elif command == "I2":
        assert isinstance(result, InstrumentIdentity)
        assert result.model is not None
        model = int(result.model.removeprefix("XPE"))
        _check_tag(link, before, "I2", model)
        if result.serial is not None and result.serial.isdigit():
            _check_tag(link, model, "I4", int(result.serial))
    else:
        _check_tag(link, before, command, _tag(result))
    return result


async def _settle_dose(link: Link) -> None:
    """After OutcomeUnknown the doser refuses another dose until its record has been read."""
    for _ in range(5):
        with contextlib.suppress(DeviceTimeout, ProtocolError, DeviceDisconnected):
            await _checked(link, *LAST_DOSE)
            if not link.doser.outcome_unknown:
                return


async def _fast_again(link: Link, wait_s: float, calls: list[Call]) -> None:
    """Once the link is fast again (and the replies the wire holds back have gone) every read is answered, by
    its own reply."""
    link.faults.reply_delay_s = 0.0
    link.faults.garble_rate = 0.0
    await asyncio.sleep(wait_s)
    for command, op in calls * 2:
        if command in ("QRD 1 1 5 4750", "QRA 61 1"):
            continue  # acks and outcomes: checked where they return, but lost or failed half of the time
        assert await _checked(link, command, op) is not None, (
            f"{command} failed on a fast link: {link.failures[-1]}; sent {link.unit.log[-12:]}"
        )


@pytest.mark.parametrize("sequence", SEQUENCES)
@pytest.mark.parametrize("delays", [(2.5,), (0.4, 2.2, 1.3, 3.1, 0.2, 2.6)])
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
    await _fast_again(link, max(delays) * TIMEOUT_S + DOSE_S, calls)


async def test_a_late_weight_is_never_the_next_weight(link: Link) -> None:
    """The issue's case: a `S` times out (no retry), its `S S` comes while the next `S` waits (later than a
    quiet-line wait of one timeout after the first timed out)."""
    retries, link.balance._sics.retries = link.balance._sics.retries, 0
    link.faults.reply_delay_s = 2.5 * TIMEOUT_S
    with pytest.raises(DeviceTimeout):
        await link.balance.stable_weight()
    link.balance._sics.retries = (
        retries  # a loaded machine may miss a 0.1 s timeout: a retry, never a wrong weight
    )
    link.faults.reply_delay_s = 0.3 * TIMEOUT_S
    await _checked(link, *STABLE)  # its fence's reply waits behind the late one on the wire: it may time out
    answers = [await _checked(link, *STABLE) for _ in range(8)]  # each one that returns is its own (_checked)
    assert sum(a is not None for a in answers) >= 3, link.failures[-3:]  # a loaded machine misses some 0.1 s


async def test_a_retry_never_takes_the_first_try_s_late_answer(link: Link) -> None:
    """The first try times out; its answer lands while the retry waits (delay 2.5 × timeout)."""
    link.faults.reply_delay_s = 2.5 * TIMEOUT_S
    before = len(link.unit.log)
    try:
        reading = await link.balance.stable_weight()
    except DeviceTimeout:
        return
    assert round(reading.value) > before + 1, "the first try's late reply was returned as the retry's"


async def test_a_late_dose_outcome_is_never_the_next_dose_s(link: Link) -> None:
    """Each dose() sends `QRA 61 1` at most once; an earlier dose's late `A` (or `I 7`) is matched to that dose,
    so a dose whose own outcome never came is OutcomeUnknown, never done (or failed) on another's."""
    rng = random.Random(2)
    for _ in range(6):
        link.faults.reply_delay_s = rng.choice((0.3, 1.5, 2.5)) * TIMEOUT_S
        await _checked(link, *DOSE)
    assert 1 <= link.unit.log.count("QRA 61 1") <= 6


async def test_an_earlier_dose_s_end_is_never_a_later_start_s_answer(link: Link) -> None:
    """A dose outlasts its timeout (OutcomeUnknown); its record is read and the next start is refused `I 2`
    while it still runs; its `A` comes after that refusal.  The `A` is an earlier dose's end, not this start's:
    the second dose() must not return as done."""
    link.unit.dose_s = 1.6 * TIMEOUT_S  # its end comes while the next start waits for its answer
    with pytest.raises(OutcomeUnknown):
        await link.doser.dose(timeout_s=TIMEOUT_S)
    await link.doser.last_dose()
    with pytest.raises((DosingFailed, OutcomeUnknown)):
        await link.doser.dose(timeout_s=1.0)
    assert link.unit.log.count("QRA 61 1") == 2
    assert link.unit.refused, link.unit.log


async def test_power_on_line_and_a_stop_s_reply_are_kept_as_strays(link: Link) -> None:
    """The `I4 A "…"` a new conversation starts with and the `QRA 61 4 A` of a stop sent during a dose answer
    nothing: they are kept in `stray`, and the dose ends `I 8` on its own outcome."""
    dose = asyncio.create_task(link.doser.dose(timeout_s=1.0))
    await asyncio.sleep(DOSE_S / 4)
    link.unit.dosing[0] = (time.monotonic() + 10.0, b"QRA 61 1 A\r\n")  # a long dose: the stop ends it
    await link.doser.stop()
    with pytest.raises(DosingFailed) as info:
        await dose
    assert info.value.error_code == 8
    assert await _checked(link, *STABLE) is not None
    stray = list(link.doser._sics.stray)
    assert "QRA 61 4 A" in stray, stray
    link.faults.disconnect()  # a new conversation: another power-on line, while a weight is read
    await asyncio.sleep(0.05)
    for call in (STABLE, IMMEDIATE, IDENTITY):
        with contextlib.suppress(DeviceDisconnected):
            await _checked(link, *call)
    assert all(line in ('I4 A "B021002593"', "QRA 61 4 A") for line in link.doser._sics.stray), stray


async def test_garbled_and_late_replies_are_never_values(link: Link) -> None:
    """Line noise (bit-6 flips in 5 % of the bytes) on top of late replies: a garbled reply is dropped as its own
    request's or refused as a ProtocolError, never a value, and never shifts later replies onto other
    requests."""
    rng = random.Random(13)
    calls = [STABLE, STABLE, IMMEDIATE, LAST_DOSE, REMAINING, IDENTITY, SET_TARGET]
    link.faults.garble_rate = 0.05
    for i in range(12):
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.3, 0.5, 1.4, 2.3, 3.2)) * TIMEOUT_S
        await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)


async def test_late_replies_across_a_reopened_link(link: Link) -> None:
    """The link is cut now and then (TCP: the socket closes and the driver reopens it; pty: the unit starts a
    fresh conversation and the wire loses what it held): readings are still their own requests' answers, and a
    dose across a cut is not started twice."""
    rng = random.Random(6)
    calls = [STABLE, IMMEDIATE, DOSE, LAST_DOSE, STABLE, REMAINING, SET_TARGET]
    for i in range(10):
        if i % 4 == 3:
            link.faults.disconnect()
            await asyncio.sleep(0.02)
        command, op = calls[i % len(calls)]
        link.faults.reply_delay_s = rng.choice((0.4, 1.6, 2.4)) * TIMEOUT_S
        with contextlib.suppress(DeviceDisconnected):  # the reopened link dropped again at once
            await _checked(link, command, op)
    await _fast_again(link, 2.5 * TIMEOUT_S, calls)
    if link.kind == "tcp":
        assert link.balance._sics.port.reopens >= 2


async def test_a_silent_unit_never_gets_a_dose_start_and_answers_at_once_when_back(link: Link) -> None:
    """Silence leaves every fence unanswered in the ledger: the dose start is not sent (a plain DeviceTimeout,
    the doser did nothing); once the unit answers again the driver works through the ledger and the next
    readings are right."""
    link.faults.silent = True
    for _, op in [STABLE, IMMEDIATE, LAST_DOSE] * 2:
        with pytest.raises(DeviceTimeout):
            await op(link)
    with pytest.raises(DeviceTimeout):
        await link.doser.dose(timeout_s=TIMEOUT_S)
    assert not link.doser.outcome_unknown
    assert "QRA 61 1" not in link.unit.log
    link.faults.silent = False
    for call in [STABLE, STABLE, LAST_DOSE, IDENTITY, DOSE]:
        assert await _checked(link, *call) is not None or call is DOSE, link.failures[-1]


async def test_fences_answered_with_es_by_a_balance_without_i2(link: Link) -> None:
    """`ES` carries no ID: it answers by order alone, so a fence `I2` answered `ES` settles the ledger too."""
    link.unit.no_i2 = True
    rng = random.Random(3)
    for _ in range(8):
        link.faults.reply_delay_s = rng.choice((0.3, 1.5, 2.5)) * TIMEOUT_S
        await _checked(link, *STABLE)
    await _fast_again(link, 2.5 * TIMEOUT_S, [STABLE, REMAINING])


async def test_reading_is_stamped_when_its_request_was_sent() -> None:
    """`Reading.at` / `DoseResult.at` are when the balance was asked, not when a slow reply was parsed."""
    unit = TaggingUnit()
    faults = WireFaults()
    server = await serving.serve_tcp(unit.session, faults=faults)
    now = [100.0]
    balance, doser = await open_quantos(
        f"socket://127.0.0.1:{server.port}", clock=lambda: now[0], timeout_s=1.0
    )
    try:
        faults.reply_delay_s = 0.3

        async def later() -> None:
            await asyncio.sleep(0.1)
            now[0] += 5.0  # time moves on while the reply is on its way

        calls: list[Callable[[], Awaitable[Reading[float] | DoseResult]]] = [
            balance.stable_weight,
            balance.immediate_weight,
            doser.remaining_quantity,
            doser.last_dose,
            doser.last_dose_result,
        ]
        for call in calls:
            asked = now[0]
            task = asyncio.create_task(later())
            result = await call()
            await task
            assert result.at == asked, f"{call} stamped {result.at}, asked at {asked}"
    finally:
        await balance.close()
        await server.aclose()
