"""The recovery policy every driver uses, over a real socket: what is resent, how often, and when the link is
reopened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from devices.errors import DeviceDisconnected, DeviceReplyError, DeviceTimeout, ProtocolError
from devices.recovery import recovering
from devices.transport import Matching, Port

REQUEST = b"R\r\n"
OK = b"R ok\r\n"
GARBLED = b"R \x7fk\r\n"
REFUSED = b"R no\r\n"
ET = b"ET\r\n"
SILENT = b""
DROP = b"drop"
"""Close the connection instead of answering."""
TIMEOUT_S = 0.1
MATCH: Matching[str] = Matching(
    end=lambda d: -1 if (i := d.find(b"\r\n")) < 0 else i + 2,
    key=lambda frame: frame.split()[0].decode("latin-1") if frame.split() else None,
    fences=[("F", b"F\r\n")],
    common=frozenset({"ET"}),
)


@dataclass
class Instrument:
    """A line instrument on a real socket; the test scripts its answer to each `R` (a fence `F` is always
    answered), and every `R` is logged with the number of the connection it came on."""

    answers: list[bytes]
    requests: list[int] = field(default_factory=list)
    connections: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = self.connections
        while line := await reader.readline():
            if line == b"F\r\n":
                writer.write(b"F ok\r\n")
                continue
            self.requests.append(connection)
            answer = self.answers.pop(0) if self.answers else SILENT
            if answer == DROP:
                break
            writer.write(answer)
            await writer.drain()
        writer.close()


@dataclass
class Rig:
    instrument: Instrument
    port: Port

    def script(self, *answers: bytes) -> None:
        self.instrument.answers[:] = answers
        self.instrument.requests.clear()

    async def ask(self, *, retries: int = 2, repeatable: bool = True, resend_et: bool = False) -> bytes:
        async def attempt() -> bytes:
            async with self.port.exchange() as x:
                frame, _ = await x.ask(REQUEST, "R", MATCH, TIMEOUT_S, lambda: 0.0)
            if frame in (ET, REFUSED):
                raise DeviceReplyError(self.port.name, frame.split()[-1].decode(), frame)
            if frame != OK:
                raise ProtocolError(self.port.name, frame, "not 'R ok'")
            return frame

        if resend_et:
            return await recovering(
                attempt, self.port, retries=retries, repeatable=repeatable, resend=lambda e: e.code == "ET"
            )
        return await recovering(attempt, self.port, retries=retries, repeatable=repeatable)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    instrument = Instrument([])
    server = await asyncio.start_server(instrument.serve, "127.0.0.1", 0)
    host, number = server.sockets[0].getsockname()[:2]
    port = await Port.open(f"socket://{host}:{number}", name="instrument")
    try:
        yield Rig(instrument, port)
    finally:
        await port.close()
        server.close()


async def test_a_repeatable_request_is_sent_again_after_a_timeout_and_a_garbled_reply(rig: Rig) -> None:
    rig.script(SILENT, GARBLED, OK)
    assert await rig.ask(retries=2) == OK
    assert rig.instrument.requests == [1, 1, 1]


@pytest.mark.parametrize(
    ("answers", "error"), [((SILENT,) * 3, DeviceTimeout), ((GARBLED,) * 3, ProtocolError)]
)
async def test_retries_run_out_after_one_try_and_retries_more(
    rig: Rig, answers: tuple[bytes, ...], error: type[Exception]
) -> None:
    rig.script(*answers)
    with pytest.raises(error):
        await rig.ask(retries=2)
    assert rig.instrument.requests == [1, 1, 1]


@pytest.mark.parametrize(("answer", "error"), [(SILENT, DeviceTimeout), (GARBLED, ProtocolError)])
async def test_a_request_not_safe_to_repeat_is_sent_once(
    rig: Rig, answer: bytes, error: type[Exception]
) -> None:
    rig.script(answer, OK)
    with pytest.raises(error):
        await rig.ask(repeatable=False)
    assert rig.instrument.requests == [1]


async def test_a_dropped_link_is_reopened_and_a_repeatable_request_sent_again(rig: Rig) -> None:
    rig.script(DROP, OK)
    assert await rig.ask() == OK
    assert rig.instrument.requests == [1, 2]
    assert rig.port.reopens == 1


async def test_the_reopen_does_not_use_up_a_retry(rig: Rig) -> None:
    rig.script(DROP, SILENT, SILENT, OK)
    assert await rig.ask(retries=2) == OK
    assert rig.instrument.requests == [1, 2, 2, 2]


async def test_a_request_not_safe_to_repeat_reopens_the_dropped_link_but_raises(rig: Rig) -> None:
    rig.script(DROP, OK)
    with pytest.raises(DeviceDisconnected):
        await rig.ask(repeatable=False)
    assert rig.instrument.requests == [1]
    assert rig.port.reopens == 1
    assert rig.port.is_open
    assert await rig.ask(repeatable=False) == OK  # the next call finds the link open
    assert rig.instrument.requests == [1, 2]
    assert rig.port.reopens == 1


async def test_a_second_drop_after_the_reopen_raises(rig: Rig) -> None:
    rig.script(DROP, DROP, OK)
    with pytest.raises(DeviceDisconnected):
        await rig.ask()
    assert rig.instrument.requests == [1, 2]
    assert rig.port.reopens == 1


async def test_a_link_known_down_is_reopened_before_sending_even_a_request_not_safe_to_repeat(
    rig: Rig,
) -> None:
    rig.script(OK, OK)
    assert await rig.ask() == OK
    await rig.port.close()
    assert not rig.port.is_open
    assert await rig.ask(repeatable=False) == OK
    assert rig.instrument.requests == [1, 2]
    assert rig.port.reopens == 1


async def test_a_refusal_is_the_instrument_s_answer_unless_the_driver_says_resend(rig: Rig) -> None:
    rig.script(ET, OK)
    assert await rig.ask(resend_et=True) == OK
    assert rig.instrument.requests == [1, 1]

    rig.script(REFUSED, OK)
    with pytest.raises(DeviceReplyError) as refused:
        await rig.ask(resend_et=True)
    assert refused.value.code == "no"
    assert rig.instrument.requests == [1]

    rig.script(ET, OK)
    with pytest.raises(DeviceReplyError):
        await rig.ask()  # no `resend`: ET is an answer like any other
    assert rig.instrument.requests == [1]

    rig.script(ET, OK)
    with pytest.raises(DeviceReplyError):
        await rig.ask(resend_et=True, repeatable=False)
    assert rig.instrument.requests == [1]
