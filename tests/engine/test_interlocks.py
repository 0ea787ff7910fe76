from __future__ import annotations

from typing import Any

from labctl.engine.interlocks import Change, InterlockMonitor
from labctl.engine.snapshot import LinkState
from labctl.protocol.model import Action, Interlock
from tests.engine.snapshots import snap


def interlock(id_: str, when: str, action: str = "trip", **spec: Any) -> Interlock:
    return Interlock.model_validate({"id": id_, "when": when, "action": action, **spec})


def test_condition_holding_activates_the_interlock_once() -> None:
    lock = interlock("tr-high", "Tr > 10 °C")
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(11.0), None) == [Change(lock, True)]
    assert mon.evaluate(snap(12.0), None) == []
    assert mon.active() == [lock]


def test_condition_not_holding_changes_nothing() -> None:
    mon = InterlockMonitor([interlock("tr-high", "Tr > 10 °C")])
    assert mon.evaluate(snap(9.0), None) == []
    assert mon.active() == []


def test_condition_gone_clears_the_interlock() -> None:
    lock = interlock("tr-high", "Tr > 10 °C")
    mon = InterlockMonitor([lock])
    mon.evaluate(snap(11.0), None)
    assert mon.evaluate(snap(10.0), None) == [Change(lock, False)]
    assert mon.active() == []


def test_interlock_without_during_guards_every_step() -> None:
    lock = interlock("tr-high", "Tr > 10 °C")
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(11.0), "cool") == [Change(lock, True)]


def test_interlock_with_during_is_inactive_outside_its_steps() -> None:
    mon = InterlockMonitor([interlock("tr-high", "Tr > 10 °C", during=["dose"])])
    assert mon.evaluate(snap(11.0), "stir") == []
    assert mon.evaluate(snap(11.0), None) == []
    assert mon.active() == []


def test_interlock_with_during_activates_inside_its_step() -> None:
    lock = interlock("tr-high", "Tr > 10 °C", during=["dose"])
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(11.0), "dose") == [Change(lock, True)]


def test_leaving_the_scope_clears_an_active_interlock() -> None:
    lock = interlock("tr-high", "Tr > 10 °C", during=["dose"])
    mon = InterlockMonitor([lock])
    mon.evaluate(snap(11.0), "dose")
    assert mon.evaluate(snap(11.0), "stir") == [Change(lock, False)]


def test_hysteresis_keeps_the_interlock_active_until_back_by_the_hysteresis() -> None:
    lock = interlock("tr-high", "Tr > 10 °C", hysteresis="2 K")
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(10.5), None) == [Change(lock, True)]
    assert mon.evaluate(snap(10.0), None) == []
    assert mon.evaluate(snap(8.1), None) == []
    assert mon.active() == [lock]
    assert mon.evaluate(snap(8.0), None) == [Change(lock, False)]


def test_hysteresis_does_not_change_the_activation_threshold() -> None:
    mon = InterlockMonitor([interlock("tr-high", "Tr > 10 °C", hysteresis="2 K")])
    assert mon.evaluate(snap(9.0), None) == []
    assert mon.active() == []


def test_hysteresis_on_an_upper_bound_interlock() -> None:
    lock = interlock("tr-low", "Tr < -5 °C", hysteresis="1 K")
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(-6.0), None) == [Change(lock, True)]
    assert mon.evaluate(snap(-4.5), None) == []
    assert mon.evaluate(snap(-4.0), None) == [Change(lock, False)]


def test_unknown_reading_does_not_activate() -> None:
    mon = InterlockMonitor([interlock("tr-high", "Tr > 10 °C")])
    assert mon.evaluate(snap(None), None) == []
    assert mon.evaluate(snap(11.0, tr_age=10.0), None) == []
    assert mon.active() == []


def test_unknown_reading_does_not_clear() -> None:
    lock = interlock("tr-high", "Tr > 10 °C")
    mon = InterlockMonitor([lock])
    mon.evaluate(snap(11.0), None)
    assert mon.evaluate(snap(None), None) == []
    assert mon.evaluate(snap(5.0, tr_age=10.0), None) == []
    assert mon.active() == [lock]


def test_state_interlock_activates_and_clears() -> None:
    lock = interlock("chiller-gone", "chiller offline", "hold")
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(chiller=LinkState(online=False)), None) == [Change(lock, True)]
    assert mon.evaluate(snap(), None) == [Change(lock, False)]


def test_tr_missing_interlock_trips_when_the_probe_is_absent() -> None:
    lock = interlock("tr-missing", "Tr missing")
    mon = InterlockMonitor([lock])
    assert mon.evaluate(snap(None), None) == [Change(lock, True)]


def test_each_interlock_reports_its_own_change() -> None:
    high = interlock("tr-high", "Tr > 10 °C")
    fault = interlock("chiller-fault", "chiller fault", "alarm")
    mon = InterlockMonitor([high, fault])
    assert mon.evaluate(snap(11.0, chiller_error=-328), None) == [Change(high, True), Change(fault, True)]
    assert mon.evaluate(snap(11.0), None) == [Change(fault, False)]


def test_active_filters_by_action() -> None:
    trip = interlock("tr-high", "Tr > 10 °C", "trip")
    hold = interlock("tr-warm", "Tr > 5 °C", "hold")
    warn = interlock("tr-cool", "Tr > 20 °C", "warn")
    mon = InterlockMonitor([trip, hold, warn])
    mon.evaluate(snap(11.0), None)
    assert mon.active() == [trip, hold]
    assert mon.active(Action.HOLD) == [hold]
    assert mon.active(Action.TRIP, Action.HOLD) == [trip, hold]
    assert mon.active(Action.WARN) == []
