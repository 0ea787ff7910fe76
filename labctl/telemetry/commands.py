"""Commands from MQTT: checked here, applied by the engine in its own cycle, answered on a reply topic.

A command that cannot be understood (unknown verb, not JSON, wrong fields, another rig, a retained message)
is answered at once and never reaches the engine. A well-formed one waits for the engine's next cycle, where
the control API decides (and journals who sent it, when, and whether it was accepted).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from labctl.engine.control import CommandResult, Verb
from labctl.telemetry.payloads import decode_object

MAX_PAYLOAD_BYTES = 4096
MAX_WAITING = 32
"""Commands waiting for the engine's next cycle; a flood beyond this is refused, not queued."""

_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
Who = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\w .@'-]+$")]
Text = Annotated[str, StringConstraints(max_length=200, pattern=_PRINTABLE)]


class CommandRequest(BaseModel):
    """The JSON payload of `labctl/<rig>/cmd/<verb>`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    by: Who
    """Who sends it, as the journal will name them; the broker's ACL decides who may send at all."""
    target: Text | None = None
    """The alarm id for ack-alarm, the prompt id for confirm-prompt, a reason for abort."""
    rig: Annotated[str, StringConstraints(max_length=64, pattern=_PRINTABLE)] | None = None
    id: Annotated[str, StringConstraints(max_length=64, pattern=_PRINTABLE)] | None = None
    """Echoed in the reply: how a v3.1.1 client (no correlation data) matches answers to questions."""


class Controllable(Protocol):
    def command(self, verb: Verb, by: str, target: str | None = None) -> CommandResult: ...


@dataclass(frozen=True)
class ReplyTo:
    """Where and how to answer one command."""

    topic: str
    correlation: bytes | None
    request_id: str | None


@dataclass(frozen=True)
class Reply:
    to: ReplyTo
    verb: str
    accepted: bool
    reason: str
    by: str | None = None

    def payload(self, rig: str, time: str) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "accepted": self.accepted,
            "reason": self.reason,
            "by": self.by,
            "id": self.to.request_id,
            "rig": rig,
            "time": time,
        }


@dataclass(frozen=True)
class Waiting:
    verb: Verb
    request: CommandRequest
    to: ReplyTo


def request_id(payload: bytes) -> str | None:
    """The `id` of a payload that failed validation, if one can be read, so its sender still sees the answer."""
    rid = (decode_object(payload) or {}).get("id")
    return rid[:64] if isinstance(rid, str) else None


class CommandIntake:
    def __init__(self, rig: str) -> None:
        self.rig = rig
        self._waiting: deque[Waiting] = deque()
        self._replies: deque[Reply] = deque()
        self._ended: str | None = None

    def receive(self, verb_text: str, payload: bytes, retained: bool, to: ReplyTo) -> Reply | None:
        """Check one command; a problem is answered now (the returned reply), a good one waits for the engine."""
        verb = next((v for v in Verb if v.value == verb_text), None)
        problem = self._problem(verb, payload, retained)
        if isinstance(problem, str):
            return Reply(to, verb_text[:64], False, problem)
        assert verb is not None
        if self._ended is not None:
            return Reply(to, verb, False, self._ended, problem.by)
        if len(self._waiting) >= MAX_WAITING:
            return Reply(to, verb, False, "too many commands waiting; try again in a second", problem.by)
        self._waiting.append(Waiting(verb, problem, to))
        return None

    def _problem(self, verb: Verb | None, payload: bytes, retained: bool) -> str | CommandRequest:
        if verb is None:
            return f"unknown command; expected one of {', '.join(v.value for v in Verb)}"
        if retained:
            return "retained commands are refused: they would be replayed to every restart"
        if len(payload) > MAX_PAYLOAD_BYTES:
            return f"payload over {MAX_PAYLOAD_BYTES} bytes"
        try:
            request = CommandRequest.model_validate_json(payload)
        except ValidationError as exc:
            return "invalid payload: " + _first_error(exc)
        if request.rig is not None and request.rig != self.rig:
            return f"this is rig {self.rig!r}, not {request.rig!r}"
        return request

    def __call__(self, engine: Controllable) -> None:
        """The engine's operator hook: apply what arrived since the last cycle, in arrival order."""
        while self._waiting:
            item = self._waiting.popleft()
            result = engine.command(item.verb, item.request.by, item.request.target)
            self._replies.append(Reply(item.to, item.verb, result.accepted, result.reason, item.request.by))

    def refuse_waiting(self, reason: str) -> None:
        """The engine is gone: what waits and what comes later is answered with `reason`."""
        self._ended = reason
        while self._waiting:
            item = self._waiting.popleft()
            self._replies.append(Reply(item.to, item.verb, False, reason, item.request.by))

    def take_replies(self) -> list[Reply]:
        replies = list(self._replies)
        self._replies.clear()
        return replies


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}" if where else str(err["msg"])
