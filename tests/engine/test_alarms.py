from __future__ import annotations

import pytest

from labctl.engine.alarms import Alarm, AlarmBoard, Level


def alarm(level: Level = Level.ALARM, id_: str = "tr-high", at: float = 10.0) -> Alarm:
    return Alarm(id_, level, "Tr above 10 °C", at, reading={"Tr_C": 11.2})


@pytest.mark.parametrize(
    ("level", "needs_ack"),
    [
        (Level.WARNING, False),
        (Level.HOLD, False),
        (Level.ALARM, True),
        (Level.TRIP, True),
        (Level.EMERGENCY, True),
        (Level.COMPROMISED, True),
    ],
)
def test_which_levels_need_an_acknowledgement(level: Level, needs_ack: bool) -> None:
    assert level.needs_ack is needs_ack


def test_raising_an_alarm_makes_it_open() -> None:
    board = AlarmBoard()
    assert board.raise_(alarm()) is True
    assert [a.id for a in board.open_alarms()] == ["tr-high"]
    got = board.get("tr-high")
    assert got is not None
    assert got.active
    assert got.reading == {"Tr_C": 11.2}


def test_an_open_alarm_is_not_raised_twice() -> None:
    board = AlarmBoard()
    first = alarm(at=10.0)
    board.raise_(first)
    assert board.raise_(alarm(at=20.0)) is False
    assert board.get("tr-high") is first
    assert len(board.open_alarms()) == 1


def test_reraising_while_awaiting_ack_makes_it_active_again() -> None:
    board = AlarmBoard()
    board.raise_(alarm())
    board.condition_gone("tr-high")
    assert board.raise_(alarm(at=20.0)) is False
    got = board.get("tr-high")
    assert got is not None
    assert got.active
    assert got.raised_at == 10.0


def test_alarm_needing_ack_stays_open_after_the_condition_is_gone() -> None:
    board = AlarmBoard()
    board.raise_(alarm())
    assert board.condition_gone("tr-high") is None
    got = board.get("tr-high")
    assert got is not None
    assert not got.active
    assert got.open
    assert board.open_alarms() == [got]


def test_acknowledging_after_the_condition_is_gone_closes_the_alarm() -> None:
    board = AlarmBoard()
    board.raise_(alarm())
    board.condition_gone("tr-high")
    acked = board.acknowledge("tr-high", "operator")
    assert acked is not None
    assert acked.acknowledged_by == "operator"
    assert not acked.open
    assert board.open_alarms() == []


def test_acknowledged_alarm_stays_open_while_its_condition_holds() -> None:
    board = AlarmBoard()
    board.raise_(alarm())
    assert board.acknowledge("tr-high", "operator") is not None
    got = board.get("tr-high")
    assert got is not None
    assert got.open


def test_condition_gone_after_ack_returns_the_cleared_alarm() -> None:
    board = AlarmBoard()
    board.raise_(alarm())
    board.acknowledge("tr-high", "operator")
    cleared = board.condition_gone("tr-high")
    assert cleared is not None
    assert cleared.id == "tr-high"
    assert board.open_alarms() == []


def test_condition_gone_twice_reports_nothing_the_second_time() -> None:
    board = AlarmBoard()
    board.raise_(alarm(Level.WARNING))
    assert board.condition_gone("tr-high") is not None
    assert board.condition_gone("tr-high") is None


def test_condition_gone_for_an_unknown_alarm_is_none() -> None:
    assert AlarmBoard().condition_gone("nope") is None


def test_acknowledge_twice_is_refused() -> None:
    board = AlarmBoard()
    board.raise_(alarm())
    board.acknowledge("tr-high", "alice")
    assert board.acknowledge("tr-high", "bob") is None
    got = board.get("tr-high")
    assert got is not None
    assert got.acknowledged_by == "alice"


def test_acknowledge_unknown_or_closed_alarm_is_none() -> None:
    board = AlarmBoard()
    assert board.acknowledge("nope", "operator") is None
    board.raise_(alarm(Level.WARNING))
    board.condition_gone("tr-high")
    assert board.acknowledge("tr-high", "operator") is None


@pytest.mark.parametrize("level", [Level.WARNING, Level.HOLD])
def test_warnings_and_holds_clear_without_an_acknowledgement(level: Level) -> None:
    board = AlarmBoard()
    board.raise_(alarm(level))
    cleared = board.condition_gone("tr-high")
    assert cleared is not None
    assert not cleared.open
    assert board.open_alarms() == []


def test_a_closed_alarm_can_be_raised_again_as_a_new_alarm() -> None:
    board = AlarmBoard()
    board.raise_(alarm(at=10.0))
    board.acknowledge("tr-high", "operator")
    board.condition_gone("tr-high")
    again = alarm(at=50.0)
    assert board.raise_(again) is True
    assert board.get("tr-high") is again
    assert again.acknowledged_by is None
    assert board.open_alarms() == [again]


def test_unacknowledged_lists_only_ack_needing_levels_asked_for() -> None:
    board = AlarmBoard()
    board.raise_(alarm(Level.ALARM, "a"))
    board.raise_(alarm(Level.TRIP, "t"))
    board.raise_(alarm(Level.WARNING, "w"))
    board.acknowledge("t", "operator")
    assert [a.id for a in board.unacknowledged(Level.ALARM, Level.TRIP, Level.WARNING)] == ["a"]
    assert board.unacknowledged(Level.TRIP) == []


def test_as_dict() -> None:
    a = Alarm("tr-high", Level.TRIP, "Tr above 10 °C", 12.34567, reading={"Tr_C": 11.2})
    assert a.as_dict() == {
        "id": "tr-high",
        "level": "trip",
        "message": "Tr above 10 °C",
        "raised_at_s": 12.346,
        "reading": {"Tr_C": 11.2},
        "active": True,
        "acknowledged_by": None,
    }
