from __future__ import annotations

from typing import Any

from labctl.engine.permit import DosingPermit
from labctl.engine.snapshot import LinkState, Snapshot
from labctl.protocol.steps import GateCondition
from tests.engine.snapshots import NOW, snap, status


def gate(when: str, hysteresis: str | None = None) -> GateCondition:
    spec: dict[str, Any] = {"when": when}
    if hysteresis is not None:
        spec["hysteresis"] = hysteresis
    return GateCondition.model_validate(spec)


def permit(*gates: GateCondition, min_interval_s: float = 30.0) -> DosingPermit:
    return DosingPermit(list(gates) or [gate("Tr <= 5 °C")], min_interval_s)


def test_all_good_gives_the_permit() -> None:
    assert permit().blockers(snap(2.0), last_start=None) == []


def test_stale_tr_blocks() -> None:
    reasons = permit().blockers(snap(2.0, tr_age=5.0), last_start=None)
    assert "Tr reading not fresh" in reasons


def test_never_read_tr_blocks() -> None:
    reasons = permit().blockers(Snapshot(at=NOW, status=status()), last_start=None)
    assert "Tr reading not fresh" in reasons


def test_missing_tr_probe_blocks() -> None:
    reasons = permit().blockers(snap(None), last_start=None)
    assert "Tr probe missing" in reasons
    assert "Tr reading not fresh" not in reasons


def test_unknown_tr_blocks_the_gate_as_unknown() -> None:
    reasons = permit().blockers(snap(None), last_start=None)
    assert "gate Tr <= 5 °C (unknown)" in reasons


def test_chiller_offline_blocks() -> None:
    reasons = permit().blockers(snap(2.0, chiller=LinkState(online=False)), last_start=None)
    assert "chiller offline" in reasons


def test_chiller_fault_blocks() -> None:
    assert "chiller fault" in permit().blockers(snap(2.0, chiller_error=-328), last_start=None)
    assert "chiller fault" in permit().blockers(snap(2.0, status=status(error=True)), last_start=None)


def test_chiller_not_running_blocks() -> None:
    reasons = permit().blockers(snap(2.0, status=status(running=False)), last_start=None)
    assert "chiller not running" in reasons


def test_unknown_chiller_status_blocks_as_not_running() -> None:
    assert "chiller not running" in permit().blockers(snap(2.0, status=None), last_start=None)


def test_doser_fault_blocks_with_its_reason() -> None:
    reasons = permit().blockers(snap(2.0, doser_fault="E3 powder jam"), last_start=None)
    assert "doser: E3 powder jam" in reasons


def test_minimum_interval_blocks_until_it_has_passed() -> None:
    p = permit(min_interval_s=30.0)
    assert p.blockers(snap(2.0, at=NOW), last_start=NOW - 29.0) == ["minimum interval"]
    assert p.blockers(snap(2.0, at=NOW), last_start=NOW - 30.0) == []
    assert p.blockers(snap(2.0, at=NOW), last_start=NOW - 31.0) == []


def test_failing_gate_blocks() -> None:
    assert permit().blockers(snap(6.0), last_start=None) == ["gate Tr <= 5 °C"]


def test_gate_without_hysteresis_passes_again_as_soon_as_it_holds() -> None:
    p = permit(gate("Tr <= 5 °C"))
    assert p.blockers(snap(5.5), last_start=None) != []
    assert p.blockers(snap(5.0), last_start=None) == []


def test_gate_hysteresis_after_failing_passes_only_below_limit_minus_hysteresis() -> None:
    p = permit(gate("Tr <= 5 °C", "1 K"))
    assert p.blockers(snap(4.5), last_start=None) == []
    assert p.blockers(snap(5.2), last_start=None) == ["gate Tr <= 5 °C"]
    assert p.blockers(snap(4.9), last_start=None) == ["gate Tr <= 5 °C"]
    assert p.blockers(snap(4.1), last_start=None) == ["gate Tr <= 5 °C"]
    assert p.blockers(snap(4.0), last_start=None) == []


def test_gate_hysteresis_releases_the_latch_once_passed() -> None:
    p = permit(gate("Tr <= 5 °C", "1 K"))
    p.blockers(snap(5.5), last_start=None)
    assert p.blockers(snap(3.9), last_start=None) == []
    assert p.blockers(snap(4.8), last_start=None) == []


def test_gate_hysteresis_does_not_apply_before_the_gate_ever_failed() -> None:
    p = permit(gate("Tr <= 5 °C", "1 K"))
    assert p.blockers(snap(4.9), last_start=None) == []


def test_unknown_tr_does_not_release_a_latched_gate() -> None:
    p = permit(gate("Tr <= 5 °C", "1 K"))
    p.blockers(snap(5.5), last_start=None)
    assert "gate Tr <= 5 °C (unknown)" in p.blockers(snap(None), last_start=None)
    assert p.blockers(snap(4.5), last_start=None) == ["gate Tr <= 5 °C"]


def test_gate_hysteresis_on_a_lower_bound() -> None:
    p = permit(gate("Tr >= -10 °C", "2 K"))
    assert p.blockers(snap(-10.5), last_start=None) == ["gate Tr >= -10 °C"]
    assert p.blockers(snap(-9.0), last_start=None) == ["gate Tr >= -10 °C"]
    assert p.blockers(snap(-8.0), last_start=None) == []


def test_gates_latch_independently() -> None:
    p = permit(gate("Tr <= 5 °C", "1 K"), gate("MTSR <= 25 °C", "2 K"))
    assert p.blockers(snap(5.5, mtsr_c=20.0), last_start=None) == ["gate Tr <= 5 °C"]
    assert p.blockers(snap(3.0, mtsr_c=24.0), last_start=None) == []


def test_unknown_mtsr_blocks() -> None:
    p = permit(gate("Tr <= 5 °C"), gate("MTSR <= 25 °C"))
    assert p.blockers(snap(2.0, mtsr_c=None), last_start=None) == ["gate MTSR <= 25 °C (unknown)"]


def test_every_reason_is_listed() -> None:
    s = snap(6.0, chiller=LinkState(online=False), doser_fault="jam", at=NOW)
    reasons = permit().blockers(s, last_start=NOW - 1.0)
    assert reasons == ["chiller offline", "doser: jam", "minimum interval", "gate Tr <= 5 °C"]
