"""The command intake on its own: what is refused before the engine ever sees it, and with which reason."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from labctl.engine.control import CommandResult, Verb
from labctl.telemetry.commands import MAX_WAITING, CommandIntake, ReplyTo

TO = ReplyTo("labctl/r/replies", None, None)


class Recorder:
    """Stands in for the engine's control API: records what reached it and accepts everything."""

    def __init__(self) -> None:
        self.calls: list[tuple[Verb, str, str | None]] = []

    def command(self, verb: Verb, by: str, target: str | None = None) -> CommandResult:
        self.calls.append((verb, by, target))
        return CommandResult.ok(verb)


def test_a_good_command_waits_for_the_engine_cycle_and_is_answered_with_its_verdict() -> None:
    intake = CommandIntake("r")
    assert intake.receive("ack-alarm", b'{"by": "ann", "target": "tr-high", "id": "7"}', False, TO) is None
    engine = Recorder()
    assert intake.take_replies() == []
    intake(engine)
    assert engine.calls == [(Verb.ACK_ALARM, "ann", "tr-high")]
    (reply,) = intake.take_replies()
    assert (reply.verb, reply.accepted, reply.by) == (Verb.ACK_ALARM, True, "ann")


def test_a_flood_beyond_the_waiting_limit_is_refused_not_queued() -> None:
    intake = CommandIntake("r")
    for _ in range(MAX_WAITING):
        assert intake.receive("pause", b'{"by": "x"}', False, TO) is None
    reply = intake.receive("pause", b'{"by": "x"}', False, TO)
    assert reply is not None
    assert reply.reason == "too many commands waiting; try again in a second"


def test_commands_left_at_the_end_of_the_run_are_answered_not_dropped() -> None:
    intake = CommandIntake("r")
    intake.receive("abort", b'{"by": "x"}', False, TO)
    intake.refuse_waiting("the run has ended")
    engine = Recorder()
    intake(engine)
    assert engine.calls == []
    assert [(r.accepted, r.reason) for r in intake.take_replies()] == [(False, "the run has ended")]
    late = intake.receive("pause", b'{"by": "x"}', False, TO)
    assert late is not None
    assert (late.accepted, late.reason) == (False, "the run has ended")


def test_a_payload_over_4_kib_is_refused_unread() -> None:
    reply = CommandIntake("r").receive("pause", b'{"by": "' + b"a" * 5000 + b'"}', False, TO)
    assert reply is not None
    assert reply.reason == "payload over 4096 bytes"


def test_control_characters_in_who_or_target_are_refused() -> None:
    intake = CommandIntake("r")
    for payload in (
        {"by": "ann\n"},
        {"by": "ann", "target": "x\x1b[2J"},
        {"by": 5},
        {"by": "ann", "target": 3},
    ):
        reply = intake.receive("abort", json.dumps(payload).encode(), False, TO)
        assert reply is not None
        assert reply.reason.startswith("invalid payload"), payload


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    verb=st.sampled_from([v.value for v in Verb]) | st.text(max_size=12),
    payload=st.binary(max_size=300) | _json.map(lambda v: json.dumps(v).encode()),
    retained=st.booleans(),
)
def test_whatever_arrives_it_is_answered_or_queued_as_a_valid_command_and_never_raises(
    verb: str, payload: bytes, retained: bool
) -> None:
    intake = CommandIntake("r")
    reply = intake.receive(verb, payload, retained, TO)
    engine = Recorder()
    intake(engine)
    if reply is not None:
        assert reply.accepted is False
        assert reply.reason
        assert engine.calls == []
        return
    body = json.loads(payload)
    assert not retained
    assert isinstance(body, dict)
    assert isinstance(body["by"], str)
    assert set(body) <= {"by", "target", "rig", "id"}
    assert engine.calls == [(Verb(verb), body["by"], body.get("target"))]
