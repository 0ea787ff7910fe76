"""One recovery policy for every driver: what a failed request becomes, whatever the instrument.

A request that may act twice if it arrives twice (a dose start, "write 1 to clear an error", tare) must never
be sent again blind; any other request may be.  So every driver states per request whether it is safe to repeat
and leaves the rest to `recovering()`:

- **Link known down before sending** → reopened first: nothing was sent on the dead stream, so this is safe
  for every request.
- **Link dropped during the request** → reopened once; a repeatable request is then sent again, any other
  raises DeviceDisconnected (its outcome is unknown, and the next call finds the link open).  A second drop
  after the reopen raises.
- **Timeout or garbled reply** (DeviceTimeout, ProtocolError) → a repeatable request is sent again, `retries`
  times at most; any other raises at once.  The reopen above does not use up a try.
- **A refusal** (DeviceReplyError) is the instrument's answer and raises, unless the driver's `resend` says
  that reply means the instrument never understood the request (MT-SICS `ET`: transmission error).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from devices.errors import DeviceDisconnected, DeviceReplyError, DeviceTimeout, ProtocolError

T = TypeVar("T")


class Link(Protocol):
    """A connection a driver can test and reopen: a serial/socket Port, or a Modbus TCP client."""

    @property
    def is_open(self) -> bool: ...

    async def reopen(self) -> None: ...


def never(_: DeviceReplyError) -> bool:
    """No refusal is a reason to resend: what most instruments answer is their answer."""
    return False


async def recovering(
    attempt: Callable[[], Awaitable[T]],
    link: Link,
    *,
    retries: int,
    repeatable: bool,
    resend: Callable[[DeviceReplyError], bool] = never,
) -> T:
    """Run one request (`attempt` sends it and reads its reply) under the policy in the module docstring."""
    reopened = False
    tries = 0
    while True:
        tries += 1
        try:
            if not link.is_open and not reopened:
                reopened = True
                await link.reopen()
            return await attempt()
        except DeviceDisconnected:
            if reopened:
                raise
            reopened = True
            await link.reopen()
            if not repeatable:
                raise
            tries -= 1
        except (DeviceTimeout, ProtocolError):
            if not repeatable or tries > retries:
                raise
        except DeviceReplyError as exc:
            if not repeatable or tries > retries or not resend(exc):
                raise
