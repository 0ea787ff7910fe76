"""Mettler-Toledo MT-SICS balance and Quantos powder doser sharing one port.

Late replies: MT-SICS answers in order and echoes the command ID (`S`, `I4`, `QRD 1 1 5`, `QRA 61 1`), but has
no sequence number, and a poll repeats its requests: a `S S  12.34 g` that comes after its `S` timed out would
be taken as the answer to the next `S`.  Replies are matched to their request through the port's ledger
(`devices.transport.Exchange.ask`), keyed by the echoed ID; the general errors `ES`/`ET`/`EL` carry no ID and
are matched by order alone (`Matching.common`).  Before a request whose ID (or a general error) an earlier,
unanswered request could still take, a fence goes out first: `I2` or `I4`, harmless reads; a late reply is then
matched to its own request and dropped, never returned for a later one.  `Reading.at` (and `DoseResult.at`) is
when the request was sent.  A `QRD 2 4 x` read's `B` line, XML lines and closing `A` are one frame; the later
lines of any other `B` reply (a move's or the dose's `A` / `I <code>`) are awaited through the ledger too
(`Exchange.expect`), so a late dose outcome is matched to its own dose: a `QRA` reply's `B` and its end have
different keys, and an end comes when the dose is done, not in order with other replies (no fence is sent for
it; the next start's `B` settles it).  A start answered at once with an end (`A`, `I <code>`) while an earlier
dose's end is still owed is OutcomeUnknown: its refusal (`I 2`) and that dose's `A` cannot be told apart.  A complete reply line nothing awaits
(the power-on `I4 A "…"`, the `QRA 61 4 A` of a stop sent during a dose, the late reply of a request given up
on) is kept in `stray`, never taken as an answer.  The dose start is the one command this module will never
repeat: see `dose()`; if a fence before it goes unanswered, it is not sent and a plain DeviceTimeout is raised.

Wire-fault policy (per call, see the `retry` flags below):
- **Link dropped** → the port is reopened once (a fresh stream; the unprompted `I4 A "…"` the balance sends to a
  new connection is kept as a stray line) and the request is resent only if it is safe to repeat: weight
  reads (`S`, `SI`), Quantos settings (`QRD 1 1 x` write absolute values), reads (`QRD 2 …`) and the dose stop.
  Tare, zero and door/pin moves reopen the port but raise: the caller decides.  The dose start `QRA 61 1` is
  never resent: a failure after it is OutcomeUnknown, and `last_dose_result()` (which reopens a dropped port)
  tells what was dosed.
- **Timeout / slow reply** → DeviceTimeout, retried `retries` times for the safe requests above.  A reply slower
  than usual but within the timeout is the answer.
- **Garbled or short reply**: MT-SICS has no checksum and 8N1 no parity, so only shape is checked.  A line with
  any non-printable character (every bit-6 flip of a letter), a weight that is not `<S|D> <number> <g|mg|kg>`,
  a setting acknowledged with anything but `A`, an unknown door state, an XML value that is not a plain number
  → ProtocolError (retried where safe), as is a `QRD` block that lost its closing line.  A line whose echoed ID
  does not match (a flipped ID or command digit) is not our answer: it is kept in `stray`, and the driver keeps
  waiting and times out (retried where safe, after a fence); a lost CR/LF likewise.  NOT
  detectable: a digit turned into another digit (`30.00` → `31.00`, a bit-0 flip); a bit-6 flip of a digit
  gives a letter and is always caught.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from devices.errors import (
    DeviceDisconnected,
    DeviceReplyError,
    DeviceTimeout,
    DoseStartWithheld,
    DosingFailed,
    NotSupported,
    OutcomeUnknown,
    ProtocolError,
)
from devices.reading import DEFAULT_CLOCK, Clock, Reading
from devices.recovery import recovering
from devices.roles import DoorState, DoseEnd, DoseResult, InstrumentIdentity, ToleranceMode
from devices.transport import Exchange, LineSettings, Matching, Port

SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
EOL = b"\r\n"
T = TypeVar("T")

_STATUS_ERRORS = {
    "I": "not executable now (busy, or no stability in time)",
    "L": "logical error (bad parameter)",
    "+": "overload",
    "-": "underload",
}
_GENERAL_ERRORS = {"ES": "syntax error (unknown command)", "ET": "transmission error", "EL": "logical error"}
_TO_GRAMS = {"g": 1.0, "mg": 1e-3, "kg": 1e3}
_NUMBER = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?")
_TYPE_AND_CAPACITY = re.compile(r"(.*?)\s+[0-9]+(?:\.[0-9]+)?\s+(?:g|mg|kg)")
_TOLERANCE_MODES = {ToleranceMode.SYMMETRIC: 0, ToleranceMode.OVERDOSE_ONLY: 1}
"""`QRD 1 1 7` values."""
_DOOR_STATES = {2: DoorState.CLOSED, 3: DoorState.OPEN, 8: DoorState.UNKNOWN, 9: DoorState.MOVING}
"""`QRD 2 3 7` values; 8 is the Quantos' "not detected"."""
_STOPPED = 8
"""Quantos `I 8`: stopped by external action (our `QRA 61 4`)."""
_FAILED_DOSE = re.compile(r"I ([0-9]+)")
"""A dose record's outcome other than `complete`: the `I <code>` its end was answered with."""


def _dose_end(code: int, *, started: bool) -> DoseEnd:
    """What an `I <code>` end of a dose means: a start answered at once with it (no `B`) was refused, except
    `I 8`, our own stop, which may reach the Quantos before the start does: a stop either way, not a fault."""
    if code == _STOPPED:
        return DoseEnd.STOPPED
    return DoseEnd.FAILED if started else DoseEnd.NOT_STARTED


def _recorded_end(stated: str) -> tuple[DoseEnd, int | None]:
    """The outcome of a `QRD 2 4 12` record (`complete`, `I 7`) and its error number; an outcome this driver
    does not know is UNKNOWN, never taken as completed."""
    if stated == "complete":
        return DoseEnd.COMPLETED, None
    m = _FAILED_DOSE.fullmatch(stated)
    if m is None:
        return DoseEnd.UNKNOWN, None
    code = int(m[1])
    return _dose_end(code, started=True), code


@dataclass(frozen=True, slots=True)
class Reply:
    line: str
    fields: list[str]
    """Tokens after the echoed ID / command prefix; the status is fields[0] (or the last one for QRD reads)."""
    at: float = 0.0
    """`clock()` when its request was sent."""


def _transmission_error(exc: DeviceReplyError) -> bool:
    """`ET`: the balance saw a garbled command, so it did nothing; any other refusal is a real answer."""
    return exc.code == "ET"


def _identity(reply: Reply) -> Reply:
    return reply


_ID_TOKEN = re.compile(r"[A-Z][A-Z0-9]{0,4}")
_ID_LENGTH = {"QRD": 4, "QRA": 3}
"""Tokens in a Quantos reply's echoed ID (`QRD 2 4 12`, `QRA 61 1`); every other ID is one token (`S`, `I4`)."""
_FENCES = (("I2", b"I2" + EOL), ("I4", b"I4" + EOL))
"""Fence reads: type and serial number change nothing (also during a dose) and no other request shares their
IDs (`I4` is also the power-on line: matched to an `I4` fence it settles what was before, which a restarted
balance will never answer)."""


def _line_id(line: bytes | bytearray) -> str | None:
    """The echoed ID of a printable reply line (a general error is its own ID), or None."""
    text = line.decode("latin-1")
    if not all(" " <= c <= "~" for c in text):
        return None
    tokens = text.split()
    if len(tokens) == 1:
        return tokens[0] if tokens[0] in _GENERAL_ERRORS else None
    if not tokens or _ID_TOKEN.fullmatch(tokens[0]) is None:
        return None
    n = _ID_LENGTH.get(tokens[0], 1)
    if len(tokens) <= n:
        return None
    if tokens[0] == "QRA" and tokens[n] != "B":
        return " ".join(tokens[:n]) + END  # a move's or dose's end, which may come long after its `B`
    return " ".join(tokens[:n])


END = " end"
"""Suffix of the key of a `QRA` reply's closing line (`A`, `I <code>`): its `B` and its end are told apart, so a
late end of an earlier dose is never taken as the answer to a later start."""


def _accepts(echo: list[str]) -> tuple[str, ...]:
    """The keys a request's first reply may have."""
    key = " ".join(echo)
    return (key, key + END) if echo[0] == "QRA" else (key,)


def _lines(data: bytes | bytearray) -> list[bytes]:
    """The complete lines in `data`, each with its CRLF."""
    out: list[bytes] = []
    start = 0
    while (i := data.find(EOL, start)) >= 0:
        out.append(bytes(data[start : i + 2]))
        start = i + 2
    return out


def frame_end(data: bytearray) -> int:
    """A reply frame is one line, except a `QRD … B` read's block: the `B` line, the XML lines that follow it
    (they carry no ID) and the line that closes it (`QRD … A`); a reply line of another ID ends the block
    before it (its closing line was lost), so a broken block never holds up the replies after it."""
    first = data.find(EOL)
    if first < 0:
        return -1
    head = _line_id(data[:first])
    tokens = data[:first].split()
    if head is None or not head.startswith("QRD") or len(tokens) <= 4 or tokens[4] != b"B":
        return first + 2
    end = first + 2
    for line in _lines(data[end:]):
        key = _line_id(line[:-2])
        if key is not None and key != head:
            return end  # the closing line was lost
        end += len(line)
        if key == head and line.split()[4:5] != [b"B"]:
            return end
    return -1


def reply_key(frame: bytes) -> str | None:
    """`Matching.key`: the echoed ID of a frame's first line."""
    return _line_id(frame[: frame.find(EOL)] if EOL in frame else frame)


class SicsPort:
    """MT-SICS framing and reply matching on one Port; shared by the balance and the doser."""

    def __init__(
        self, port: Port, *, timeout_s: float = 5.0, retries: int = 1, clock: Clock = DEFAULT_CLOCK
    ) -> None:
        self.port = port
        self.name = port.name
        self.timeout_s = timeout_s
        self.retries = retries
        self.clock = clock
        self.stray: deque[str] = deque(maxlen=32)
        self.matching: Matching[str] = Matching(
            end=frame_end,
            key=reply_key,
            fences=_FENCES,
            common=frozenset(_GENERAL_ERRORS),
            aside=self._aside,
            unawaited=self._unawaited,
        )

    def _aside(self, frame: bytes) -> bool:
        """An XML line outside its block (its `B` line was lost or garbled) answers nothing."""
        if frame.startswith(b"<"):
            self.stray.append(frame.decode("latin-1").rstrip("\r\n"))
            return True
        return False

    def _unawaited(self, frame: bytes) -> None:
        """A reply line nothing awaits: the power-on `I4 A "…"`, the `QRA 61 4 A` of a stop sent during a
        dose, or the late reply of a request given up on."""
        self.stray.extend(line.decode("latin-1")[:-2] for line in _lines(frame) or [frame + EOL])

    def line(self, frame: bytes, request: bytes) -> str:
        """A one-line frame without CRLF; ProtocolError if it holds anything but printable ASCII."""
        line = frame[:-2].decode("latin-1") if frame.endswith(EOL) else frame.decode("latin-1")
        if not frame.endswith(EOL) or not all(" " <= c <= "~" for c in line):
            raise ProtocolError(self.name, frame, "non-printable character (line noise)")
        return line

    def reply(self, frame: bytes, echo: list[str], request: bytes, at: float = 0.0) -> Reply:
        """The reply in a one-line frame matched to `request` (general errors raised)."""
        line = self.line(frame, request)
        tokens = line.split()
        if len(tokens) == 1 and tokens[0] in _GENERAL_ERRORS:
            cls = NotSupported if tokens[0] == "ES" else DeviceReplyError
            raise cls(self.name, tokens[0], line, _GENERAL_ERRORS[tokens[0]])
        if tokens[: len(echo)] != echo or len(tokens) <= len(echo):
            raise ProtocolError(self.name, line, f"not a reply to {request!r}")
        return Reply(line, tokens[len(echo) :], at)

    async def ask(
        self, x: Exchange, echo: list[str], request: bytes, timeout_s: float, clock: Clock | None = None
    ) -> tuple[bytes, float]:
        """Send `request` and return its own reply frame (never a late one of an earlier request) and when it
        was sent."""
        return await x.ask_any(request, _accepts(echo), self.matching, timeout_s, clock or self.clock)

    def acknowledged(self, reply: Reply) -> Reply:
        """For commands whose only good answer is `<echo> A`."""
        if reply.fields != ["A"]:
            raise ProtocolError(self.name, reply.line, "expected 'A'")
        return reply

    def check(self, reply: Reply) -> Reply:
        status = reply.fields[0]
        if status in _STATUS_ERRORS:
            raise DeviceReplyError(self.name, status, reply.line, _STATUS_ERRORS[status])
        return reply

    async def guarded(self, attempt: Callable[[], Awaitable[T]], *, retry: bool) -> T:
        """Run one request under `devices.recovery` (module docstring); `retry` = safe to resend."""
        return await recovering(
            attempt, self.port, retries=self.retries, repeatable=retry, resend=_transmission_error
        )

    def _quoted(self, reply: Reply) -> str | None:
        """The text of an `<ID> A "<text>"` identification reply; None for an empty one."""
        m = re.fullmatch(r'\S+ A "([^"]*)"', reply.line)
        if m is None:
            raise ProtocolError(self.name, reply.line, "expected 'A \"<text>\"'")
        return m[1].strip() or None

    async def _ask_text(self, cmd: str) -> str | None:
        try:
            return await self.call(cmd, parse=self._quoted, retry=True)
        except NotSupported:  # `ES`: this balance has no such query
            return None

    async def identity(self) -> InstrumentIdentity:
        """`I2` (type and capacity) and `I4` (serial number), the identification the spec gives; firmware stays
        None (MT-SICS `I3` would tell, but it is outside the spec the driver and simulator are both read from).

        The capacity is dropped from `I2`'s text so `model` is the type designation alone (`XPE205`), the way a
        rig file names the balance; a text that does not end in a capacity is kept whole.
        """
        text = await self._ask_text("I2")
        model = text
        if text is not None and (m := _TYPE_AND_CAPACITY.fullmatch(text)) is not None and m[1]:
            model = m[1]
        return InstrumentIdentity(model=model, serial=await self._ask_text("I4"))

    async def call(
        self,
        cmd: str,
        prefix: str | None = None,
        *,
        parse: Callable[[Reply], T],
        retry: bool,
        timeout_s: float | None = None,
        clock: Clock | None = None,
    ) -> T:
        """One request, one reply line (errors raised), parsed inside the retry loop."""
        request = cmd.encode("ascii") + EOL
        echo = (prefix or cmd.split(maxsplit=1)[0]).split()

        async def attempt() -> T:
            async with self.port.exchange() as x:
                frame, at = await self.ask(x, echo, request, timeout_s or self.timeout_s, clock)
            return parse(self.check(self.reply(frame, echo, request, at)))

        return await self.guarded(attempt, retry=retry)

    async def command(
        self, cmd: str, prefix: str | None = None, *, timeout_s: float | None = None, retry: bool = False
    ) -> Reply:
        return await self.call(cmd, prefix, parse=_identity, retry=retry, timeout_s=timeout_s)

    async def conversation(
        self, cmd: str, prefix: str | None = None, *, timeout_s: float | None = None, retry: bool = False
    ) -> list[str]:
        """`B`, payload lines, then `A`; returns the payload lines (for the QRD 2 4 x XML blocks and QRA moves)."""

        async def attempt() -> list[str]:
            async with self.port.exchange() as x:
                return (await self._conversation(x, cmd, prefix, timeout_s))[0]

        return await self.guarded(attempt, retry=retry)

    async def _conversation(
        self, x: Exchange, cmd: str, prefix: str | None, timeout_s: float | None, clock: Clock | None = None
    ) -> tuple[list[str], float]:
        """The payload lines of a `B` … `A` reply and when `cmd` was sent.  A `QRD` read's block comes as one
        frame (`frame_end`); the lines of any other (a move's `A` when it is done) are awaited one by one
        through the ledger (`Exchange.expect`), so a late one is never taken for a later request's."""
        request = cmd.encode("ascii") + EOL
        echo = (prefix or cmd).split()
        key = " ".join(echo)
        timeout = timeout_s or self.timeout_s
        frame, at = await self.ask(x, echo, request, self.timeout_s, clock)
        lines = _lines(frame) if frame.endswith(EOL) else [frame]
        first = self.check(self.reply(lines[0], echo, request, at))
        if first.fields[0] == "A" and len(first.fields) == 1:
            return [], at
        if first.fields[0] != "B":
            raise ProtocolError(self.name, first.line, "expected B or A")
        payload = [" ".join(first.fields[1:])] if len(first.fields) > 1 else []
        block = len(lines) > 1 or key.startswith("QRD")
        rest = iter(lines[1:])
        while True:
            if block:
                raw = next(rest, None)
                if raw is None:
                    raise ProtocolError(self.name, frame, f"{key} block without its closing line")
            else:
                ends = (key + END,) if echo[0] == "QRA" else (key,)
                raw = await x.expect(ends, self.matching, timeout, request)
            line = self.line(raw, request)
            tokens = line.split()
            if tokens[: len(echo)] == echo and len(tokens) > len(echo):
                fields = tokens[len(echo) :]
                if fields == ["A"]:
                    return payload, at
                if fields[0] == "B":
                    payload.append(line.split(None, len(echo) + 1)[-1] if len(fields) > 1 else "")
                    continue
                self.check(Reply(line, fields))
            payload.append(line)


def _grams(name: str, line: str, value: str, unit: str) -> float:
    if _NUMBER.fullmatch(value) is None or unit not in _TO_GRAMS:
        raise ProtocolError(name, line, f"weight {value!r} {unit!r}")
    return float(value) * _TO_GRAMS[unit]


class MettlerBalance:
    """Balance role on an MT-SICS port."""

    def __init__(
        self, sics: SicsPort, *, clock: Clock = DEFAULT_CLOCK, stable_timeout_s: float = 30.0
    ) -> None:
        self._sics = sics
        self.name = sics.name
        self._clock = clock
        self.stable_timeout_s = stable_timeout_s

    def _weight(self, reply: Reply) -> Reading[float]:
        f = reply.fields
        if len(f) != 3 or f[0] not in ("S", "D"):
            raise ProtocolError(self.name, reply.line, "expected '<S|D> <value> <unit>'")
        return Reading(_grams(self.name, reply.line, f[1], f[2]), reply.at, stable=f[0] == "S")

    async def stable_weight(self) -> Reading[float]:
        """`S`: the balance waits for stability itself; `S I` (no stability in time) raises DeviceReplyError.

        A read: retried after a timeout or garbled reply, and resent once after reopening a dropped link."""
        return await self._sics.call(
            "S", parse=self._weight, retry=True, timeout_s=self.stable_timeout_s, clock=self._clock
        )

    async def immediate_weight(self) -> Reading[float]:
        """`SI`; retried and resent after a reopen like `stable_weight()`."""
        return await self._sics.call("SI", "S", parse=self._weight, retry=True, clock=self._clock)

    async def tare(self) -> Reading[float]:
        """Returns the tare now stored, in g.  Not resent: a lost reply leaves the caller to read the weight."""
        return await self._sics.call(
            "T", parse=self._weight, retry=False, timeout_s=self.stable_timeout_s, clock=self._clock
        )

    async def zero(self) -> None:
        """Not resent on a fault (like `tare()`); a dropped link is reopened for the next call."""
        reply = await self._sics.command("Z", timeout_s=self.stable_timeout_s)
        if reply.fields != ["A"]:
            raise ProtocolError(self.name, reply.line, "expected 'Z A'")

    async def identity(self) -> InstrumentIdentity:
        return await self._sics.identity()

    async def close(self) -> None:
        await self._sics.port.close()


_XML_VALUE = r'<{tag}\s+Unit="(\w+)"\s*>\s*([^<\s]+)\s*</{tag}>'


class QuantosDoser:
    """Doser role for a Quantos head on the same MT-SICS port as its balance."""

    def __init__(
        self,
        sics: SicsPort,
        *,
        clock: Clock = DEFAULT_CLOCK,
        dose_timeout_s: float = 300.0,
        move_timeout_s: float = 30.0,
    ) -> None:
        if not 120.0 <= dose_timeout_s <= 900.0:
            raise ValueError("dose timeout should be 120–900 s: a 5 g dose can take two minutes")
        self._sics = sics
        self.name = sics.name
        self._clock = clock
        self.dose_timeout_s = dose_timeout_s
        self.move_timeout_s = move_timeout_s
        self._dosing = False
        self._stop_asked = False
        """A stop() during the current dose() call: checked just before the start goes out."""
        self.outcome_unknown = False
        """True from the moment a start is sent until its outcome (A / I / a read result) is known."""

    async def set_target(self, grams: float) -> None:
        mg = round(grams * 1000)
        if mg <= 0:
            raise ValueError(f"target {grams} g rounds to {mg} mg")
        await self._sics.call(f"QRD 1 1 5 {mg}", "QRD 1 1 5", parse=self._sics.acknowledged, retry=True)

    async def set_tolerance(self, percent: float, mode: ToleranceMode = ToleranceMode.SYMMETRIC) -> None:
        if not 0.1 <= percent <= 40:
            raise ValueError("Quantos tolerance is 0.1–40 %")
        ack = self._sics.acknowledged
        await self._sics.call(f"QRD 1 1 6 {percent:g}", "QRD 1 1 6", parse=ack, retry=True)
        await self._sics.call(f"QRD 1 1 7 {_TOLERANCE_MODES[mode]}", "QRD 1 1 7", parse=ack, retry=True)

    async def dose(self, timeout_s: float | None = None) -> None:
        """Start one dose and wait for its end.

        From the moment `QRA 61 1` is on the wire the powder may flow, so every failure to hear the outcome
        (timeout, link loss, garbage, cancellation) leaves `outcome_unknown` set and raises OutcomeUnknown;
        the start is never resent, and a further dose() is refused until last_dose_result() has been read.
        Before it, while an earlier request is still owed an answer, a fence read goes out (module docstring);
        a fence unanswered is a plain DeviceTimeout: the start was not sent and `outcome_unknown` stays clear.
        A stop() during this call that comes before the start is on the wire (while the fences or the port lock
        are awaited) withholds the start: DoseStartWithheld, nothing dosed, `outcome_unknown` clear.  A stop
        before this call began is not seen: a per-call flag, so an old stop never blocks a later dose.
        The dose's outcome line is awaited through the ledger, so a late outcome of an earlier dose is never
        taken as this one's.
        """
        if self.outcome_unknown:
            raise OutcomeUnknown(self.name, "previous dose outcome unknown: read last_dose_result() first")
        self._stop_asked = False
        sics = self._sics
        request = b"QRA 61 1" + EOL
        prefix = ["QRA", "61", "1"]
        accepts = _accepts(prefix)
        if not sics.port.is_open:
            await sics.port.reopen()  # nothing sent yet: safe
        async with sics.port.exchange() as x:
            self._dosing = True
            try:
                # Fences first, while nothing has been started: unanswered, they raise a plain DeviceTimeout
                # and the start is not sent.
                await x.clear_for(accepts, sics.matching, sics.timeout_s, request)
                # An earlier dose's end never heard: its `A` / `I <code>` may still come, and cannot be told
                # from this start's immediate `I <code>` (a refusal); only a `B` is surely this start's.
                earlier_end = x.awaiting(accepts[1])
                if self._stop_asked:  # no await from here to the write below: a stop cannot slip in between
                    raise DoseStartWithheld(self.name, "stop asked for before the dose start went out")
                self.outcome_unknown = True
                try:
                    frame, _ = await x.ask_any(request, accepts, sics.matching, sics.timeout_s, self._clock)
                    first = sics.reply(frame, prefix, request)
                    if first.fields[0] != "B" and earlier_end:
                        raise OutcomeUnknown(
                            self.name,
                            f"dose start answered {first.line!r} while an earlier dose's end was owed",
                        )
                    final = first
                    if first.fields[0] == "B":
                        timeout = timeout_s or self.dose_timeout_s
                        frame = await x.expect((accepts[1],), sics.matching, timeout, request)
                        final = sics.reply(frame, prefix, request)
                except (DeviceTimeout, DeviceDisconnected, ProtocolError, DeviceReplyError) as exc:
                    raise OutcomeUnknown(self.name, f"dose start sent, then {exc.message}") from exc
            finally:
                self._dosing = False
        status = final.fields
        if status == ["A"]:
            self.outcome_unknown = False
            return
        if status[0] == "I" and len(status) == 2 and status[1].isdigit():
            self.outcome_unknown = False
            code = int(status[1])
            raise DosingFailed(self.name, code, final.line, _dose_end(code, started=first.fields[0] == "B"))
        raise OutcomeUnknown(self.name, f"unexpected dose reply {final.line!r}")

    async def stop(self) -> None:
        """During a dose the stop goes out past the port lock (MT-SICS allows it); the dose then ends `I 8`.  A
        dose() not yet started when the stop comes never sends its start (`dose()`)."""
        self._stop_asked = True
        if self._dosing:
            self._sics.port.send_unlocked(b"QRA 61 4" + EOL)
        else:
            await self._sics.call("QRA 61 4", "QRA 61 4", parse=self._sics.acknowledged, retry=True)

    async def _xml_grams(self, cmd: str, tag: str) -> Reading[float]:
        """A read of the doser's record, stamped when it was asked: retried, and resent after reopening a
        dropped link."""

        async def attempt() -> Reading[float]:
            async with self._sics.port.exchange() as x:
                payload, at = await self._sics._conversation(x, cmd, None, None, self._clock)
            text = "\n".join(payload)
            m = re.search(_XML_VALUE.format(tag=re.escape(tag)), text)
            if m is None:
                raise ProtocolError(self.name, text, f"no <{tag} Unit=…> value")
            return Reading(_grams(self.name, text, m[2], m[1]), at)

        return await self._sics.guarded(attempt, retry=True)

    async def set_sample_id(self, sample_id: str) -> None:
        """`QRD 1 1 8`: the id the next dose's result carries, so a restarted controller can tell its own dose
        from an earlier one."""
        if not 0 < len(sample_id) <= 20 or not sample_id.isprintable() or " " in sample_id:
            raise ValueError("sample id: 1–20 printable characters without spaces")
        await self._sics.call(
            f"QRD 1 1 8 {sample_id}", "QRD 1 1 8", parse=self._sics.acknowledged, retry=True
        )

    async def last_dose_result(self) -> Reading[float]:
        """Dosed mass of the last dose in g, from the doser's own record (also after a lost link)."""
        result = await self.last_dose()
        return Reading(result.grams, result.at)

    async def last_dose(self) -> DoseResult:
        """The doser's record of its last dose: sample id, mass, and its outcome as the doser states it; a record
        that states none is UNKNOWN, never a clean dose (it may be the only evidence of a portion)."""

        async def attempt() -> DoseResult:
            async with self._sics.port.exchange() as x:
                payload, at = await self._sics._conversation(x, "QRD 2 4 12", None, None, self._clock)
            text = "\n".join(payload)
            m = re.search(_XML_VALUE.format(tag="Content"), text)
            if m is None:
                raise ProtocolError(self.name, text, "no <Content Unit=…> value")
            sample = re.search(r"<Sample_ID>\s*([^<]*?)\s*</Sample_ID>", text)
            outcome = re.search(r"<Outcome>\s*([^<]*?)\s*</Outcome>", text)
            end, code = _recorded_end(outcome[1]) if outcome else (DoseEnd.UNKNOWN, None)
            return DoseResult(
                sample[1] if sample else None,
                _grams(self.name, text, m[2], m[1]),
                end,
                at,
                code,
                outcome[1] if outcome else None,
            )

        result = await self._sics.guarded(attempt, retry=True)
        self.outcome_unknown = False
        return result

    async def remaining_quantity(self) -> Reading[float]:
        return await self._xml_grams("QRD 2 4 11", "Rem._quantity")

    async def door_state(self) -> DoorState:
        return await self._sics.call("QRD 2 3 7", "QRD 2 3 7", parse=self._door, retry=True)

    def _door(self, reply: Reply) -> DoorState:
        if reply.fields[-1] != "A" or len(reply.fields) != 2 or not reply.fields[0].isdigit():
            raise ProtocolError(self.name, reply.line, "expected '<state> A'")
        state = _DOOR_STATES.get(int(reply.fields[0]))
        if state is None:
            raise ProtocolError(self.name, reply.line, "unknown door state")
        return state

    async def set_door(self, open_: bool) -> None:
        await self._sics.conversation(
            f"QRA 60 7 {3 if open_ else 2}", "QRA 60 7", timeout_s=self.move_timeout_s
        )

    async def lock_head(self, locked: bool) -> None:
        await self._sics.conversation(
            f"QRA 60 2 {4 if locked else 3}", "QRA 60 2", timeout_s=self.move_timeout_s
        )

    async def identity(self) -> InstrumentIdentity:
        """The balance's identity: the Quantos head and its balance are one instrument on one port."""
        return await self._sics.identity()

    async def close(self) -> None:
        await self._sics.port.close()


async def open_quantos(
    url: str,
    *,
    name: str = "quantos",
    clock: Clock = DEFAULT_CLOCK,
    dose_timeout_s: float = 300.0,
    timeout_s: float = 5.0,
) -> tuple[MettlerBalance, QuantosDoser]:
    """Open the port once and hand out both roles; drops whatever the balance sent before we asked."""
    port = await Port.open(url, name=name, settings=SETTINGS)
    async with port.exchange() as x:
        x.flush_input()  # an `I4 A "…"` still on its way is kept later as a stray line
    sics = SicsPort(port, timeout_s=timeout_s, clock=clock)
    return (
        MettlerBalance(sics, clock=clock),
        QuantosDoser(sics, clock=clock, dose_timeout_s=dose_timeout_s),
    )
