"""Typed failures of instrument drivers.

Every error names the device so an operator message can say *which* instrument misbehaved.  The split between
classes follows what the caller can do next: retry (DeviceTimeout on a read), give up on a feature
(NotSupported), treat as "no reading" (SensorMissing), or stop and ask a human (OutcomeUnknown).
"""

from __future__ import annotations

from devices.roles import DoseEnd


class DeviceError(Exception):
    """Base of everything a driver raises about its instrument."""

    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.message = message


class DeviceTimeout(DeviceError):
    """No complete reply within the allowed time (for Huber PB also: the unit silently dropped a bad frame)."""

    def __init__(self, device: str, request: bytes, timeout_s: float) -> None:
        super().__init__(device, f"no reply to {request!r} within {timeout_s:g} s")
        self.request = request
        self.timeout_s = timeout_s


class DeviceDisconnected(DeviceError):
    """The byte stream closed (cable pulled, socket reset); nothing more can be read from this port."""


class ProtocolError(DeviceError):
    """A reply arrived but does not parse: a driver/firmware mismatch or line noise, never a value."""

    def __init__(self, device: str, reply: bytes | str, why: str) -> None:
        super().__init__(device, f"unparseable reply {reply!r}: {why}")
        self.reply = reply


class DeviceReplyError(DeviceError):
    """The instrument understood the request and refused it; `code` is the instrument's own code."""

    def __init__(self, device: str, code: str, reply: bytes | str, meaning: str = "") -> None:
        text = f"refused with {code}" + (f" ({meaning})" if meaning else "") + f": {reply!r}"
        super().__init__(device, text)
        self.code = code
        self.reply = reply
        self.meaning = meaning


class NotSupported(DeviceReplyError):
    """The unit does not offer this variable/command (Huber `7FFF`, Modbus exception 01/02, MT-SICS `ES`)."""


class SensorMissing(DeviceError):
    """Huber `C504`: the sensor is absent or broken, so there is no temperature (not −151 °C)."""

    def __init__(self, device: str, address: int) -> None:
        super().__init__(device, f"sensor at address {address:02X} missing or faulty (C504)")
        self.address = address


QUANTOS_ERRORS: dict[int, str] = {
    1: "dosing head not mounted",
    2: "another job is running",
    3: "timeout",
    4: "not selected",
    5: "not allowed now (e.g. door open)",
    6: "weight not stable",
    7: "powder-flow error (bridging, empty head)",
    8: "stopped by external action",
    9: "safe-position error",
    10: "dosing head not allowed",
    11: "dosing head dose limit reached",
    12: "dosing head expired",
    13: "sampler blocked",
}


class DosingFailed(DeviceReplyError):
    """The Quantos reported `I <code>` for a dose: the outcome is known (`outcome`: stopped, failed or not
    started), only the amount needs reading.  `error_code` is the doser's own number, for the record."""

    def __init__(self, device: str, code: int, reply: bytes | str, outcome: DoseEnd) -> None:
        super().__init__(device, str(code), reply, QUANTOS_ERRORS.get(code, "unknown Quantos error"))
        self.error_code = code
        self.outcome = outcome


class DoseStartWithheld(DeviceError):
    """A stop came while a dose start waited to go out, so the start was never sent: nothing was dosed (a stop
    with 0 g, `outcome` STOPPED).  Unlike OutcomeUnknown the outcome is certain."""

    outcome = DoseEnd.STOPPED
    dispensed_g = 0.0


class OutcomeUnknown(DeviceError):
    """The link failed after a dose start was sent: something may have been dosed.

    Never resend the start; read the last dose result (or a stable weight) and record what really happened.
    """


class StartRefused(DeviceReplyError):
    """Reglo `-` on start; `reason`/`limit` come from the pump's `xe` answer (e.g. `R 1386E-1`)."""

    def __init__(self, device: str, reason: str, limit: float | None, reply: bytes | str) -> None:
        meaning = REGLO_REASONS.get(reason, "cannot run")
        if limit is not None:
            meaning += f", limit {limit:g}"
        super().__init__(device, reason, reply, meaning)
        self.reason = reason
        self.limit = limit
        self.detail = str(reply)


REGLO_REASONS: dict[str, str] = {"R": "flow rate exceeds the maximum for this tubing"}
