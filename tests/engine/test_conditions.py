from __future__ import annotations

import pytest

from devices.reading import Reading
from labctl.engine.conditions import holds, signal_value
from labctl.engine.snapshot import LinkState, Snapshot
from labctl.protocol.conditions import Condition, Signal, parse_condition
from tests.engine.snapshots import NOW, snap, status


def cond(text: str) -> Condition:
    return parse_condition(text)


# --- signal_value -------------------------------------------------------------------------------------------


def test_signal_value_reads_each_signal_from_the_snapshot() -> None:
    s = Snapshot(
        at=NOW,
        tr=Reading(3.0, NOW),
        tj=Reading(-8.0, NOW),
        setpoint=-10.0,
        tr_rate_k_min=0.4,
        mtsr_c=21.0,
    )
    assert signal_value(s, Signal.TR) == 3.0
    assert signal_value(s, Signal.TJ) == -8.0
    assert signal_value(s, Signal.TSET) == -10.0
    assert signal_value(s, Signal.TR_RATE) == 0.4
    assert signal_value(s, Signal.MTSR) == 21.0


def test_signal_value_is_none_for_stale_or_missing_readings() -> None:
    assert signal_value(snap(3.0, tr_age=5.0), Signal.TR) is None
    assert signal_value(snap(None), Signal.TR) is None
    assert signal_value(Snapshot(at=NOW, tj=Reading(-8.0, NOW - 5.0)), Signal.TJ) is None


@pytest.mark.parametrize("signal", list(Signal))
def test_signal_value_of_an_empty_snapshot_is_unknown(signal: Signal) -> None:
    assert signal_value(Snapshot(at=NOW), signal) is None


# --- comparisons --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tr", "expected"),
    [
        ("Tr <= 5 °C", 5.0, True),
        ("Tr <= 5 °C", 5.1, False),
        ("Tr < 5 °C", 5.0, False),
        ("Tr < 5 °C", 4.9, True),
        ("Tr >= 5 °C", 5.0, True),
        ("Tr >= 5 °C", 4.9, False),
        ("Tr > 5 °C", 5.0, False),
        ("Tr > 5 °C", 5.1, True),
    ],
)
def test_comparison_at_and_around_the_threshold(text: str, tr: float, expected: bool) -> None:
    assert holds(cond(text), snap(tr)) is expected


def test_positive_margin_tightens_an_upper_bound() -> None:
    c = cond("Tr <= 5 °C")
    assert holds(c, snap(4.5), margin=1.0) is False
    assert holds(c, snap(4.0), margin=1.0) is True


def test_positive_margin_tightens_a_lower_bound() -> None:
    c = cond("Tr >= 0 °C")
    assert holds(c, snap(0.5), margin=1.0) is False
    assert holds(c, snap(1.0), margin=1.0) is True


def test_negative_margin_loosens_a_lower_bound() -> None:
    c = cond("Tr > 10 °C")
    assert holds(c, snap(9.0), margin=-2.0) is True
    assert holds(c, snap(8.0), margin=-2.0) is False


def test_negative_margin_loosens_an_upper_bound() -> None:
    c = cond("Tr < -5 °C")
    assert holds(c, snap(-4.0), margin=-2.0) is True
    assert holds(c, snap(-3.0), margin=-2.0) is False


def test_rate_and_mtsr_comparisons() -> None:
    assert holds(cond("dTr/dt > 1 K/min"), snap(tr_rate_k_min=1.5)) is True
    assert holds(cond("dTr/dt > 1 K/min"), snap(tr_rate_k_min=0.5)) is False
    assert holds(cond("MTSR <= 25 °C"), snap(mtsr_c=24.0)) is True
    assert holds(cond("MTSR <= 25 °C"), snap(mtsr_c=26.0)) is False


@pytest.mark.parametrize(
    ("text", "s"),
    [
        ("Tr <= 5 °C", snap(None)),
        ("Tr <= 5 °C", snap(3.0, tr_age=10.0)),
        ("Tr > 10 °C", Snapshot(at=NOW)),
        ("Tj < 0 °C", Snapshot(at=NOW, tj=Reading(None, NOW))),
        ("dTr/dt > 1 K/min", snap(tr_rate_k_min=None)),
        ("MTSR <= 25 °C", snap(mtsr_c=None)),
        ("Tset <= 5 °C", snap(setpoint=None)),
    ],
)
def test_comparison_on_an_unknown_reading_is_none(text: str, s: Snapshot) -> None:
    assert holds(cond(text), s) is None
    assert holds(cond(text), s, margin=1.0) is None


# --- state conditions ---------------------------------------------------------------------------------------


def test_chiller_offline() -> None:
    assert holds(cond("chiller offline"), snap(chiller=LinkState(online=False))) is True
    assert holds(cond("chiller offline"), snap()) is False


def test_chiller_fault_online() -> None:
    assert holds(cond("chiller fault"), snap(chiller_error=-328)) is True
    assert holds(cond("chiller fault"), snap(status=status(error=True))) is True
    assert holds(cond("chiller fault"), snap()) is False


def test_chiller_fault_and_stopped_are_unknown_while_offline() -> None:
    offline = snap(chiller=LinkState(online=False), chiller_error=-328, status=status(running=False))
    assert holds(cond("chiller fault"), offline) is None
    assert holds(cond("chiller stopped"), offline) is None


def test_chiller_stopped() -> None:
    assert holds(cond("chiller stopped"), snap(status=status(running=False))) is True
    assert holds(cond("chiller stopped"), snap(status=status(running=True))) is False


def test_chiller_stopped_is_unknown_without_a_status() -> None:
    assert holds(cond("chiller stopped"), snap(status=None)) is None


def test_tr_missing_is_the_probe_saying_absent() -> None:
    assert holds(cond("Tr missing"), snap(None)) is True
    assert holds(cond("Tr missing"), snap(3.0)) is False
    assert holds(cond("Tr missing"), Snapshot(at=NOW)) is False


def test_tr_stale_is_an_old_or_absent_reading_not_a_missing_probe() -> None:
    assert holds(cond("Tr stale"), snap(3.0, tr_age=3.0)) is True
    assert holds(cond("Tr stale"), Snapshot(at=NOW)) is True
    assert holds(cond("Tr stale"), snap(None)) is False
    assert holds(cond("Tr stale"), snap(3.0)) is False


def test_tr_old_missing_reading_is_stale_not_missing() -> None:
    s = snap(None, tr_age=3.0)
    assert holds(cond("Tr stale"), s) is True
    assert holds(cond("Tr missing"), s) is False


def test_doser_offline() -> None:
    assert holds(cond("doser offline"), snap(doser=LinkState(online=False))) is True
    assert holds(cond("doser offline"), snap()) is False


def test_doser_fault() -> None:
    assert holds(cond("doser fault"), snap(doser_fault="E3 powder jam")) is True
    assert holds(cond("doser fault"), snap()) is False


def test_tj_stale_and_missing() -> None:
    assert holds(cond("Tj stale"), Snapshot(at=NOW)) is True
    assert holds(cond("Tj stale"), Snapshot(at=NOW, tj=Reading(-5.0, NOW - 3.0))) is True
    assert holds(cond("Tj stale"), Snapshot(at=NOW, tj=Reading(-5.0, NOW))) is False
    assert holds(cond("Tj missing"), Snapshot(at=NOW, tj=Reading(None, NOW))) is True
    assert holds(cond("Tj missing"), Snapshot(at=NOW, tj=Reading(-5.0, NOW))) is False
