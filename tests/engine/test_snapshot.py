from __future__ import annotations

from devices.reading import Reading
from labctl.engine.snapshot import Snapshot
from tests.engine.snapshots import NOW, snap, status


def test_fresh_tr_reading_gives_its_value() -> None:
    s = snap(3.5)
    assert s.tr_value() == 3.5
    assert not s.tr_stale()
    assert not s.tr_missing()


def test_tr_never_read_is_stale_not_missing() -> None:
    s = Snapshot(at=NOW)
    assert s.tr_stale()
    assert not s.tr_missing()
    assert s.tr_value() is None


def test_tr_older_than_stale_after_is_stale_and_has_no_value() -> None:
    s = snap(3.5, tr_age=2.5)
    assert s.tr_stale()
    assert s.tr_value() is None


def test_tr_exactly_stale_after_old_is_still_fresh() -> None:
    s = snap(3.5, tr_age=2.0)
    assert not s.tr_stale()
    assert s.tr_value() == 3.5


def test_stale_after_is_configurable() -> None:
    assert not snap(3.5, tr_age=4.0, stale_after_s=5.0).tr_stale()
    assert snap(3.5, tr_age=6.0, stale_after_s=5.0).tr_stale()


def test_probe_reporting_missing_is_missing_and_not_stale() -> None:
    s = snap(None)
    assert s.tr_missing()
    assert not s.tr_stale()


def test_missing_reading_value_is_none_never_zero() -> None:
    s = snap(None)
    assert s.tr_value() is None
    assert s.tr_value() != 0.0


def test_old_missing_reading_counts_as_stale_not_missing() -> None:
    s = snap(None, tr_age=10.0)
    assert s.tr_stale()
    assert not s.tr_missing()


def test_zero_degrees_is_a_real_value() -> None:
    assert snap(0.0).tr_value() == 0.0


def test_tj_value_fresh_stale_and_missing() -> None:
    assert Snapshot(at=NOW, tj=Reading(-5.0, NOW - 1.0)).tj_value() == -5.0
    assert Snapshot(at=NOW, tj=Reading(-5.0, NOW - 3.0)).tj_value() is None
    assert Snapshot(at=NOW, tj=Reading(None, NOW)).tj_value() is None
    assert Snapshot(at=NOW).tj_value() is None


def test_chiller_fault_from_error_number_or_status_bit() -> None:
    assert not snap(status=status()).chiller_fault()
    assert snap(status=status(), chiller_error=-328).chiller_fault()
    assert snap(status=status(error=True)).chiller_fault()
    assert snap(status=None, chiller_error=-328).chiller_fault()
    assert not snap(status=None).chiller_fault()


def test_chiller_stopped_only_with_known_status_without_temperature_control() -> None:
    assert snap(status=status(running=False)).chiller_stopped()
    assert not snap(status=status(running=True)).chiller_stopped()
    assert not snap(status=None).chiller_stopped()
