"""Wire-side fault injection, shared in shape by both front ends.

The unit's own faults (compressor, circulation, power) come from the plant; these are the faults of the cable,
the terminal server or a hung controller board, which a driver must survive without the unit's help.
A test flips the fields while a server runs; the next reply obeys them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Mangler = Callable[[bytes], bytes]


@dataclass
class WireFaults:
    extra_delay_s: float = 0.0
    """Added to every reply delay (slow replies), in wall seconds: the wire is real even when the clock is not."""
    silent: bool = False
    """The unit hangs: commands are swallowed unprocessed and nothing is answered."""
    mangle: Mangler | None = None
    """Rewrites each outgoing reply (garble or drop bytes); the command itself was processed."""

    def outgoing(self, reply: bytes) -> bytes:
        return self.mangle(reply) if self.mangle is not None else reply


def garble(index: int, xor: int = 0x01) -> Mangler:
    """Flip bits of one byte, as line noise would (the reply keeps its length, so only a check catches it)."""

    def mangle(reply: bytes) -> bytes:
        if not 0 <= index < len(reply):
            return reply
        return reply[:index] + bytes([reply[index] ^ xor]) + reply[index + 1 :]

    return mangle


def drop_bytes(start: int, count: int = 1) -> Mangler:
    """Lose ``count`` bytes from ``start`` on: a short reply the host must time out on."""

    def mangle(reply: bytes) -> bytes:
        return reply[:start] + reply[start + count :]

    return mangle
