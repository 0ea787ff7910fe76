from __future__ import annotations

import asyncio
import contextlib

import pytest

from devices.errors import DeviceTimeout, NotSupported
from devices.huber_modbus import HuberModbus
from devices.roles import InstrumentIdentity


class RawModbusPeer:
    """Expects exact MBAP+PDU bytes (transaction id excepted) and answers with scripted PDUs."""

    def __init__(self, exchanges: list[tuple[bytes, bytes | None]]) -> None:
        self.exchanges = exchanges
        self.failures: list[str] = []
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        for expected_tail, reply_tail in self.exchanges:
            try:
                header = await reader.readexactly(6)
                body = await reader.readexactly(int.from_bytes(header[4:6], "big"))
            except asyncio.IncompleteReadError:
                return
            frame = header + body
            self.requests.append(frame)
            if frame[2:] != expected_tail:
                self.failures.append(f"expected …{expected_tail.hex(' ')}, got {frame.hex(' ')}")
                return
            if reply_tail is not None:
                writer.write(frame[:2] + reply_tail)
                await writer.drain()
        extra = await reader.read(4096)  # returns b"" once the client closes
        if extra:
            self.failures.append(f"unexpected bytes {extra.hex(' ')}")

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        await self.server.wait_closed()


async def _client(
    exchanges: list[tuple[bytes, bytes | None]], **kw: float
) -> tuple[RawModbusPeer, HuberModbus]:
    peer = RawModbusPeer(exchanges)
    port = await peer.start()
    huber = HuberModbus("127.0.0.1", port, **kw)  # type: ignore[arg-type]
    await huber.connect()
    return peer, huber


async def test_manual_clamp_example_byte_exact() -> None:
    # Manual: write −35.00 °C → response carries −30.00 °C, the value in force.
    peer, huber = await _client(
        [(bytes.fromhex("00 00 00 06 FF 06 00 00 F2 54"), bytes.fromhex("00 00 00 06 FF 06 00 00 F4 48"))]
    )
    applied = await huber.set_setpoint(-35.0)
    assert applied.in_force == -30.0
    assert applied.limited
    await huber.close()
    await peer.stop()
    assert not peer.failures, peer.failures
    assert len(peer.requests) == 1


async def test_read_holding_register_and_c504() -> None:
    peer, huber = await _client(
        [
            (bytes.fromhex("00 00 00 06 FF 03 00 01 00 01"), bytes.fromhex("00 00 00 05 FF 03 02 10 10")),
            (bytes.fromhex("00 00 00 06 FF 03 00 07 00 01"), bytes.fromhex("00 00 00 05 FF 03 02 C5 04")),
        ]
    )
    assert (await huber.internal_temperature()).value == 41.12
    assert (await huber.process_temperature()).value is None
    await huber.close()
    await peer.stop()
    assert not peer.failures, peer.failures


async def test_illegal_address_exception_is_not_supported() -> None:
    peer, huber = await _client(
        [(bytes.fromhex("00 00 00 06 FF 03 00 59 00 01"), bytes.fromhex("00 00 00 03 FF 83 02"))]
    )
    with pytest.raises(NotSupported) as info:
        await huber.read(0x59)
    assert info.value.code == "02"
    await huber.close()
    await peer.stop()
    assert not peer.failures, peer.failures


async def test_7fff_value_is_not_supported() -> None:
    peer, huber = await _client(
        [(bytes.fromhex("00 00 00 06 FF 03 00 02 00 01"), bytes.fromhex("00 00 00 05 FF 03 02 7F FF"))]
    )
    with pytest.raises(NotSupported):
        await huber.read(0x02)
    await huber.close()
    await peer.stop()


async def test_no_response_read_retried_then_timeout() -> None:
    read = bytes.fromhex("00 00 00 06 FF 03 00 00 00 01")
    peer, huber = await _client([(read, None), (read, None)], timeout_s=0.2, retries=1)
    with pytest.raises(DeviceTimeout):
        await huber.get_setpoint()
    await huber.close()
    await peer.stop()
    assert len(peer.requests) == 2
    assert not peer.failures, peer.failures


async def test_identity_reads_serial_registers_byte_exact() -> None:
    peer, huber = await _client(
        [
            (bytes.fromhex("00 00 00 06 FF 03 00 1B 00 01"), bytes.fromhex("00 00 00 05 FF 03 02 E2 40")),
            (bytes.fromhex("00 00 00 06 FF 03 00 1C 00 01"), bytes.fromhex("00 00 00 05 FF 03 02 00 01")),
        ]
    )
    assert await huber.identity() == InstrumentIdentity(serial="123456")
    await huber.close()
    await peer.stop()
    assert not peer.failures, peer.failures


async def test_identity_illegal_address_means_no_serial() -> None:
    peer, huber = await _client(
        [(bytes.fromhex("00 00 00 06 FF 03 00 1B 00 01"), bytes.fromhex("00 00 00 03 FF 83 02"))]
    )
    assert await huber.identity() == InstrumentIdentity()
    await huber.close()
    await peer.stop()
    assert not peer.failures, peer.failures
